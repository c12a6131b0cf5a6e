//! One regression test per known JWT attack, the RFC 7515 appendix examples, and the JWKS
//! cache's behaviour under hostile `kid`s and provider outages (with an in-memory transport).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/conformance.rs"]
mod conformance;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use conformance::{AUDIENCE, ISSUER, Keys, NOW, Signer, b64, claims, verifier_config};
use oauth4os_core::http::{BoxFuture, HttpRequest, HttpResponse, HttpTransport};
use oauth4os_core::jwk::{KeySet, VerifyingKey};
use oauth4os_core::jwks::JwksPolicy;
use oauth4os_core::verify::verify_with_keys;
use oauth4os_core::{Algorithm, ErrorCode, Verifier, VerifierConfig};
use serde_json::json;

fn keyset(k: &Keys) -> KeySet {
    KeySet::from_jwks(k.jwks().to_string().as_bytes(), &Algorithm::ALL).unwrap()
}

fn reason(token: &str) -> String {
    let k = Keys::new();
    let e = verify_with_keys(token, &verifier_config(), &keyset(&k), NOW).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidToken);
    assert!(
        !e.message.contains(token) || token.len() < 8,
        "errors never echo the token"
    );
    e.reason.as_str().to_owned()
}

fn es_header() -> serde_json::Value {
    json!({"alg":"ES256","typ":"at+jwt","kid":"es-1"})
}

#[test]
fn the_baseline_token_verifies() {
    let k = Keys::new();
    let t = k.token(&es_header(), &claims(), Signer::Ec);
    let c = verify_with_keys(&t, &verifier_config(), &keyset(&k), NOW).unwrap();
    assert_eq!(c.client_id.as_deref(), Some("my-agent"));
}

#[test]
fn alg_none_is_rejected() {
    let c = claims().to_string();
    for alg in ["none", "None", "NONE"] {
        let t = format!(
            "{}.{}.{}",
            b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes()),
            b64(c.as_bytes()),
            b64(b"x")
        );
        assert_eq!(reason(&t), "alg_none");
    }
    let unsigned = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(c.as_bytes()));
    assert_eq!(reason(&unsigned), "malformed");
}

#[test]
fn hs256_keyed_with_the_rsa_public_key_is_rejected() {
    let k = Keys::new();
    let t = k.token(
        &json!({"alg":"HS256","kid":"rs-1","typ":"at+jwt"}),
        &claims(),
        Signer::HmacWithRsaPublicKey,
    );
    assert_eq!(reason(&t), "alg_not_allowed");
}

#[test]
fn kid_injection_finds_no_key() {
    let k = Keys::new();
    for kid in [
        "../../../../etc/passwd",
        "' OR '1'='1",
        "es-1\u{0000}",
        "https://evil.test/k",
    ] {
        let t = k.token(
            &json!({"alg":"ES256","typ":"at+jwt","kid":kid}),
            &claims(),
            Signer::Ec,
        );
        assert_eq!(reason(&t), "unknown_kid", "{kid:?}");
    }
}

#[test]
fn jku_x5u_and_embedded_jwk_are_ignored() {
    let k = Keys::new();
    for extra in [
        json!({"jku": "https://attacker.test/jwks.json"}),
        json!({"x5u": "https://attacker.test/cert.pem"}),
        json!({"jwk": k.attacker_jwk()}),
    ] {
        let mut h = es_header();
        for (key, v) in extra.as_object().unwrap() {
            h[key] = v.clone();
        }
        // Signed by the attacker: the header's key hints must not make it verify.
        assert_eq!(
            reason(&k.token(&h, &claims(), Signer::Attacker)),
            "bad_signature"
        );
        // Signed by the real key: the hints are simply ignored.
        let ok = k.token(&h, &claims(), Signer::Ec);
        verify_with_keys(&ok, &verifier_config(), &keyset(&k), NOW).unwrap();
    }
}

#[test]
fn string_exp_is_rejected_not_skipped() {
    let k = Keys::new();
    let mut c = claims();
    c["exp"] = json!("9999999999");
    assert_eq!(reason(&k.token(&es_header(), &c, Signer::Ec)), "bad_claim");
    c["exp"] = json!(null);
    assert_eq!(reason(&k.token(&es_header(), &c, Signer::Ec)), "bad_claim");
}

#[test]
fn a_token_of_100000_dots_is_rejected_cheaply() {
    assert_eq!(reason(&".".repeat(100_000)), "token_too_large");
}

#[test]
fn an_oversized_header_is_rejected() {
    let k = Keys::new();
    let mut h = es_header();
    h["pad"] = json!("x".repeat(4000));
    assert_eq!(
        reason(&k.token(&h, &claims(), Signer::Ec)),
        "header_too_large"
    );
}

#[test]
fn ecdsa_r_equals_s_equals_zero_is_rejected() {
    let k = Keys::new();
    assert_eq!(
        reason(&k.token(&es_header(), &claims(), Signer::Zero)),
        "bad_signature"
    );
}

