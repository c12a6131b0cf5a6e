//! The core's own SDK client and JWKS-discovering verifier against this server over TCP:
//! discovery (RFC 8414), `client_secret_basic` and `client_secret_post` encoding, the refresh
//! grant, and resource-server verification through the published JWKS.

use std::sync::Arc;
use std::time::Duration;

use oauth4os_core::client::ClientAuth;
use oauth4os_core::http::ReqwestTransport;
use oauth4os_core::jwks::JwksPolicy;
use oauth4os_core::{ClientConfig, ErrorCode, Secret, TokenClient, Verifier, VerifierConfig};

use super::{AUD, KEK, TempDir, clients, entry};
use crate::authz::{AuthConfig, AuthServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_sdk_client_and_verifier_work_against_the_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let dir = TempDir::new();
    let mut cfg = AuthConfig::new(&issuer, AUD, dir.db());
    cfg.clients = clients();
    // A secret that needs form encoding in HTTP Basic.
    cfg.clients
        .push(entry("odd.id_~-", "p@ss w+rd%&=:", "read:logs-*", &[]));
    let server = AuthServer::open(cfg, KEK).unwrap();
    let router = super::full_router(&server);
    let serving = tokio::spawn(async move { axum::serve(listener, router).await });
    let http = Arc::new(ReqwestTransport::new(Duration::from_secs(5)).unwrap());

    let sdk = |id: &str, secret: &str, auth: ClientAuth| {
        let cfg = ClientConfig {
            issuer: Some(issuer.clone()),
            client_id: id.into(),
            client_secret: Some(Secret::new(secret)),
            scope: Some("read:logs-*".into()),
            auth,
            ..ClientConfig::default()
        };
        TokenClient::new(cfg, http.clone()).unwrap()
    };
    for auth in [ClientAuth::Basic, ClientAuth::Post] {
        let client = sdk("odd.id_~-", "p@ss w+rd%&=:", auth);
        let token = client.token().await.unwrap();
        assert_eq!(token.scope.as_deref(), Some("read:logs-*"), "{auth:?}");
    }

    // The refresh grant through the SDK: it rotates the refresh token.
    let agent = sdk("agent", "agent-secret", ClientAuth::Basic);
    let first = agent.token().await.unwrap();
    let second = agent.refresh(Some(&first.access_token)).await.unwrap();
    assert_ne!(first.refresh_token, second.refresh_token);
    assert_ne!(first.access_token, second.access_token);

    // A resource server discovers the JWKS from the issuer and verifies the token.
    let mut vc = VerifierConfig::new(&issuer, AUD);
    vc.required_typ = Some("at+jwt".into());
    let verifier = Verifier::with_jwks(vc, None, JwksPolicy::default(), http.clone()).unwrap();
    let claims = verifier.verify(&second.access_token).await.unwrap();
    assert_eq!(claims.client_id.as_deref(), Some("agent"));
    assert_eq!(claims.tenant.as_deref(), Some("acme"));

    // Errors reach the SDK with their OAuth codes.
    let e = sdk("agent", "wrong", ClientAuth::Basic)
        .token()
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidClient);
    let e = sdk("ci", "ci-secret", ClientAuth::Basic);
    let mut greedy = e.config().clone();
    greedy.scope = Some("admin:*".into());
    let e = TokenClient::new(greedy, http.clone())
        .unwrap()
        .token()
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidScope);
    serving.abort();
}
