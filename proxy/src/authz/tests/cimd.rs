//! Client ID Metadata Documents: a URL `client_id` resolved by fetching it, served here by a
//! local HTTP server on 127.0.0.1 that the test allowlist lets through.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{Harness, Reply, form};
use crate::authz::authorize::{CODE_TTL, s256};
use crate::services::config::authz::ClientMetadataDocumentsConfig;
use crate::services::secrets::sha256;
use crate::services::store::AuthorizationCode;
use oauth4os_core::verify::unix_now;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CB: &str = "http://127.0.0.1/callback";

/// One canned answer: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// A local HTTP/1.1 server answering canned documents by path and counting requests.
struct DocServer {
    base: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DocServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DocServer {
    async fn start(answers: impl FnOnce(&str) -> HashMap<&'static str, Answer>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let answers = Arc::new(answers(&base));
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (answers, counter) = (answers.clone(), counter.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let path = text.split(' ').nth(1).unwrap_or("").to_owned();
                    let (status, headers, body) = answers.get(path.as_str()).cloned().unwrap_or((
                        404,
                        vec![],
                        b"not found".to_vec(),
                    ));
                    let mut out = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    let _ = sock.write_all(out.as_bytes()).await;
                    let _ = sock.write_all(&body).await;
                });
            }
        });
        Self { base, hits, task }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn document(id: &str) -> Value {
    json!({
        "client_id": id,
        "client_name": "Example MCP client",
        "redirect_uris": [CB],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "read:logs-app write:logs-app",
    })
}

fn ok(doc: &Value) -> Answer {
    (200, vec![], doc.to_string().into_bytes())
}

fn harness(allowlist: bool) -> Harness {
    Harness::with(|cfg| {
        cfg.client_id_metadata_documents = Some(ClientMetadataDocumentsConfig {
            enabled: true,
            scope_ceiling: oauth4os_core::ScopeSet::parse("read:logs-*").unwrap(),
            tenant: None,
            allow_private_addresses: if allowlist {
                vec!["127.0.0.1/32".into()]
            } else {
                Vec::new()
            },
            danger_allow_http: allowlist,
        });
    })
}

fn reason(r: &Reply) -> &str {
    r.body["reason"].as_str().unwrap_or("")
}

impl Harness {
    /// A code for `client`, as `/oauth/authorize` stores it after sign-in and consent.
    async fn cimd_code(&self, client: &str) -> String {
        let code = format!(
            "code-{}",
            super::hex(&crate::services::secrets::random_bytes::<8>().unwrap())
        );
        self.server
            .store
            .put_authorization_code(AuthorizationCode {
                hash: sha256(code.as_bytes()),
                client_id: client.into(),
                redirect_uri: CB.into(),
                scope: "read:logs-app".into(),
                audience: super::AUD.into(),
                code_challenge: s256(VERIFIER),
                subject: "alice".into(),
                expires_at: unix_now() + CODE_TTL,
                consent_id: None,
                user_agent: None,
                address: None,
            })
            .await
            .unwrap();
        code
    }

    async fn cimd_redeem(&self, client: &str, code: &str) -> Reply {
        self.post(
            "/oauth/token",
            &form(&[
                ("grant_type", "authorization_code"),
                ("client_id", client),
                ("code", code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ]),
            None,
        )
        .await
    }

    async fn cimd_authorize(&self, client: &str, redirect_uri: &str) -> Reply {
        let q = form(&[
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", redirect_uri),
            ("code_challenge", &s256(VERIFIER)),
            ("code_challenge_method", "S256"),
            ("state", "s1"),
        ]);
        self.get(&format!("/oauth/authorize?{q}")).await
    }
}

#[tokio::test]
async fn a_url_client_id_is_resolved_from_its_document_and_cached() {
    let docs = DocServer::start(|base| {
        let id = format!("{base}/client.json");
        let mut m = HashMap::new();
        m.insert(
            "/client.json",
            (
                200,
                vec![("cache-control", "public, max-age=600".to_owned())],
                document(&id).to_string().into_bytes(),
            ),
        );
        m
    })
    .await;
    let h = harness(true);
    let meta = h.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(meta.body["client_id_metadata_document_supported"], true);
    let id = docs.url("/client.json");

    // /oauth/authorize accepts the client and its redirect URI (a loopback one, any port):
    // it goes on to the sign-in, which this harness has no provider for — an error answered
    // at the redirect URI, which only a verified client and redirect URI get.
    let r = h
        .cimd_authorize(&id, "http://127.0.0.1:61234/callback")
        .await;
    let location = r.headers["location"].to_str().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:61234/callback?error=server_error"),
        "{location}"
    );
    // A redirect URI the document does not list: a page, never a redirect.
    let r = h.cimd_authorize(&id, "https://evil.example/cb").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.headers.get("location").is_none());

    // At the token endpoint it is a public client: a code issued to it is redeemed with
    // `client_id` alone, for the scope within the ceiling.
    let code = h.cimd_code(&id).await;
    let r = h.cimd_redeem(&id, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let claims = h
        .verify_offline(r.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.client_id.as_deref(), Some(id.as_str()));
    assert!(r.body["refresh_token"].is_string());
    // Client credentials are not for it.
    let r = h
        .post(
            "/oauth/token",
            &form(&[("grant_type", "client_credentials"), ("client_id", &id)]),
            None,
        )
        .await;
    assert_eq!(r.error(), "unauthorized_client", "{}", r.text);
    assert_eq!(
        docs.hits.load(Ordering::SeqCst),
        1,
        "the document is cached"
    );
}

