//! Wycheproof signature vectors through the core's own key loading (JWK) and verification.
//! "acceptable" entries must be rejected: this is a strict verifier.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "test code"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_core::Algorithm;
use oauth4os_core::jwk::VerifyingKey;
use serde_json::json;
use wycheproof::TestResult;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Big-endian integer → exactly `len` bytes (strips sign padding, left-pads with zeros).
fn fixed(bytes: &[u8], len: usize) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut out = vec![0u8; len.saturating_sub(trimmed.len())];
    out.extend(trimmed);
    out
}

fn unsigned(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().copied().skip_while(|b| *b == 0).collect()
}

struct Tally {
    name: &'static str,
    total: usize,
    mismatches: Vec<usize>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            total: 0,
            mismatches: Vec::new(),
        }
    }

    fn record(&mut self, id: usize, expected: TestResult, accepted: bool) {
        self.total += 1;
        let should_accept = expected == TestResult::Valid;
        if accepted != should_accept {
            self.mismatches.push(id);
        }
    }

    fn finish(self) {
        println!(
            "{}: {} vectors, {} mismatches",
            self.name,
            self.total,
            self.mismatches.len()
        );
        assert!(self.total > 100, "{}: too few vectors ran", self.name);
        assert!(
            self.mismatches.is_empty(),
            "{}: mismatching tcIds {:?}",
            self.name,
            self.mismatches
        );
    }
}

fn verify(key: Option<&VerifyingKey>, alg: Algorithm, msg: &[u8], sig: &[u8]) -> bool {
    key.is_some_and(|k| k.verify(alg, msg, &b64(sig)).is_ok())
}

#[test]
fn es256_p1363_vectors() {
    let set =
        wycheproof::ecdsa::TestSet::load(wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256P1363)
            .unwrap();
    let mut tally = Tally::new("ES256 (P1363)");
    for group in &set.test_groups {
        let jwk = json!({
            "kty": "EC", "crv": "P-256",
            "x": b64(&fixed(&group.key.affine_x, 32)),
            "y": b64(&fixed(&group.key.affine_y, 32)),
        });
        let key = VerifyingKey::from_jwk(&jwk, &[Algorithm::ES256]).ok();
        for t in &group.tests {
            tally.record(
                t.tc_id,
                t.result,
                verify(key.as_ref(), Algorithm::ES256, &t.msg, &t.sig),
            );
        }
    }
    tally.finish();
}

#[test]
fn rs256_pkcs1_vectors() {
    let set = wycheproof::rsa_pkcs1_verify::TestSet::load(
        wycheproof::rsa_pkcs1_verify::TestName::Rsa2048Sha256,
    )
    .unwrap();
    let mut tally = Tally::new("RS256 (RSA 2048, PKCS#1 v1.5)");
    for group in &set.test_groups {
        let jwk = json!({
            "kty": "RSA",
            "n": b64(&unsigned(&group.key.n)),
            "e": b64(&unsigned(&group.key.e)),
        });
        let key = VerifyingKey::from_jwk(&jwk, &[Algorithm::RS256]).ok();
        for t in &group.tests {
            tally.record(
                t.tc_id,
                t.result,
                verify(key.as_ref(), Algorithm::RS256, &t.msg, &t.sig),
            );
        }
    }
    tally.finish();
}

#[test]
fn eddsa_ed25519_vectors() {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    let mut tally = Tally::new("EdDSA (Ed25519)");
    for group in &set.test_groups {
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&group.key.pk)});
        let key = VerifyingKey::from_jwk(&jwk, &[Algorithm::EdDSA]).ok();
        for t in &group.tests {
            tally.record(
                t.tc_id,
                t.result,
                verify(key.as_ref(), Algorithm::EdDSA, &t.msg, &t.sig),
            );
        }
    }
    tally.finish();
}

#[test]
fn ecdsa_r_and_s_zero_is_rejected() {
    let set =
        wycheproof::ecdsa::TestSet::load(wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256P1363)
            .unwrap();
    let group = &set.test_groups[0];
    let jwk = json!({
        "kty": "EC", "crv": "P-256",
        "x": b64(&fixed(&group.key.affine_x, 32)),
        "y": b64(&fixed(&group.key.affine_y, 32)),
    });
    let key = VerifyingKey::from_jwk(&jwk, &[Algorithm::ES256]).unwrap();
    let e = key
        .verify(Algorithm::ES256, b"hello", &b64(&[0u8; 64]))
        .unwrap_err();
    assert_eq!(e.reason, "bad_signature");
}
