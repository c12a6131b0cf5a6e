//! Outages and rotation through the proxy: OpenSearch stopped and restarted (a dedicated real
//! instance), the OpenID provider stopped (cached keys keep working) and restarted with new keys
//! (new tokens accepted after a JWKS refresh), and expired tokens. Run by `.ci/harness/smoke.sh`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

#[path = "../../core/tests/support/idp.rs"]
mod idp;

use std::process::Command;
use std::time::Duration;

use idp::Idp;
use oauth4os_proxy::{App, Loaded};
use serde_json::Value;
use support::JsonExt as _;

const AUD: &str = "https://search.oauth4os.test";

fn opensearch_script(cmd: &str, port: &str) -> bool {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/harness/opensearch.sh");
    Command::new("bash")
        .arg(script)
        .arg(cmd)
        .env("OS_PORT", port)
        .status()
        .unwrap()
        .success()
}

async fn start_proxy(upstream: &str, idp: &Idp, dir: &std::path::Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let toml = format!(
        r#"
listen = "{addr}"
public_url = "http://{addr}"
[upstream]
url = "{upstream}"
timeout_secs = 5
[authorization_server]
issuer = "http://{addr}"
audiences = ["http://{addr}"]
store_path = "{store}"
[[tenants]]
name = "acme"
issuer = "{issuer}"
audiences = ["{AUD}"]
leeway = 0
jwks_min_refresh_secs = 0
"#,
        store = dir.join("store.db").display(),
        issuer = idp.issuer
    );
    let loaded = Loaded::from_str(&toml, "test.toml", dir.to_path_buf()).unwrap();
    let app = App::build(loaded, [3u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(app, listener, std::future::pending()));
    format!("http://{addr}")
}

async fn token(idp: &Idp) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth("ci-client", Some("ci-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "read:logs-*"),
            ("resource", AUD),
        ])
        .value()
        .await;
    v["access_token"].as_str().unwrap().to_owned()
}

async fn get(proxy: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{proxy}/logs-*/_count"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn outages_rotation_and_expiry() {
    let port = std::env::var("OAUTH4OS_TEST_OS_PORT_2").unwrap_or_else(|_| "9270".into());
    assert!(
        opensearch_script("start", &port),
        "cannot start the dedicated OpenSearch"
    );
    let upstream = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::start(&["--ttl", "120"]);
    let idp_port = idp.port.to_string();
    let proxy = start_proxy(&upstream, &idp, dir.path()).await;
    let t1 = token(&idp).await;
    // Kept unused until the provider is down: the verified-token cache cannot answer for it,
    // only the cached signing keys can.
    let unseen = token(&idp).await;
    assert_eq!(get(&proxy, &t1).await.0, 200);

    // OpenSearch stopped: 502 with a JSON body naming the reason; back: 200 again.
    assert!(opensearch_script("stop", &port));
    let (s, v) = get(&proxy, &t1).await;
    assert_eq!(s, 502, "{v}");
    assert_eq!(
        (v["error"].as_str(), v["reason"].as_str()),
        (Some("upstream"), Some("upstream_unavailable")),
        "{v}"
    );
    assert!(v["error_description"].is_string());
    assert!(opensearch_script("start", &port));
    assert_eq!(get(&proxy, &t1).await.0, 200);

    // Provider stopped: the cached keys verify a token the proxy has never seen.
    idp.stop();
    assert_eq!(get(&proxy, &unseen).await.0, 200);

    // Provider back on the same port with new keys: a new token is accepted after a refresh.
    let idp = Idp::start(&["--ttl", "4", "--port", &idp_port]);
    let t2 = token(&idp).await;
    assert_eq!(get(&proxy, &t2).await.0, 200, "the rotated key was fetched");

    // Expiry (leeway 0): the 4-second token is refused once it expires.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (s, v) = get(&proxy, &t2).await;
    assert_eq!(s, 401, "{v}");
    assert!(
        v["error_description"].as_str().unwrap().contains("expired"),
        "{v}"
    );
    assert!(opensearch_script("stop", &port));
}
