//! Generates the cross-language conformance vectors (`core/conformance/vectors.json`).
//!
//! Everything is deterministic: fixed keys (Ed25519 from a seed, P-256 from a fixed scalar with
//! RFC 6979 signatures, a checked-in RSA test key with PKCS#1 v1.5), a fixed `now`, and sorted
//! JSON maps. Each verification case states the outcome it is meant to have; generation fails
//! if the core disagrees, so the file can only ever record intended behaviour. The scope and
//! classification cases are not computed at all: they are written by hand, from the scope
//! grammar and the OpenSearch REST API, in `core/conformance/scopes.json` and
//! `core/conformance/classification.json` (each with a one-line `why`), and copied in as they
//! are; `tests/conformance.rs` replays them against the core.
#![allow(
    dead_code,
    reason = "shared between the generator example and the tests"
)]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "generator and test code: a failure must stop it loudly"
)]

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth4os_core::Algorithm;
use oauth4os_core::jwk::KeySet;
use oauth4os_core::verify::{VerifierConfig, verify_with_keys};
use p256::ecdsa::signature::Signer as _;
use serde_json::{Value, json};

pub const NOW: i64 = 1_800_000_000;
pub const ISSUER: &str = "https://idp.oauth4os.test";
pub const AUDIENCE: &str = "https://proxy.oauth4os.test";
const RSA_PEM: &str = include_str!("../fixtures/rsa-test-key.pem");

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The fixed test signers.
pub struct Keys {
    ec: p256::ecdsa::SigningKey,
    ed: Ed25519KeyPair,
    rsa: RsaKeyPair,
    /// An unrelated P-256 key, for forgeries.
    attacker: p256::ecdsa::SigningKey,
}

fn rsa_der() -> Vec<u8> {
    let body: String = RSA_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}

impl Keys {
    pub fn new() -> Self {
        let ec = p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
        let attacker = p256::ecdsa::SigningKey::from_bytes(&[9u8; 32].into()).unwrap();
        let ed = Ed25519KeyPair::from_seed_unchecked(&[42u8; 32]).unwrap();
        let rsa = RsaKeyPair::from_pkcs8(&rsa_der()).unwrap();
        Self {
            ec,
            ed,
            rsa,
            attacker,
        }
    }

    fn ec_jwk(key: &p256::ecdsa::SigningKey, kid: &str) -> Value {
        let point = key.verifying_key().to_encoded_point(false);
        json!({"kty":"EC","crv":"P-256","kid":kid,"use":"sig","alg":"ES256",
               "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())})
    }

    /// The public JWKS.
    pub fn jwks(&self) -> Value {
        let rsa_pub = self.rsa.public_key();
        let n = rsa_pub.modulus().big_endian_without_leading_zero();
        let e = rsa_pub.exponent().big_endian_without_leading_zero();
        json!({"keys": [
            Self::ec_jwk(&self.ec, "es-1"),
            {"kty":"RSA","kid":"rs-1","use":"sig","alg":"RS256","n": b64(n), "e": b64(e)},
            {"kty":"OKP","crv":"Ed25519","kid":"ed-1","use":"sig","alg":"EdDSA","x": b64(self.ed.public_key().as_ref())},
        ]})
    }

    /// The attacker's public JWK (never in the JWKS).
    pub fn attacker_jwk(&self) -> Value {
        Self::ec_jwk(&self.attacker, "es-1")
    }

    pub fn rsa_public_pem(&self) -> String {
        let der = self.rsa.public_key().as_der().unwrap();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der.as_ref())
        )
    }

    /// The RSA public key as a PKCS#1 `RSAPublicKey` (what aws-lc-rs verifies with).
    pub fn rsa_public_pkcs1(&self) -> Vec<u8> {
        self.rsa.public_key().as_ref().to_vec()
    }

