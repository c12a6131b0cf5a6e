//! Token verification through the core vs the raw signature check of the same backend
//! (aws-lc-rs), and cached re-verification.
//!
//! Run: `cargo bench -p oauth4os-core --bench verify`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark code"
)]

#[path = "../tests/support/conformance.rs"]
mod conformance;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use conformance::{Keys, NOW, Signer, claims, verifier_config};
use criterion::{Criterion, criterion_group, criterion_main};
use oauth4os_core::jwk::KeySet;
use oauth4os_core::verify::verify_with_keys;
use oauth4os_core::{Algorithm, Verifier};
use serde_json::json;

fn d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// Polls a future that is expected to be ready at once (a cache hit does no I/O).
fn now_or_never<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected a ready future"),
    }
}

fn bench(c: &mut Criterion) {
    let k = Keys::new();
    let jwks = k.jwks();
    let cfg = verifier_config();
    let keys = KeySet::from_jwks(jwks.to_string().as_bytes(), &Algorithm::ALL).unwrap();
    let cases = [
        ("ES256", "es-1", Signer::Ec),
        ("RS256", "rs-1", Signer::Rsa),
        ("EdDSA", "ed-1", Signer::Ed),
    ];
    let mut g = c.benchmark_group("verify");
    for (alg, kid, signer) in cases {
        let token = k.token(
            &json!({"alg": alg, "typ": "at+jwt", "kid": kid}),
            &claims(),
            signer,
        );
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = d(sig);
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["kid"] == kid)
            .unwrap();
        let raw: (Vec<u8>, &'static dyn signature::VerificationAlgorithm) = match alg {
            "ES256" => {
                let mut p = vec![4u8];
                p.extend(d(jwk["x"].as_str().unwrap()));
                p.extend(d(jwk["y"].as_str().unwrap()));
                (p, &signature::ECDSA_P256_SHA256_FIXED)
            }
            "RS256" => (k.rsa_public_pkcs1(), &signature::RSA_PKCS1_2048_8192_SHA256),
            _ => (d(jwk["x"].as_str().unwrap()), &signature::ED25519),
        };
        let raw_key = UnparsedPublicKey::new(raw.1, raw.0.clone());
        raw_key
            .verify(input.as_bytes(), &sig)
            .expect("the raw baseline must verify");
        verify_with_keys(&token, &cfg, &keys, NOW).unwrap();

        g.bench_function(format!("{alg}/raw_aws_lc_rs"), |b| {
            b.iter(|| {
                raw_key
                    .verify(black_box(input.as_bytes()), black_box(&sig))
                    .unwrap()
            })
        });
        g.bench_function(format!("{alg}/core_verify"), |b| {
            b.iter(|| verify_with_keys(black_box(&token), &cfg, &keys, NOW).unwrap())
        });
        let verifier = Verifier::with_keys(cfg.clone(), keys.clone()).unwrap();
        now_or_never(verifier.verify_at(&token, NOW)).unwrap();
        g.bench_function(format!("{alg}/core_cached"), |b| {
            b.iter(|| now_or_never(verifier.verify_at(black_box(&token), NOW)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
