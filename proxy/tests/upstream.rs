//! The connection to OpenSearch: keep-alive reuse, recovery from connections the upstream
//! closed, 504 when it does not answer, and HTTPS with a private CA, a client certificate and
//! the `danger_` switch.
//!
//! The upstream here is a small HTTP/1.1 server written for the test (over TLS where needed),
//! so that the test can count connections, close them without notice and refuse to answer;
//! the proxy in front of a real OpenSearch is tested in `resource.rs` and `resilience.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauth4os_proxy::{App, Loaded};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio_rustls::rustls;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Answers every request and keeps the connection open.
    KeepAlive,
    /// Answers, then closes the connection without saying so (no `Connection: close`).
    CloseSilently,
    /// Reads the request and never answers.
    Silent,
}

#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    client_certificates: AtomicUsize,
    heads: Mutex<Vec<String>>,
}

const BODY: &str = r#"{"count":7}"#;

/// Serves one connection: request heads and `content-length` bodies, a fixed JSON answer
/// (a large one for `/logs-big/...`).
async fn serve_conn<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, mode: Mode, seen: Arc<Seen>) {
    let mut buf = Vec::new();
    loop {
        let Some(head) = support::next_request(&mut s, &mut buf).await else {
            return;
        };
        let big = head.starts_with("GET /logs-big/");
        let is_head = head.starts_with("HEAD ");
        // What names reach and which pipelines writes run (an empty cluster) is answered in
        // every mode and not recorded: the tests here are about the requests forwarded.
        let path = head
            .strip_prefix("GET ")
            .and_then(|h| h.split(' ').next())
            .unwrap_or("");
        if let Some((status, body)) = support::empty_cluster_answer(path) {
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len(),
            );
            if s.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        seen.heads.lock().unwrap().push(head);
        if mode == Mode::Silent {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        let body = if big {
            format!("{{\"pad\":\"{}\"}}", "x".repeat(4 << 20))
        } else {
            BODY.to_owned()
        };
        // A HEAD answer announces the length of the body it leaves out.
        let sent = if is_head { "" } else { body.as_str() };
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{sent}",
            body.len()
        );
        if s.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
        if mode == Mode::CloseSilently {
            let _ = s.shutdown().await;
            return;
        }
    }
}

/// Starts the upstream; with `tls`, it requires a client certificate from `client_ca` when given.
async fn upstream(
    mode: Mode,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (std::net::SocketAddr, Arc<Seen>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = l.accept().await.unwrap();
            s2.connections.fetch_add(1, Ordering::SeqCst);
            let seen = s2.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    None => serve_conn(stream, mode, seen).await,
                    Some(cfg) => {
                        let Ok(t) = tokio_rustls::TlsAcceptor::from(cfg).accept(stream).await
                        else {
                            return;
                        };
                        if t.get_ref()
                            .1
                            .peer_certificates()
                            .is_some_and(|c| !c.is_empty())
                        {
                            seen.client_certificates.fetch_add(1, Ordering::SeqCst);
                        }
                        serve_conn(t, mode, seen).await;
                    }
                }
            });
        }
    });
    (addr, seen)
}

struct Proxy {
    base: String,
    token: String,
    _dir: tempfile::TempDir,
}

/// A proxy in front of `upstream_url`, with `[upstream]` lines `extra` and files `files`.
async fn proxy(upstream_url: &str, extra: &str, files: &[(&str, String)]) -> Proxy {
    proxy_with("", upstream_url, extra, files).await
}

/// [`proxy`] with top-level configuration lines `top`.
async fn proxy_with(top: &str, upstream_url: &str, extra: &str, files: &[(&str, String)]) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let toml = format!(
        "{top}\n{}",
        support::one_client_config(addr, upstream_url, extra)
    );
    let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [3u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(app, listener, std::future::pending()));
    let base = format!("http://{addr}");
    let token = support::client_token(&base).await;
    Proxy {
        base,
        token,
        _dir: dir,
    }
}