#[test]
fn wrong_issuer_is_rejected() {
    let k = Keys::new();
    let mut c = claims();
    c["iss"] = json!(format!("{ISSUER}/"));
    assert_eq!(
        reason(&k.token(&es_header(), &c, Signer::Ec)),
        "wrong_issuer"
    );
}

#[test]
fn missing_audience_is_rejected() {
    let k = Keys::new();
    let mut c = claims();
    c.as_object_mut().unwrap().remove("aud");
    assert_eq!(
        reason(&k.token(&es_header(), &c, Signer::Ec)),
        "missing_aud"
    );
    c["aud"] = json!([]);
    assert_eq!(
        reason(&k.token(&es_header(), &c, Signer::Ec)),
        "missing_aud"
    );
}

#[test]
fn an_algorithm_not_allowed_for_the_issuer_is_rejected() {
    let k = Keys::new();
    let mut cfg = verifier_config();
    cfg.algorithms = vec![Algorithm::RS256];
    let keys = KeySet::from_jwks(k.jwks().to_string().as_bytes(), &cfg.algorithms).unwrap();
    let t = k.token(&es_header(), &claims(), Signer::Ec);
    assert_eq!(
        verify_with_keys(&t, &cfg, &keys, NOW).unwrap_err().reason,
        "alg_not_allowed"
    );
}

#[test]
fn a_verifier_without_audience_cannot_be_built() {
    let k = Keys::new();
    let mut cfg = verifier_config();
    cfg.audiences = vec![];
    assert_eq!(
        Verifier::with_keys(cfg, keyset(&k)).unwrap_err().code,
        ErrorCode::Config
    );
}

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): published examples.
const RFC_PAYLOAD_B64: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const A3_SIG: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

fn rfc_check(jwk: serde_json::Value, alg: &str, sig: &str) {
    let header = b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes());
    let token = format!("{header}.{RFC_PAYLOAD_B64}.{sig}");
    let mut set = KeySet::default();
    set.insert(VerifyingKey::from_jwk(&jwk, &Algorithm::ALL).unwrap());
    let mut cfg = VerifierConfig::new("joe", "anything");
    // The example has no audience: the signature verifies, then the audience check fails.
    let e = verify_with_keys(&token, &cfg, &set, 1_300_819_000).unwrap_err();
    assert_eq!(e.reason, "missing_aud");
    // Its `exp` has long passed.
    cfg.issuer = "joe".into();
    let e = verify_with_keys(&token, &cfg, &set, 1_400_000_000).unwrap_err();
    assert_eq!(e.reason, "missing_aud", "audience is checked before time");
    // One flipped signature byte breaks it.
    let mut bad = sig.as_bytes().to_vec();
    bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
    let bad = format!(
        "{header}.{RFC_PAYLOAD_B64}.{}",
        String::from_utf8(bad).unwrap()
    );
    assert_eq!(
        verify_with_keys(&bad, &cfg, &set, 1_300_819_000)
            .unwrap_err()
            .reason,
        "bad_signature"
    );
}

#[test]
fn rfc7515_a2_rs256_example() {
    rfc_check(json!({"kty":"RSA","n":A2_N,"e":"AQAB"}), "RS256", A2_SIG);
}

#[test]
fn rfc7515_a3_es256_example() {
    rfc_check(
        json!({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}),
        "ES256",
        A3_SIG,
    );
}

/// A provider in memory: metadata and JWKS, a request log, and a switch to take it down.
struct FakeIdp {
    jwks: Mutex<String>,
    log: Mutex<Vec<String>>,
    jwks_hits: AtomicUsize,
    down: AtomicBool,
}

impl FakeIdp {
    fn new(jwks: String) -> Arc<Self> {
        Arc::new(Self {
            jwks: Mutex::new(jwks),
            log: Mutex::default(),
            jwks_hits: AtomicUsize::new(0),
            down: AtomicBool::new(false),
        })
    }
}

impl HttpTransport for FakeIdp {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, oauth4os_core::Result<HttpResponse>> {
        Box::pin(async move {
            self.log.lock().unwrap().push(req.url.clone());
            if self.down.load(Ordering::SeqCst) {
                return Err(oauth4os_core::Error::network("connection refused"));
            }
            let body = if req.url == format!("{ISSUER}/.well-known/oauth-authorization-server") {
                json!({"issuer": ISSUER, "jwks_uri": format!("{ISSUER}/jwks"), "token_endpoint": format!("{ISSUER}/token")}).to_string()
            } else if req.url == format!("{ISSUER}/jwks") {
                self.jwks_hits.fetch_add(1, Ordering::SeqCst);
                self.jwks.lock().unwrap().clone()
            } else {
                return Ok(HttpResponse {
                    status: 404,
                    ..Default::default()
                });
            };
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: body.into_bytes(),
            })
        })
    }
}

