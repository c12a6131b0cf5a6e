//! JWKS discovery, verification and the SDK client against the real `oidc-provider`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/idp.rs"]
mod idp;

use std::sync::Arc;
use std::time::Duration;

use idp::Idp;
use oauth4os_core::client::{ClientAuth, ClientConfig, Secret, TokenClient};
use oauth4os_core::http::ReqwestTransport;
use oauth4os_core::jwks::JwksPolicy;
use oauth4os_core::{ErrorCode, Verifier, VerifierConfig};

const RESOURCE: &str = "http://127.0.0.1:8443";

fn transport() -> Arc<ReqwestTransport> {
    Arc::new(ReqwestTransport::new(Duration::from_secs(10)).unwrap())
}

fn client(idp: &Idp, resource: &str) -> TokenClient {
    let cfg = ClientConfig {
        issuer: Some(idp.issuer.clone()),
        client_id: "ci-client".into(),
        client_secret: Some(Secret::new("ci-secret")),
        scope: Some("read:logs-*".into()),
        resource: Some(resource.into()),
        ..Default::default()
    };
    TokenClient::new(cfg, transport()).unwrap()
}

fn verifier(idp: &Idp, audience: &str, policy: JwksPolicy) -> Verifier {
    let mut cfg = VerifierConfig::new(&idp.issuer, audience);
    cfg.required_typ = Some("at+jwt".into());
    Verifier::with_jwks(cfg, None, policy, transport()).unwrap()
}

#[tokio::test]
async fn discovers_jwks_and_verifies_es256_and_rs256_tokens() {
    let idp = Idp::start(&[]);
    for resource in [RESOURCE.to_owned(), format!("{RESOURCE}/rs256")] {
        let c = client(&idp, &resource);
        let token = c.token().await.unwrap();
        assert_eq!(token.token_type, "Bearer");
        // Audience given with a trailing slash still matches.
        let v = verifier(&idp, &format!("{resource}/"), JwksPolicy::default());
        let claims = v.verify(&token.access_token).await.unwrap();
        assert_eq!(claims.iss, idp.issuer);
        assert_eq!(claims.client_id.as_deref(), Some("ci-client"));
        assert!(
            claims
                .scope
                .as_deref()
                .unwrap()
                .split(' ')
                .any(|s| s == "read:logs-*")
        );
        // The wrong audience is refused.
        let other = verifier(&idp, "https://elsewhere.test", JwksPolicy::default());
        let e = other.verify(&token.access_token).await.unwrap_err();
        assert_eq!(e.reason, "wrong_audience");
    }
    let (_, jwks) = idp.stats().await;
    assert!(jwks >= 1);
}

#[tokio::test]
async fn client_secret_post_works_and_a_wrong_secret_is_invalid_client() {
    let idp = Idp::start(&[]);
    let mut cfg = ClientConfig {
        token_endpoint: Some(format!("{}/token", idp.issuer)),
        client_id: "agent-a".into(),
        client_secret: Some(Secret::new("secret-a")),
        resource: Some(RESOURCE.into()),
        auth: ClientAuth::Post,
        ..Default::default()
    };
    TokenClient::new(cfg.clone(), transport())
        .unwrap()
        .token()
        .await
        .unwrap();
    cfg.client_secret = Some(Secret::new("wrong"));
    let e = TokenClient::new(cfg, transport())
        .unwrap()
        .token()
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidClient);
    assert!(
        !e.to_string().contains("wrong"),
        "the secret never appears in errors"
    );
}

#[tokio::test]
async fn one_hundred_concurrent_callers_make_one_token_request() {
    let idp = Idp::start(&[]);
    let c = Arc::new(client(&idp, RESOURCE));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.access_token().await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        idp.stats().await.0,
        1,
        "the provider saw exactly one token request"
    );
    assert_eq!(c.stats().token_requests, 1);
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    let idp = Idp::start(&["--ttl", "3"]);
    let c = client(&idp, RESOURCE);
    let first = c.access_token().await.unwrap();
    assert_eq!(c.access_token().await.unwrap(), first, "cached while fresh");
    // Refresh happens a fifth of the lifetime early: after ~2.4 s of a 3 s token.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let second = c.access_token().await.unwrap();
    assert_ne!(first, second);
    assert_eq!(idp.stats().await.0, 2);
    // The new token verifies, the old one is about to expire but still within its lifetime.
    let v = verifier(&idp, RESOURCE, JwksPolicy::default());
    v.verify(&second).await.unwrap();
}

#[tokio::test]
async fn key_rotation_is_picked_up_and_cached_keys_survive_an_outage() {
    let idp = Idp::start(&[]);
    let port = idp.port.to_string();
    let policy = JwksPolicy {
        min_refresh_interval: Duration::ZERO,
        ..Default::default()
    };
    let v = verifier(&idp, RESOURCE, policy).with_cache_capacity(0);
    let old = client(&idp, RESOURCE).access_token().await.unwrap();
    v.verify(&old).await.unwrap();

    // Provider down: the cached keys keep verifying.
    idp.stop();
    v.verify(&old).await.unwrap();

    // Back on the same port with freshly generated keys: new tokens verify after a refresh.
    let idp = Idp::start(&["--port", &port]);
    let new = client(&idp, RESOURCE).access_token().await.unwrap();
    let claims = v.verify(&new).await.unwrap();
    assert_eq!(claims.client_id.as_deref(), Some("ci-client"));
    assert_eq!(
        idp.stats().await.1,
        1,
        "exactly one JWKS fetch for the rotation"
    );
    // Tokens signed by the retired key no longer verify.
    assert_eq!(v.verify(&old).await.unwrap_err().reason, "unknown_kid");
}
