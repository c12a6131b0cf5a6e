//! Discovery documents and the JWKS.

use axum::http::{StatusCode, header};
use oauth4os_core::jwk::KeySet;
use oauth4os_core::{Algorithm, Verifier, VerifierConfig};
use serde_json::json;

use super::{AUD, Harness, ISSUER};

#[tokio::test]
async fn rfc_8414_metadata() {
    let h = Harness::new();
    let r = h.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(r.status, StatusCode::OK);
    let m = &r.body;
    assert_eq!(m["issuer"], ISSUER);
    assert_eq!(m["token_endpoint"], format!("{ISSUER}/oauth/token"));
    assert_eq!(m["revocation_endpoint"], format!("{ISSUER}/oauth/revoke"));
    assert_eq!(
        m["introspection_endpoint"],
        format!("{ISSUER}/oauth/introspect")
    );
    assert_eq!(m["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(
        m["grant_types_supported"],
        json!([
            "authorization_code",
            "client_credentials",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(
        m["authorization_endpoint"],
        format!("{ISSUER}/oauth/authorize")
    );
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        m["scopes_supported"],
        json!(["monitor:*", "read:*", "read:logs-*", "write:logs-app"])
    );
    assert_eq!(
        m["revocation_endpoint_auth_methods_supported"],
        json!(["none", "client_secret_basic", "client_secret_post"])
    );
    assert!(m["introspection_endpoint_auth_methods_supported"].is_array());

    let oidc = h.get("/.well-known/openid-configuration").await.body;
    assert_eq!(oidc["issuer"], ISSUER);
    assert_eq!(oidc["jwks_uri"], m["jwks_uri"]);
    assert_eq!(oidc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        oidc["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
}

#[tokio::test]
async fn jwks_holds_public_keys_only_and_verifies_tokens() {
    let h = Harness::new();
    let r = h.get("/.well-known/jwks.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(
        (&k["kty"], &k["crv"], &k["alg"], &k["use"]),
        (
            &json!("EC"),
            &json!("P-256"),
            &json!("ES256"),
            &json!("sig")
        )
    );
    assert!(k["kid"].is_string() && k["x"].is_string() && k["y"].is_string());
    assert!(k.get("d").is_none());
    assert_eq!(r.body, h.server.jwks());

    // A resource server verifies with the core's Verifier over these keys.
    let set = KeySet::from_jwks(r.text.as_bytes(), &[Algorithm::ES256]).unwrap();
    let mut cfg = VerifierConfig::new(ISSUER, AUD);
    cfg.required_typ = Some("at+jwt".into());
    let verifier = Verifier::with_keys(cfg, set).unwrap();
    let token = h.token("ci", "ci-secret", &[]).await;
    let claims = verifier
        .verify(token["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.client_id.as_deref(), Some("ci"));
    assert_eq!(h.server.issuer(), ISSUER);
}
