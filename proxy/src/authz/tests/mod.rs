//! Tests of the authorization server over its router (`tower::ServiceExt::oneshot`), each
//! with its own SQLite file in a temporary directory.

mod admin;
mod cimd;
mod discovery;
mod errors;
mod introspect;
mod persistence;
mod public;
mod refresh;
mod register;
mod revoke;
mod sdk;
mod sessions;
mod token;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use oauth4os_core::jwk::KeySet;
use oauth4os_core::verify::{unix_now, verify_with_keys};
use oauth4os_core::{Algorithm, Claims, VerifierConfig};
use serde_json::Value;
use tower::ServiceExt as _;

use super::{AuthConfig, AuthServer, ClientEntry};
use crate::services::secrets::{random_bytes, test_hash};
use oauth4os_core::http::{basic_auth, form_component as form_encode, form_urlencode};

pub const KEK: [u8; 32] = [7; 32];
pub const ISSUER: &str = "http://localhost:8443";
pub const AUD: &str = "https://search.example";
pub const AUD2: &str = "https://other.example";
pub const ADMIN_ID: &str = "oauth4os-admin";
pub const ADMIN_SECRET: &str = "admin-secret-for-tests-0123456789";

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let tag = hex(&random_bytes::<8>().unwrap());
        let dir = std::env::temp_dir().join(format!("oauth4os-auth-test-{tag}"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn db(&self) -> PathBuf {
        self.0.join("auth.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn entry(id: &str, secret: &str, scopes: &str, grants: &[&str]) -> ClientEntry {
    ClientEntry {
        id: id.into(),
        secret_hash: test_hash(secret),
        scopes: oauth4os_core::ScopeSet::parse(scopes).unwrap(),
        grant_types: grants
            .iter()
            .map(|g| crate::services::config::typed::parse_grant_type(g).unwrap())
            .collect(),
        tenant: None,
        access_token_ttl: None,
        redirect_uris: Vec::new(),
        rate_limit: None,
        token_endpoint_auth_method: None,
        tls_client_auth_subject_dn: None,
        tls_client_auth_san_dns: None,
        tls_client_certificate_thumbprints: Vec::new(),
        tls_client_certificate_bound_access_tokens: None,
        allowed_ips: Vec::new(),
        audiences: Vec::new(),
    }
}

/// The clients every test starts with.
pub fn clients() -> Vec<ClientEntry> {
    let mut agent = entry(
        "agent",
        "agent-secret",
        "read:logs-* monitor:*",
        &["client_credentials", "refresh_token"],
    );
    agent.tenant = Some("acme".into());
    vec![
        entry("ci", "ci-secret", "read:logs-* write:logs-app", &[]),
        agent,
        entry(
            "other",
            "other-secret",
            "read:*",
            &["client_credentials", "refresh_token"],
        ),
        entry("rt-only", "rt-secret", "read:logs-*", &["refresh_token"]),
    ]
}

pub fn config(dir: &TempDir) -> AuthConfig {
    let mut cfg = AuthConfig::new(ISSUER, AUD, dir.db());
    cfg.audiences.push(AUD2.into());
    cfg.clients = clients();
    cfg.admin = Some(super::AdminConfig {
        client_id: ADMIN_ID.into(),
        secret_hash: Some(test_hash(ADMIN_SECRET)),
    });
    cfg
}

pub struct Harness {
    pub dir: TempDir,
    pub server: Arc<AuthServer>,
    pub router: Router,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    /// A harness whose configuration `change` adjusts first.
    pub fn with(change: impl FnOnce(&mut AuthConfig)) -> Self {
        let dir = TempDir::new();
        let mut cfg = config(&dir);
        change(&mut cfg);
        let server = AuthServer::open(cfg, KEK).unwrap();
        let router = full_router(&server);
        Self {
            dir,
            server,
            router,
        }
    }

    /// POSTs a form, with optional HTTP Basic credentials.
    pub async fn post(&self, path: &str, form: &str, basic: Option<(&str, &str)>) -> Reply {
        post(&self.router, path, form, basic).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        let req = Request::get(path).body(Body::empty()).unwrap();
        send(&self.router, req).await
    }

    /// A client-credentials token response for `client` (Basic auth), which must succeed.
    pub async fn token(&self, client: &str, secret: &str, extra: &[(&str, &str)]) -> Value {
        let mut pairs = vec![("grant_type", "client_credentials")];
        pairs.extend_from_slice(extra);
        let r = self
            .post("/oauth/token", &form(&pairs), Some((client, secret)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
    }

    /// A refresh; the reply as is.
    pub async fn refresh(
        &self,
        client: &str,
        secret: &str,
        rt: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
        pairs.extend_from_slice(extra);
        self.post("/oauth/token", &form(&pairs), Some((client, secret)))
            .await
    }

    /// Verifies a token offline against the server's JWKS with the core.
    pub fn verify_offline(&self, token: &str) -> oauth4os_core::Result<Claims> {
        let keys = KeySet::from_jwks(
            self.server.jwks().to_string().as_bytes(),
            &[Algorithm::ES256],
        )?;
        let mut cfg = VerifierConfig::new(ISSUER, AUD);
        cfg.audiences.push(AUD2.into());
        cfg.required_typ = Some("at+jwt".into());
        verify_with_keys(token, &cfg, &keys, unix_now())
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencode(pairs)
}

pub fn basic(id: &str, secret: &str) -> String {
    basic_auth(id, secret)
}

pub async fn post(
    router: &Router,
    path: &str,
    body: &str,
    basic_auth: Option<(&str, &str)>,
) -> Reply {
    let mut req =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic_auth {
        req = req.header(header::AUTHORIZATION, basic(id, secret));
    }
    send(router, req.body(Body::from(body.to_owned())).unwrap()).await
}

pub async fn send(router: &Router, req: Request<Body>) -> Reply {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// The authorization server's router with the admin API merged in, as the edge serves them.
pub fn full_router(server: &Arc<AuthServer>) -> Router {
    server.router().merge(crate::admin::service(server))
}
