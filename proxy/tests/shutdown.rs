//! Graceful shutdown drains in-flight requests: a request still waiting on a slow upstream when
//! shutdown starts gets its full answer, and the listener stops accepting new connections.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::time::Duration;

use oauth4os_proxy::{App, Loaded};
use serde_json::{Value, json};

#[tokio::test]
async fn in_flight_requests_finish_after_shutdown_begins() {
    // A slow upstream.
    let slow = support::fake_opensearch(axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        axum::Json(json!({"count": 42}))
    }));
    let ul = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = ul.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(ul, slow).await });

    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let toml = support::one_client_config(addr, &format!("http://{upstream}"), "");
    let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [1u8; 32]).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(oauth4os_proxy::serve(app, listener, async {
        let _ = stopped.await;
    }));

    let base = format!("http://{addr}");
    let token = support::client_token(&base).await;

    let in_flight = tokio::spawn({
        let base = base.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}/logs-a/_count"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    let resp = in_flight.await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["count"], 42);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // The listener is closed: new connections are refused.
    let err = reqwest::Client::new()
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
}
