//! Target `token`: compact JWS/JWT parsing, the unverified-issuer peek and verification against
//! fixed keys.
//!
//! The first byte of an input picks what the rest is:
//!
//! - `S`: a header and a payload (JSON, separated by the first `\n`) that the harness encodes
//!   and signs with its own Ed25519 key (`kid` `fuzz-ed`), so the claims checks behind a valid
//!   signature are reached;
//! - `K`: a JWKS document, parsed (a refusal is `bad_jwks`) and then used to verify the
//!   conformance tokens;
//! - anything else: the rest is a token as received (lossily UTF-8), verified with the
//!   conformance vectors' keys, configuration and clock (`core/conformance/vectors.json`).
//!
//! Invariants: nothing panics; every failure is an `invalid_token` error (never `internal`)
//! whose message holds neither the token nor its signature; verification fails exactly when
//! parsing does, with the same reason; a verified token satisfies every claims rule, and the
//! unverified peek never names an issuer other than the verified one.

use std::sync::OnceLock;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_core::claims::normalize_audience;
use oauth4os_core::jwk::{KeySet, VerifyingKey};
use oauth4os_core::verify::verify_with_keys;
use oauth4os_core::{Algorithm, Claims, Error, ErrorCode, Reason, VerifierConfig, jws};

const VECTORS: &str = include_str!("../../conformance/vectors.json");

/// The harness's own signing key id.
pub const FUZZ_KID: &str = "fuzz-ed";

struct Fixture {
    cfg: VerifierConfig,
    keys: KeySet,
    now: i64,
    signer: Ed25519KeyPair,
    /// Tokens of the vectors that verify, to try a fuzzed JWKS on.
    valid: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let v: serde_json::Value = serde_json::from_str(VECTORS).expect("vectors.json is JSON");
        let at = |ptr: &str| v.pointer(ptr).expect("a member of vectors.json").clone();
        let cfg = VerifierConfig::from_json(&at("/verifier").to_string()).expect("verifier config");
        let mut keys = KeySet::from_jwks(at("/jwks").to_string().as_bytes(), &Algorithm::ALL)
            .expect("the vectors' JWKS");
        let signer = Ed25519KeyPair::from_seed_unchecked(&[0x5a; 32]).expect("ed25519 seed");
        let jwk = serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": FUZZ_KID,
            "x": URL_SAFE_NO_PAD.encode(signer.public_key().as_ref()),
        });
        keys.insert(VerifyingKey::from_jwk(&jwk, &Algorithm::ALL).expect("the fuzz key"));
        let valid = at("/verification")
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c.pointer("/expect/ok") == Some(&serde_json::Value::Bool(true)))
            .filter_map(|c| c.get("token")?.as_str().map(str::to_owned))
            .take(3)
            .collect();
        Fixture {
            cfg,
            keys,
            now: at("/now").as_i64().expect("vectors' now"),
            signer,
            valid,
        }
    })
}

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    match mode {
        b'S' => {
            let (header, payload) = crate::split_line(rest);
            let token = sign(f, header, payload);
            check(f, &token);
        }
        b'K' => jwks(f, rest),
        _ => check(f, &String::from_utf8_lossy(rest)),
    }
}

/// `BASE64URL(header).BASE64URL(payload).BASE64URL(Ed25519 signature)`.
pub fn sign_with_fuzz_key(header: &[u8], payload: &[u8]) -> String {
    sign(fixture(), header, payload)
}

/// Verifies `token` as the target does: the vectors' keys plus the fuzz key, their
/// configuration and clock.
pub fn verify(token: &str) -> oauth4os_core::Result<Claims> {
    let f = fixture();
    verify_with_keys(token, &f.cfg, &f.keys, f.now)
}

fn sign(f: &Fixture, header: &[u8], payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = f.signer.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

fn check(f: &Fixture, token: &str) {
    let parsed = jws::parse(token);
    if let Ok(p) = &parsed {
        assert!(
            token.starts_with(p.signing_input) && token.ends_with(p.signature_b64),
            "the signing input and signature are not the token's segments"
        );
        assert_eq!(
            p.signing_input.len() + 1 + p.signature_b64.len(),
            token.len(),
            "the segments do not add up to the token"
        );
        assert!(Algorithm::ALL.contains(&p.header.alg));
    }
    let peek = jws::unverified_issuer(token);
    let verified = verify_with_keys(token, &f.cfg, &f.keys, f.now);
    match (&parsed, &verified) {
        (Err(pe), Err(ve)) => assert_eq!(
            pe.reason, ve.reason,
            "verification fails for another reason than parsing"
        ),
        (Err(pe), Ok(_)) => panic!("a token that does not parse ({}) verified", pe.reason),
        _ => {}
    }
    match verified {
        Ok(claims) => check_claims(f, &claims, peek.as_deref()),
        Err(e) => check_error(&e, token),
    }
}

fn check_claims(f: &Fixture, claims: &Claims, peek: Option<&str>) {
    assert_eq!(
        claims.iss, f.cfg.issuer,
        "a verified token has another issuer"
    );
    assert!(
        peek.is_none_or(|p| p == claims.iss),
        "the unverified peek names issuer {peek:?}, the verified token {:?}",
        claims.iss
    );
    assert!(
        claims.aud.iter().any(|a| f
            .cfg
            .audiences
            .iter()
            .any(|w| normalize_audience(a) == normalize_audience(w))),
        "a verified token is for none of the audiences"
    );
    let leeway = i64::try_from(f.cfg.leeway).unwrap_or(i64::MAX);
    assert!(f.now.saturating_sub(leeway) < claims.exp, "expired");
    assert!(
        claims.nbf.is_none_or(|n| n <= f.now.saturating_add(leeway)),
        "not yet valid"
    );
    assert!(
        claims.iat.is_none_or(|i| i <= f.now.saturating_add(leeway)),
        "issued in the future"
    );
}

fn check_error(e: &Error, token: &str) {
    assert_eq!(
        e.code,
        ErrorCode::InvalidToken,
        "a bad token gave {} ({}): {}",
        e.code,
        e.reason,
        e.message
    );
    let leaks = |secret: &str| secret.len() >= 16 && e.message.contains(secret);
    let signature = token.rsplit('.').next().unwrap_or("");
    assert!(
        !leaks(token) && !leaks(signature),
        "the error message repeats the token: {}",
        e.message
    );
    assert!(!e.message.is_empty() && !e.message.ends_with('.'));
}

fn jwks(f: &Fixture, doc: &[u8]) {
    let set = match KeySet::from_jwks(doc, &Algorithm::ALL) {
        Ok(set) => set,
        Err(e) => {
            assert_eq!(e.reason, Reason::BadJwks, "{}", e.message);
            return;
        }
    };
    assert!(!set.is_empty(), "an accepted JWKS has no key");
    for token in &f.valid {
        match verify_with_keys(token, &f.cfg, &set, f.now) {
            Ok(claims) => check_claims(f, &claims, jws::unverified_issuer(token).as_deref()),
            Err(e) => check_error(&e, token),
        }
    }
}
