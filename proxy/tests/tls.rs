//! The listener speaks TLS when configured: HTTPS works with the configured certificate, plain
//! HTTP to the same port does not, and a bad key file is named in the error.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use oauth4os_proxy::{App, Loaded};
use serde_json::Value;
use support::JsonExt as _;

fn config(dir: &std::path::Path, addr: std::net::SocketAddr) -> String {
    format!(
        r#"
listen = "{addr}"
public_url = "https://localhost:{port}"
[upstream]
url = "http://127.0.0.1:1"
[tls]
cert_pem = "cert.pem"
key_pem = "key.pem"
[authorization_server]
issuer = "https://localhost:{port}"
audiences = ["https://localhost:{port}"]
store_path = "{store}"
"#,
        port = addr.port(),
        store = dir.join("store.db").display()
    )
}

#[tokio::test]
async fn https_listener_serves_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), ck.signing_key.serialize_pem()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let loaded = Loaded::from_str(
        &config(dir.path(), addr),
        "t.toml",
        dir.path().to_path_buf(),
    )
    .unwrap();
    let acceptor =
        oauth4os_proxy::edge::tls::acceptor(&loaded, loaded.config.tls.as_ref().unwrap()).unwrap();
    let app = App::build(loaded, [5u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::edge::tls::serve_tls(
        app,
        listener,
        acceptor,
        std::future::pending(),
    ));

    let ca = reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", addr.port());
    let health: Value = client.get(format!("{base}/health")).value().await;
    assert_eq!(health["status"], "ok");
    let meta: Value = client
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .value()
        .await;
    assert_eq!(meta["issuer"], base);

    // A client that does not trust the certificate is refused; plain HTTP gets no answer.
    assert!(
        reqwest::Client::new()
            .get(format!("{base}/health"))
            .send()
            .await
            .is_err()
    );
    assert!(reqwest::get(format!("http://{addr}/health")).await.is_err());
}

#[tokio::test]
async fn a_key_that_is_not_pem_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:8443".parse().unwrap();
    let loaded = Loaded::from_str(
        &config(dir.path(), addr),
        "t.toml",
        dir.path().to_path_buf(),
    )
    .unwrap();
    let Err(e) = oauth4os_proxy::edge::tls::acceptor(&loaded, loaded.config.tls.as_ref().unwrap())
    else {
        panic!("a key that is not PEM was accepted");
    };
    assert!(
        e.message.contains("t.toml line 8") && e.message.contains("tls.key_pem"),
        "{}",
        e.message
    );
}
