//! Generates the cross-language conformance vectors (`core/conformance/vectors.json`).
//!
//! Everything is deterministic: fixed keys (Ed25519 from a seed, P-256 from a fixed scalar with
//! RFC 6979 signatures, a checked-in RSA test key with PKCS#1 v1.5), a fixed `now`, and sorted
//! JSON maps. Each case states the outcome it is meant to have; generation fails if the core
//! disagrees, so the file can only ever record intended behaviour.
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
use oauth4os_core::classify::{Request, classify};
use oauth4os_core::jwk::KeySet;
use oauth4os_core::verify::{VerifierConfig, verify_with_keys};
use oauth4os_core::{Action, Algorithm, Scope, ScopeSet};
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
                (Err(e), Some(reason)) if e.reason == reason => {
                    json!({"ok": false, "code": e.code, "reason": e.reason})
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

fn scopes() -> Value {
    let parse: Vec<Value> = [
        "read:logs-*",
        "write:metrics-2026.*",
        "admin:*",
        "monitor:*",
        "manage:a+b_c",
        "read:logs-* read:logs-*",
        "openid",
        "read:",
        "read:Logs",
        "delete:logs",
        "read:_all",
        "read:a,b",
        "read:-x",
        "logs-*",
        "",
    ]
    .iter()
    .map(|input| match ScopeSet::parse(input) {
        Ok(s) => json!({"input": input, "ok": true, "normalized": s.to_string()}),
        Err(e) => json!({"input": input, "ok": false, "code": e.code, "reason": e.reason}),
    })
    .collect();
    let allows: Vec<Value> = [
        ("read:logs-*", "read", "logs-demo", true),
        ("read:logs-*", "read", "logs-2026.*", true),
        ("read:logs-*", "read", "*", false),
        ("read:logs-*", "write", "logs-demo", false),
        ("read:logs-*", "read", "metrics", false),
        ("admin:*", "write", "anything", true),
        ("read:*", "read", ".hidden", true),
        ("read:a*b*c", "read", "axbyc", true),
        ("read:a*b*c", "read", "axby", false),
        ("write:metrics-2026.*", "write", "metrics-2026.11", true),
        ("write:metrics-2026.*", "write", "metrics-2025.11", false),
    ]
    .iter()
    .map(|(granted, action, target, want)| {
        let s = Scope::parse(granted).unwrap();
        let a: Action = action.parse().unwrap();
        let got = s.allows(a, target);
        assert_eq!(got, *want, "scope vector {granted} {action} {target}");
        json!({"granted": granted, "action": action, "target": target, "allowed": got})
    })
    .collect();
    let attenuate: Vec<Value> = [
        ("read:logs-2026.*", "read:logs-* write:logs-app"),
        ("read:logs-* write:logs-app", "read:logs-* write:logs-app"),
        ("", "read:logs-*"),
        ("read:*", "read:logs-*"),
        ("write:logs-*", "read:logs-* write:logs-app"),
        ("admin:logs-app", "read:logs-* write:logs-app"),
        ("read:logs-app", "admin:*"),
    ]
    .iter()
    .map(|(req, allowed)| {
        let r = ScopeSet::parse(req).unwrap();
        let a = ScopeSet::parse(allowed).unwrap();
        match ScopeSet::attenuate(&r, &a) {
            Ok(s) => json!({"requested": req, "allowed": allowed, "ok": true, "granted": s.to_string()}),
            Err(e) => json!({"requested": req, "allowed": allowed, "ok": false, "code": e.code, "reason": e.reason}),
        }
    })
    .collect();
    json!({"parse": parse, "allows": allows, "attenuate": attenuate})
}

/// (method, path, query, body)
pub fn classification_inputs() -> Vec<(
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
)> {
    vec![
        ("GET", "/logs-demo/_search", None, ""),
        (
            "POST",
            "/logs-*/_search",
            None,
            r#"{"query":{"match":{"level":"error"}}}"#,
        ),
        ("GET", "/_search", None, ""),
        ("GET", "/_all/_search", None, ""),
        ("GET", "/*/_search", None, ""),
        ("GET", "/logs-a,logs-b/_count", None, ""),
        ("GET", "/logs-a,-logs-b,metrics/_search", None, ""),
        ("GET", "/%3Clogs-%7Bnow%2Fd%7D%3E/_search", None, ""),
        ("GET", "/logs%2Ddemo/_doc/1", None, ""),
        ("PUT", "/logs-demo/_doc/1", None, r#"{"level":"info"}"#),
        ("DELETE", "/logs-demo/_doc/1", None, ""),
        ("POST", "/logs-demo/_update/1", None, r#"{"doc":{"a":1}}"#),
        (
            "POST",
            "/_bulk",
            None,
            "{\"index\":{\"_index\":\"logs-a\"}}\n{\"a\":1}\n{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n{\"update\":{\"_index\":\"logs-b\",\"_id\":\"2\"}}\n{\"doc\":{\"a\":2}}\n",
        ),
        (
            "POST",
            "/logs-default/_bulk",
            None,
            "{\"create\":{}}\n{\"a\":1}\n{\"index\":{\"_index\":\"other\"}}\n{\"b\":1}\n",
        ),
        ("POST", "/_bulk", None, "{\"index\":{}}\n{\"a\":1}\n"),
        (
            "POST",
            "/_msearch",
            None,
            "{\"index\":\"logs-a\"}\n{\"query\":{}}\n{\"index\":[\"secret\",\"logs-b\"]}\n{}\n",
        ),
        ("POST", "/logs-x/_msearch", None, "{}\n{\"query\":{}}\n"),
        (
            "POST",
            "/_mget",
            None,
            r#"{"docs":[{"_index":"logs-a","_id":"1"},{"_index":"secret","_id":"2"}]}"#,
        ),
        ("POST", "/logs-a/_mget", None, r#"{"ids":["1","2"]}"#),
        (
            "POST",
            "/logs-demo/_delete_by_query",
            None,
            r#"{"query":{"match_all":{}}}"#,
        ),
        ("PUT", "/logs-new", None, ""),
        ("DELETE", "/logs-old", None, ""),
        ("PUT", "/logs-new/_mapping", None, r#"{"properties":{}}"#),
        ("GET", "/logs-new/_mapping", None, ""),
        (
            "POST",
            "/_aliases",
            None,
            r#"{"actions":[{"add":{"index":"logs-a","alias":"current"}}]}"#,
        ),
        ("GET", "/_cat/indices", None, ""),
        ("GET", "/_cat/indices/logs-*", Some("v=true"), ""),
        ("GET", "/_cluster/health", None, ""),
        ("GET", "/", None, ""),
        ("PUT", "/_cluster/settings", None, "{}"),
        ("GET", "/_plugins/_security/api/roles", None, ""),
        ("GET", "/remote:logs/_search", None, ""),
        ("GET", "/LOGS/_search", None, ""),
        ("GET", "/logs-demo/_unknown_endpoint", None, ""),
        ("GET", "/logs-demo//_search", None, ""),
        ("GET", "/logs-demo/%2E%2E/_search", None, ""),
        ("PATCH", "/logs-demo/_search", None, ""),
        (
            "POST",
            "/_bulk",
            None,
            "{\"explode\":{\"_index\":\"a\"}}\n{}\n",
        ),
        ("POST", "/_bulk", None, "not json\n"),
    ]
}

fn classification() -> Vec<Value> {
    classification_inputs()
        .into_iter()
        .map(|(method, path, query, body)| {
            let req = Request {
                method,
                path,
                query,
                body: body.as_bytes(),
            };
            let expect = match classify(&req) {
                Ok(c) => json!({"ok": true, "endpoint": c.endpoint, "accesses": c.accesses}),
                Err(e) => json!({"ok": false, "code": e.code, "reason": e.reason}),
            };
            json!({"method": method, "path": path, "query": query, "body": body, "expect": expect})
        })
        .collect()
}

/// The whole vectors document, as written to disk.
pub fn generate() -> String {
    let k = Keys::new();
    let cfg = verifier_config();
    let doc = json!({
        "about": "oauth4os conformance vectors; regenerate with `make vectors`; every SDK replays them",
        "version": 1,
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