fn jwks_verifier(idp: &Arc<FakeIdp>, policy: JwksPolicy) -> Verifier {
    let cfg = verifier_config();
    Verifier::with_jwks(cfg, None, policy, idp.clone()).unwrap()
}

#[tokio::test]
async fn jku_is_never_fetched_and_random_kids_do_not_amplify() {
    let k = Keys::new();
    let idp = FakeIdp::new(k.jwks().to_string());
    let v = jwks_verifier(
        &idp,
        JwksPolicy {
            min_refresh_interval: Duration::from_secs(3600),
            ..Default::default()
        },
    );
    let good = k.token(&es_header(), &claims(), Signer::Ec);
    v.verify_at(&good, NOW).await.unwrap();
    assert_eq!(idp.jwks_hits.load(Ordering::SeqCst), 1);
    for i in 0..200 {
        let mut h = es_header();
        h["kid"] = json!(format!("random-{i}"));
        h["jku"] = json!("https://attacker.test/jwks.json");
        let t = k.token(&h, &claims(), Signer::Attacker);
        assert_eq!(
            v.verify_at(&t, NOW).await.unwrap_err().reason,
            "unknown_kid"
        );
    }
    // At most one refresh for the whole flood.
    assert!(
        idp.jwks_hits.load(Ordering::SeqCst) <= 2,
        "{}",
        idp.jwks_hits.load(Ordering::SeqCst)
    );
    assert!(
        idp.log
            .lock()
            .unwrap()
            .iter()
            .all(|u| !u.contains("attacker"))
    );
}

#[tokio::test]
async fn rotation_is_picked_up_on_unknown_kid() {
    let k = Keys::new();
    let idp = FakeIdp::new(json!({"keys": [k.jwks()["keys"][1]]}).to_string()); // RSA only
    let v = jwks_verifier(
        &idp,
        JwksPolicy {
            min_refresh_interval: Duration::ZERO,
            ..Default::default()
        },
    );
    let es = k.token(&es_header(), &claims(), Signer::Ec);
    assert_eq!(
        v.verify_at(&es, NOW).await.unwrap_err().reason,
        "unknown_kid"
    );
    *idp.jwks.lock().unwrap() = k.jwks().to_string(); // the provider adds the EC key
    v.verify_at(&es, NOW).await.unwrap();
}

#[tokio::test]
async fn cached_keys_serve_while_the_provider_is_down_until_max_stale() {
    let k = Keys::new();
    let idp = FakeIdp::new(k.jwks().to_string());
    let policy = JwksPolicy {
        min_refresh_interval: Duration::ZERO,
        ttl: Duration::ZERO,
        max_stale: Duration::from_millis(300),
    };
    let v = jwks_verifier(&idp, policy).with_cache_capacity(0);
    let t = k.token(&es_header(), &claims(), Signer::Ec);
    v.verify_at(&t, NOW).await.unwrap();
    idp.down.store(true, Ordering::SeqCst);
    v.verify_at(&t, NOW).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let e = v.verify_at(&t, NOW).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
}

#[tokio::test]
async fn metadata_with_another_issuer_is_refused() {
    struct Liar;
    impl HttpTransport for Liar {
        fn send(&self, _req: HttpRequest) -> BoxFuture<'_, oauth4os_core::Result<HttpResponse>> {
            Box::pin(async {
                let body =
                    json!({"issuer": "https://evil.test", "jwks_uri": "https://evil.test/jwks"})
                        .to_string();
                Ok(HttpResponse {
                    status: 200,
                    headers: vec![],
                    body: body.into_bytes(),
                })
            })
        }
    }
    let v = Verifier::with_jwks(
        verifier_config(),
        None,
        JwksPolicy::default(),
        Arc::new(Liar),
    )
    .unwrap();
    let k = Keys::new();
    let e = v
        .verify_at(&k.token(&es_header(), &claims(), Signer::Ec), NOW)
        .await
        .unwrap_err();
    assert_eq!(e.reason, "issuer_mismatch");
}

#[tokio::test]
async fn cached_verification_never_outlives_exp_or_revocation() {
    let k = Keys::new();
    let v = Verifier::with_keys(verifier_config(), keyset(&k)).unwrap();
    let t = k.token(&es_header(), &claims(), Signer::Ec);
    v.verify_at(&t, NOW).await.unwrap();
    assert!(v.cached(&t, NOW).is_some());
    let exp = claims()["exp"].as_i64().unwrap();
    assert!(v.cached(&t, exp + 60).is_none(), "not past exp + leeway");
    assert_eq!(
        v.verify_at(&t, exp + 60).await.unwrap_err().reason,
        "expired"
    );
    v.verify_at(&t, NOW).await.unwrap();
    v.revoke_jti("j-1");
    assert!(v.cached(&t, NOW).is_none());
    let _ = AUDIENCE;
}
