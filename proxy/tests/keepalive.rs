//! An answer given before the request's body was read (a 401 for a bad or revoked token) says
//! `Connection: close`, so an HTTP/1.1 client does not send its next request into the
//! connection the server is about to close. Found by the soak test (proxy/bench/soak.sh): every
//! search with a revoked token broke the client's next call with a broken pipe.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::time::Duration;

use oauth4os_proxy::{App, Loaded};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Starts a proxy (no upstream: none of these requests reaches it) and returns its address.
async fn proxy(dir: &std::path::Path) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let toml = support::one_client_config(addr, "http://127.0.0.1:1", "");
    let loaded = Loaded::from_str(&toml, "t.toml", dir.to_path_buf()).unwrap();
    let app = App::build(loaded, [1u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(app, listener, std::future::pending()));
    addr
}

/// Reads one answer's head and its `Content-Length` body; returns the head.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the connection closed before a whole answer");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + len {
                return head;
            }
        }
    }
}

fn search(token: &str, body: &str) -> (String, String) {
    let head = format!(
        "POST /logs-a/_search HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         authorization: Bearer {token}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    (head, body.to_owned())
}

#[tokio::test]
async fn a_refusal_before_the_body_arrived_closes_the_connection_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let addr = proxy(dir.path()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The head first, the body a little later: the token is refused before the body is there.
    let (head, body) = search("not-a-token", r#"{"size":5}"#);
    s.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = s.write_all(body.as_bytes()).await;
    let answer = read_answer(&mut s).await;
    assert!(answer.starts_with("http/1.1 401"), "{answer}");
    assert!(
        answer.lines().any(|l| l == "connection: close"),
        "a 401 given before the body was read must say `Connection: close`:\n{answer}"
    );
}

#[tokio::test]
async fn a_read_body_keeps_the_connection_open() {
    let dir = tempfile::tempdir().unwrap();
    let addr = proxy(dir.path()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The token endpoint reads its form body: the connection stays usable.
    let form = "grant_type=client_credentials";
    let head = format!(
        "POST /oauth/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         authorization: Basic {}\r\ncontent-length: {}\r\n\r\n",
        oauth4os_core::http::basic_auth("c", support::CLIENT_SECRET).trim_start_matches("Basic "),
        form.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.write_all(form.as_bytes()).await.unwrap();
    let answer = read_answer(&mut s).await;
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    assert!(!answer.contains("connection: close"), "{answer}");
    s.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let again = read_answer(&mut s).await;
    assert!(again.starts_with("http/1.1 200"), "{again}");
}