    /// Signs `input` with the named key.
    pub fn sign(&self, signer: Signer, input: &[u8]) -> Vec<u8> {
        match signer {
            Signer::Ec => {
                let s: p256::ecdsa::Signature = self.ec.sign(input);
                s.to_bytes().to_vec()
            }
            Signer::Attacker => {
                let s: p256::ecdsa::Signature = self.attacker.sign(input);
                s.to_bytes().to_vec()
            }
            Signer::Ed => self.ed.sign(input).as_ref().to_vec(),
            Signer::Rsa => {
                let mut out = vec![0u8; self.rsa.public_modulus_len()];
                self.rsa
                    .sign(
                        &sig::RSA_PKCS1_SHA256,
                        &SystemRandom::new(),
                        input,
                        &mut out,
                    )
                    .unwrap();
                out
            }
            Signer::HmacWithRsaPublicKey => {
                let key = aws_lc_rs::hmac::Key::new(
                    aws_lc_rs::hmac::HMAC_SHA256,
                    self.rsa_public_pem().as_bytes(),
                );
                aws_lc_rs::hmac::sign(&key, input).as_ref().to_vec()
            }
            Signer::Zero => vec![0u8; 64],
        }
    }

    /// A compact JWS of `header` and `payload` signed by `signer`.
    pub fn token(&self, header: &Value, payload: &Value, signer: Signer) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes())
        );
        let s = self.sign(signer, input.as_bytes());
        format!("{input}.{}", b64(&s))
    }
}

#[derive(Clone, Copy)]
pub enum Signer {
    Ec,
    Ed,
    Rsa,
    Attacker,
    HmacWithRsaPublicKey,
    Zero,
}

pub fn verifier_config() -> VerifierConfig {
    let mut cfg = VerifierConfig::new(ISSUER, AUDIENCE);
    cfg.required_typ = Some("at+jwt".into());
    cfg
}

pub fn claims() -> Value {
    json!({
        "iss": ISSUER, "sub": "my-agent", "aud": AUDIENCE, "client_id": "my-agent",
        "scope": "read:logs-*", "jti": "j-1", "iat": NOW - 10, "exp": NOW + 300,
    })
}