#[tokio::test]
async fn bad_documents_are_refused_with_their_reason() {
    let docs = DocServer::start(|base| {
        let mut m = HashMap::new();
        m.insert("/other.json", ok(&document(&format!("{base}/client.json"))));
        let mut big = document(&format!("{base}/big.json"));
        big["client_name"] = json!("x".repeat(6 * 1024));
        m.insert("/big.json", ok(&big));
        let mut secret = document(&format!("{base}/secret.json"));
        secret["token_endpoint_auth_method"] = json!("client_secret_basic");
        m.insert("/secret.json", ok(&secret));
        let mut grants = document(&format!("{base}/grants.json"));
        grants["grant_types"] = json!(["client_credentials"]);
        m.insert("/grants.json", ok(&grants));
        let mut redirect = document(&format!("{base}/redirect.json"));
        redirect["redirect_uris"] = json!(["http://evil.example/cb"]);
        m.insert("/redirect.json", ok(&redirect));
        m.insert("/text.json", (200, vec![], b"<html>".to_vec()));
        m.insert(
            "/moved.json",
            (
                302,
                vec![("location", format!("{base}/other.json"))],
                Vec::new(),
            ),
        );
        m
    })
    .await;
    let h = harness(true);
    for (path, status, want) in [
        ("/other.json", 401, "client_metadata_id_mismatch"),
        ("/big.json", 401, "client_metadata_too_large"),
        ("/secret.json", 401, "client_metadata_invalid"),
        ("/grants.json", 401, "client_metadata_invalid"),
        ("/redirect.json", 401, "client_metadata_invalid"),
        ("/text.json", 401, "client_metadata_invalid"),
        ("/moved.json", 401, "client_metadata_unavailable"),
        ("/missing.json", 401, "client_metadata_unavailable"),
    ] {
        let id = docs.url(path);
        let r = h.cimd_redeem(&id, "any-code").await;
        assert_eq!(r.status.as_u16(), status, "{path}: {}", r.text);
        assert_eq!(r.error(), "invalid_client", "{path}");
        assert_eq!(reason(&r), want, "{path}: {}", r.text);
        // /oauth/authorize shows the same refusal as a page.
        let page = h.cimd_authorize(&id, CB).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(page.headers.get("location").is_none(), "{path}");
    }
}

#[tokio::test]
async fn internal_addresses_and_http_are_refused_without_the_allowlist() {
    let docs = DocServer::start(|base| {
        let mut m = HashMap::new();
        let id = format!("{base}/client.json");
        m.insert("/client.json", ok(&document(&id)));
        m
    })
    .await;
    let h = harness(false);
    let port = docs.base.rsplit(':').next().unwrap().to_owned();
    for (id, want) in [
        (
            format!("https://127.0.0.1:{port}/client.json"),
            "client_metadata_address_refused",
        ),
        (
            format!("https://localhost:{port}/client.json"),
            "client_metadata_address_refused",
        ),
        (
            format!("https://[::ffff:7f00:1]:{port}/client.json"),
            "client_metadata_address_refused",
        ),
        (
            "https://169.254.169.254/latest/meta-data".to_owned(),
            "client_metadata_address_refused",
        ),
        (docs.url("/client.json"), "client_metadata_url_invalid"),
        (
            "https://app.example/a/../client.json".to_owned(),
            "client_metadata_url_invalid",
        ),
    ] {
        let r = h.cimd_redeem(&id, "any-code").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{id}: {}", r.text);
        assert_eq!(reason(&r), want, "{id}: {}", r.text);
    }
    assert_eq!(docs.hits.load(Ordering::SeqCst), 0, "nothing was fetched");

    // Disabled (the default): a URL is just an unknown client, and nothing is advertised.
    let off = Harness::new();
    let r = off.cimd_redeem(&docs.url("/client.json"), "any-code").await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    assert_eq!(reason(&r), "bad_client_auth");
    let meta = off.get("/.well-known/oauth-authorization-server").await;
    assert!(
        meta.body
            .get("client_id_metadata_document_supported")
            .is_none()
    );
    assert_eq!(docs.hits.load(Ordering::SeqCst), 0);
}