impl Proxy {
    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn keep_alive_connections_are_reused() {
    let (addr, seen) = upstream(Mode::KeepAlive, None).await;
    let p = proxy(&format!("http://{addr}"), "", &[]).await;
    for _ in 0..20 {
        let r = p.get("/logs-a/_count").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), BODY);
    }
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        1,
        "one connection for 20 requests"
    );
    let heads = seen.heads.lock().unwrap();
    assert_eq!(heads.len(), 20);
    // What OpenSearch receives: its own authority as `Host`, the proxy's identity headers,
    // no client credential.
    let h = heads[0].to_ascii_lowercase();
    assert!(h.starts_with("get /logs-a/_count http/1.1\r\n"), "{h}");
    assert!(h.contains(&format!("\r\nhost: {addr}\r\n")), "{h}");
    assert!(h.contains("\r\nx-proxy-user: c\r\n"), "{h}");
    assert!(!h.contains("authorization:"), "{h}");
}

#[tokio::test]
async fn opensearch_gets_the_client_address_and_never_a_forged_chain() {
    let (addr, seen) = upstream(Mode::KeepAlive, None).await;
    let forged = |p: &Proxy| {
        reqwest::Client::new()
            .get(format!("{}/logs-a/_count", p.base))
            .bearer_auth(&p.token)
            .header("x-forwarded-for", "203.0.113.9")
            .send()
    };
    let direct = proxy(&format!("http://{addr}"), "", &[]).await;
    assert_eq!(forged(&direct).await.unwrap().status(), 200);
    // Behind a trusted load balancer (here: the test itself), its chain goes on, extended.
    let behind = proxy_with(
        r#"trusted_proxies = ["127.0.0.1"]"#,
        &format!("http://{addr}"),
        "",
        &[],
    )
    .await;
    assert_eq!(forged(&behind).await.unwrap().status(), 200);
    let heads = seen.heads.lock().unwrap();
    let xff = |h: &str| {
        h.lines()
            .filter_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("x-forwarded-for: ")
                    .map(str::to_owned)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(xff(&heads[0]), ["127.0.0.1"]);
    assert_eq!(xff(&heads[1]), ["203.0.113.9, 127.0.0.1"]);
}

#[tokio::test]
async fn a_head_answer_keeps_its_length_and_its_connection() {
    let (addr, seen) = upstream(Mode::KeepAlive, None).await;
    let p = proxy(&format!("http://{addr}"), "", &[]).await;
    let c = reqwest::Client::new();
    let r = c
        .head(format!("{}/logs-a/_doc/1", p.base))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-length"],
        BODY.len().to_string().as_str()
    );
    assert!(r.bytes().await.unwrap().is_empty());
    // The connection is still in step: the next answer is whole, on the same connection.
    let r = p.get("/logs-a/_count").await;
    assert_eq!(r.text().await.unwrap(), BODY);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connections_the_upstream_closed_while_idle_are_replaced() {
    let (addr, seen) = upstream(Mode::CloseSilently, None).await;
    let p = proxy(&format!("http://{addr}"), "", &[]).await;
    for i in 0..5 {
        let r = p.get("/logs-a/_count").await;
        assert_eq!(r.status(), 200, "request {i}");
        assert_eq!(r.text().await.unwrap(), BODY);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.connections.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn a_response_left_half_read_does_not_spoil_the_next_request() {
    let (addr, seen) = upstream(Mode::KeepAlive, None).await;
    let p = proxy(&format!("http://{addr}"), "", &[]).await;
    let mut big = p.get("/logs-big/_doc/1").await;
    assert_eq!(big.status(), 200);
    let first = big.chunk().await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(big);
    let r = p.get("/logs-a/_count").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), BODY);
    // The half-read connection could not be reused: the second request needed a new one.
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_is_a_504() {
    let (addr, _) = upstream(Mode::Silent, None).await;
    let p = proxy(&format!("http://{addr}"), "timeout_secs = 1", &[]).await;
    let started = std::time::Instant::now();
    let r = p.get("/logs-a/_count").await;
    assert_eq!(r.status(), 504);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error_description"], "OpenSearch did not answer in time");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let p = proxy(&format!("http://{addr}"), "", &[]).await;
    let r = p.get("/logs-a/_count").await;
    assert_eq!(r.status(), 502);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "upstream", "{v}");
    assert_eq!(v["reason"], "upstream_unavailable", "{v}");
    assert_eq!(v["error_description"], "OpenSearch is unavailable", "{v}");
}

struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
    client_pem: String,
}