fn with(mut v: Value, key: &str, val: Value) -> Value {
    v[key] = val;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

/// (name, token, expected reason or None for valid)
pub fn verification_cases(k: &Keys) -> Vec<(&'static str, String, Option<&'static str>)> {
    let es = json!({"alg":"ES256","typ":"at+jwt","kid":"es-1"});
    let rs = json!({"alg":"RS256","typ":"at+jwt","kid":"rs-1"});
    let ed = json!({"alg":"EdDSA","typ":"at+jwt","kid":"ed-1"});
    let c = claims();
    let good = k.token(&es, &c, Signer::Ec);
    let mut flipped = good.clone().into_bytes();
    let mid = good.len() - 20;
    flipped[mid] = if flipped[mid] == b'A' { b'B' } else { b'A' };
    let (head, _) = good.rsplit_once('.').unwrap();
    let other_payload = b64(with(c.clone(), "scope", json!("admin:*"))
        .to_string()
        .as_bytes());
    let (h64, _) = head.split_once('.').unwrap();
    let sig_of_good = good.rsplit_once('.').unwrap().1;
    vec![
        ("valid_es256", good.clone(), None),
        ("valid_rs256", k.token(&rs, &c, Signer::Rsa), None),
        ("valid_eddsa", k.token(&ed, &c, Signer::Ed), None),
        (
            "valid_typ_application_at_jwt",
            k.token(
                &with(es.clone(), "typ", json!("application/at+jwt")),
                &c,
                Signer::Ec,
            ),
            None,
        ),
        (
            "valid_aud_array_trailing_slash",
            k.token(
                &es,
                &with(c.clone(), "aud", json!(["other", format!("{AUDIENCE}/")])),
                Signer::Ec,
            ),
            None,
        ),
        (
            "valid_expired_within_leeway",
            k.token(&es, &with(c.clone(), "exp", json!(NOW - 30)), Signer::Ec),
            None,
        ),
        (
            "valid_fractional_exp",
            k.token(
                &es,
                &with(c.clone(), "exp", json!((NOW + 300) as f64 + 0.5)),
                Signer::Ec,
            ),
            None,
        ),
        (
            "expired",
            k.token(&es, &with(c.clone(), "exp", json!(NOW - 61)), Signer::Ec),
            Some("expired"),
        ),
        (
            "not_yet_valid",
            k.token(&es, &with(c.clone(), "nbf", json!(NOW + 120)), Signer::Ec),
            Some("not_yet_valid"),
        ),
        (
            "issued_in_future",
            k.token(&es, &with(c.clone(), "iat", json!(NOW + 120)), Signer::Ec),
            Some("iat_in_future"),
        ),
        (
            "wrong_audience",
            k.token(
                &es,
                &with(c.clone(), "aud", json!("https://other.test")),
                Signer::Ec,
            ),
            Some("wrong_audience"),
        ),
        (
            "missing_audience",
            k.token(&es, &without(c.clone(), "aud"), Signer::Ec),
            Some("missing_aud"),
        ),
        (
            "wrong_issuer",
            k.token(
                &es,
                &with(c.clone(), "iss", json!("https://evil.test")),
                Signer::Ec,
            ),
            Some("wrong_issuer"),
        ),
        (
            "string_exp",
            k.token(
                &es,
                &with(c.clone(), "exp", json!((NOW + 300).to_string())),
                Signer::Ec,
            ),
            Some("bad_claim"),
        ),
        (
            "missing_exp",
            k.token(&es, &without(c.clone(), "exp"), Signer::Ec),
            Some("missing_exp"),
        ),
        (
            "bad_signature",
            String::from_utf8(flipped).unwrap(),
            Some("bad_signature"),
        ),
        (
            "payload_swapped",
            format!("{h64}.{other_payload}.{sig_of_good}"),
            Some("bad_signature"),
        ),
        (
            "alg_none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(c.to_string().as_bytes())
            ),
            Some("malformed"),
        ),
        (
            "alg_none_with_signature",
            format!(
                "{}.{}.{}",
                b64(br#"{"alg":"none","typ":"at+jwt"}"#),
                b64(c.to_string().as_bytes()),
                b64(b"x")
            ),
            Some("alg_none"),
        ),
        (
            "hs256_keyed_with_rsa_public_key",
            k.token(
                &json!({"alg":"HS256","typ":"at+jwt","kid":"rs-1"}),
                &c,
                Signer::HmacWithRsaPublicKey,
            ),
            Some("alg_not_allowed"),
        ),
        (
            "alg_swapped_for_key",
            k.token(
                &json!({"alg":"RS256","typ":"at+jwt","kid":"es-1"}),
                &c,
                Signer::Rsa,
            ),
            Some("key_mismatch"),
        ),
        (
            "unknown_kid",
            k.token(&with(es.clone(), "kid", json!("nope")), &c, Signer::Ec),
            Some("unknown_kid"),
        ),
        (
            "kid_injection",
            k.token(
                &with(es.clone(), "kid", json!("../../../../dev/null' OR '1'='1")),
                &c,
                Signer::Ec,
            ),
            Some("unknown_kid"),
        ),
        (
            "jku_elsewhere",
            k.token(
                &with(es.clone(), "jku", json!("https://attacker.test/jwks.json")),
                &c,
                Signer::Attacker,
            ),
            Some("bad_signature"),
        ),
        (
            "embedded_jwk",
            k.token(
                &with(es.clone(), "jwk", k.attacker_jwk()),
                &c,
                Signer::Attacker,
            ),
            Some("bad_signature"),
        ),
        (
            "ecdsa_r_s_zero",
            k.token(&es, &c, Signer::Zero),
            Some("bad_signature"),
        ),
        (
            "wrong_typ",
            k.token(&with(es.clone(), "typ", json!("JWT")), &c, Signer::Ec),
            Some("wrong_typ"),
        ),
        (
            "missing_typ",
            k.token(&without(es.clone(), "typ"), &c, Signer::Ec),
            Some("wrong_typ"),
        ),
        (
            "crit_header",
            k.token(&with(es.clone(), "crit", json!(["exp"])), &c, Signer::Ec),
            Some("crit_unsupported"),
        ),
        ("two_segments", head.to_owned(), Some("malformed")),
        (
            "padded_base64",
            format!("{head}=.{sig_of_good}"),
            Some("bad_base64"),
        ),
        (
            "padded_signature",
            format!("{head}.{sig_of_good}="),
            Some("bad_base64"),
        ),
        (
            "oversized_header",
            format!("{}.{}.{}", "e".repeat(3000), b64(b"{}"), b64(b"x")),
            Some("header_too_large"),
        ),
        (
            "oversized_token",
            ".".repeat(16_385),
            Some("token_too_large"),
        ),
        (
            "not_json_payload",
            format!("{}.{}.{}", h64, b64(b"hello"), sig_of_good),
            Some("bad_signature"),
        ),
    ]
}

fn verification(k: &Keys) -> Vec<Value> {
    let cfg = verifier_config();
    let keys = KeySet::from_jwks(k.jwks().to_string().as_bytes(), &cfg.algorithms).unwrap();
    verification_cases(k)
        .into_iter()
        .map(|(name, token, want)| {
            let got = verify_with_keys(&token, &cfg, &keys, NOW);
            let expect = match (&got, want) {
                (Ok(claims), None) => json!({"ok": true, "claims": claims}),
                (Err(e), Some(reason)) if e.reason.as_str() == reason => {
                    json!({"ok": false, "code": e.code, "reason": e.reason.as_str()})
                }
                other => panic!(
                    "vector `{name}`: expected {want:?}, core says {:?}",
                    other.0
                ),
            };
            json!({"name": name, "token": token, "expect": expect})
        })
        .collect()
}

/// The hand-written scope cases (`core/conformance/scopes.json`).
pub const SCOPES: &str = include_str!("../../conformance/scopes.json");
/// The hand-written classification cases (`core/conformance/classification.json`).
pub const CLASSIFICATION: &str = include_str!("../../conformance/classification.json");

/// The operations of `scopes.json`, each with the inputs its cases carry.
pub const SCOPE_OPERATIONS: &[(&str, &[&str])] = &[
    ("parse", &["input"]),
    ("allows", &["granted", "action", "target"]),
    ("covers", &["granted", "scope"]),
    ("is_within", &["scopes", "ceiling"]),
    ("attenuate", &["requested", "allowed"]),
];

/// Checks that a case has a one-line `why` and an `expect` that is a success or an error
/// with `code` and `reason`; the expected values themselves are never computed here.
fn check_case(section: &str, case: &Value, inputs: &[&str]) {
    let why = case["why"].as_str().unwrap_or_default();
    assert!(
        !why.is_empty() && !why.contains('\n'),
        "{section}: every case needs a one-line `why`: {case}"
    );
    for key in inputs {
        assert!(
            case.get(key).is_some(),
            "{section}: case without `{key}`: {case}"
        );
    }
    let expect = &case["expect"];
    match expect["ok"].as_bool() {
        Some(true) => {}
        Some(false) => assert!(
            expect["code"].is_string() && expect["reason"].is_string(),
            "{section}: an error needs `code` and `reason`: {case}"
        ),
        None => panic!("{section}: `expect.ok` must be true or false: {case}"),
    }
}

/// The scope cases, copied from the hand-written file after checking their shape.
fn scopes() -> Value {
    let doc: Value = serde_json::from_str(SCOPES).unwrap();
    for (op, inputs) in SCOPE_OPERATIONS {
        let cases = doc[op]
            .as_array()
            .unwrap_or_else(|| panic!("scopes.json has no `{op}`"));
        for case in cases {
            check_case(op, case, inputs);
        }
    }
    doc
}

/// The classification cases, copied from the hand-written file after checking their shape.
fn classification() -> Value {
    let doc: Value = serde_json::from_str(CLASSIFICATION).unwrap();
    for case in doc["cases"].as_array().unwrap() {
        check_case("classification", case, &["method", "path", "query", "body"]);
        assert!(case["body"].is_string(), "the body is a string: {case}");
    }
    doc["cases"].clone()
}

/// The whole vectors document, as written to disk.
pub fn generate() -> String {
    let k = Keys::new();
    let cfg = verifier_config();
    let doc = json!({
        "about": "oauth4os conformance vectors; regenerate with `make vectors`; every SDK replays them. \
                  `verification` is generated here; `scopes` and `classification` are copied from the \
                  hand-written core/conformance/scopes.json and classification.json",
        "version": 2,
        "now": NOW,
        "verifier": cfg,
        "jwks": k.jwks(),
        "verification": verification(&k),
        "scopes": scopes(),
        "classification": classification(),
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap();
    s.push('\n');
    s
}

pub fn algorithms() -> Vec<Algorithm> {
    Algorithm::ALL.to_vec()
}
