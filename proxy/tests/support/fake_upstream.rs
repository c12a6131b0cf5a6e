//! A fake OpenSearch for fault tests: an HTTP/1.1 server on loopback answering every request
//! with `{"count":7}` on kept-alive connections, or, while switched to silent, reading requests
//! and never answering.
#![allow(dead_code, reason = "each test file uses a different part")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test support")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;

/// What every answered request gets.
pub const BODY: &str = r#"{"count":7}"#;

/// A running fake upstream.
pub struct FakeUpstream {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    silent: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeUpstream {
    /// Starts answering on a free port.
    pub async fn start() -> Self {
        Self::on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// Starts answering on `addr` (e.g. a port the proxy was refused on before).
    pub async fn start_at(addr: std::net::SocketAddr) -> Self {
        Self::on(tokio::net::TcpListener::bind(addr).await.unwrap())
    }

    fn on(l: tokio::net::TcpListener) -> Self {
        let addr = l.local_addr().unwrap();
        let silent = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let (s, a) = (silent.clone(), answered.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = l.accept().await else {
                    return;
                };
                tokio::spawn(serve(stream, s.clone(), a.clone()));
            }
        });
        Self {
            addr,
            silent,
            answered,
            task,
        }
    }

    /// The URL to configure as `[upstream] url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on, requests are read and never answered (`true`), or answered again.
    pub fn set_silent(&self, silent: bool) {
        self.silent.store(silent, Ordering::SeqCst);
    }

    /// Requests answered so far.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut s: tokio::net::TcpStream, silent: Arc<AtomicBool>, answered: Arc<AtomicUsize>) {
    let mut buf = Vec::new();
    loop {
        let Some(head) = crate::support::next_request(&mut s, &mut buf).await else {
            return;
        };
        let head = head.to_ascii_lowercase();
        // The metadata the proxy reads to judge requests is answered in every mode and not
        // counted: the faults here are about the requests forwarded.
        let path = head
            .strip_prefix("get ")
            .and_then(|h| h.split(' ').next())
            .unwrap_or("");
        if let Some((status, body)) = crate::support::empty_cluster_answer(path) {
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if s.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        if silent.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
            BODY.len()
        );
        if s.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
        answered.fetch_add(1, Ordering::SeqCst);
    }
}