/// A private CA, a server certificate for `localhost` and a client certificate, both from it;
/// the server requires a client certificate from that CA.
fn pki() -> Pki {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf = |names: Vec<String>, client: bool| {
        let mut p = rcgen::CertificateParams::new(names).unwrap();
        p.extended_key_usages = vec![if client {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        }];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &ca).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["localhost".to_owned()], false);
    let (client_cert, client_key) = leaf(vec!["oauth4os-proxy".to_owned()], true);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem().as_bytes()).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .unwrap();
    let server = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(server_cert.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(server_key.as_bytes()).unwrap(),
        )
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
        client_pem: format!("{client_cert}{client_key}"),
    }
}

#[tokio::test]
async fn https_upstream_with_a_private_ca_and_a_client_certificate() {
    let pki = pki();
    let (addr, seen) = upstream(Mode::KeepAlive, Some(pki.server.clone())).await;
    let p = proxy(
        &format!("https://localhost:{}", addr.port()),
        "ca_pem = \"ca.pem\"\nclient_identity_pem = \"client.pem\"",
        &[
            ("ca.pem", pki.ca_pem.clone()),
            ("client.pem", pki.client_pem.clone()),
        ],
    )
    .await;
    for _ in 0..3 {
        let r = p.get("/logs-a/_count").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), BODY);
    }
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    assert_eq!(seen.client_certificates.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_untrusted_upstream_certificate_is_refused_unless_verification_is_off() {
    let pki = pki();
    let (addr, seen) = upstream(Mode::KeepAlive, Some(pki.server.clone())).await;
    let url = format!("https://localhost:{}", addr.port());
    let files = [("client.pem", pki.client_pem.clone())];
    // The system's roots do not know the private CA.
    let strict = proxy(&url, "client_identity_pem = \"client.pem\"", &files).await;
    let r = strict.get("/logs-a/_count").await;
    assert_eq!(r.status(), 502);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["reason"], "upstream_unavailable", "{v}");
    assert!(seen.heads.lock().unwrap().is_empty(), "nothing was sent");
    let lax = proxy(
        &url,
        "client_identity_pem = \"client.pem\"\ndanger_accept_invalid_certs = true",
        &files,
    )
    .await;
    let r = lax.get("/logs-a/_count").await;
    assert_eq!(r.status(), 200);
    assert_eq!(seen.heads.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_upstream_tls_files_are_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), "not a certificate").unwrap();
    std::fs::write(
        dir.path().join("id.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (line, file) in [
        ("ca_pem = \"ca.pem\"", "ca.pem"),
        ("client_identity_pem = \"id.pem\"", "id.pem"),
        ("ca_pem = \"missing.pem\"", "missing.pem"),
    ] {
        let toml = format!(
            r#"
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:1"
[upstream]
url = "https://localhost:9200"
{line}
[authorization_server]
issuer = "http://127.0.0.1:1"
audiences = ["http://127.0.0.1:1"]
store_path = "s.db"
"#
        );
        let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
        let err = App::build(loaded, [3u8; 32]).unwrap_err();
        assert_eq!(err.reason, "upstream_tls", "{line}: {}", err.message);
        assert!(err.message.contains(file), "{line}: {}", err.message);
    }
}
