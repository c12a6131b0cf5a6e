//! Slow secret checks are limited per source address: wrong secrets cannot keep the cores busy
//! with argon2id, and a client whose secret was checked once is not held up by them.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use oauth4os_proxy::{App, Loaded};
use serde_json::Value;

async fn token_from(base: &str, secret: &str, forwarded_for: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth("c", Some(secret))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn token(base: &str, secret: &str) -> reqwest::Response {
    token_from(base, secret, "198.51.100.7").await
}

/// A proxy with `secret_checks_per_ip = "3/min"` and the top-level lines `top`; its URL.
async fn start(top: &str) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let toml = support::one_client_config(addr, "http://127.0.0.1:1", "").replace(
        "[authorization_server]\n",
        "[authorization_server]\nsecret_checks_per_ip = \"3/min\"\n",
    );
    let toml = format!("{top}\n{toml}");
    let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [4u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(app, listener, std::future::pending()));
    (format!("http://{addr}"), dir)
}

#[tokio::test]
async fn wrong_secrets_from_one_address_are_refused_before_any_argon2_work() {
    // Without trusted proxies, the `X-Forwarded-For` the client sends (`token` sends one) is
    // ignored: every attempt here counts for 127.0.0.1.
    let (base, _dir) = start("").await;
    // The right secret, checked once (one slow check), then answered from the cache.
    assert_eq!(token(&base, support::CLIENT_SECRET).await.status(), 200);
    // Two wrong ones are checked and refused as usual.
    for _ in 0..2 {
        let r = token(&base, "wrong").await;
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    }
    // The fourth slow check within the minute is refused unchecked, with a time to wait.
    let r = token(&base, "wrong").await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "rate_limited");
    assert!(
        !v.to_string().contains("wrong"),
        "no secret in the answer: {v}"
    );
    // The client whose secret is cached still gets its tokens.
    for _ in 0..3 {
        assert_eq!(token(&base, support::CLIENT_SECRET).await.status(), 200);
    }
    // Forging another address does not escape the limit.
    assert_eq!(
        token_from(&base, "wrong", "203.0.113.1").await.status(),
        429
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_limit() {
    let (base, _dir) = start(r#"trusted_proxies = ["127.0.0.0/8"]"#).await;
    for _ in 0..3 {
        assert_eq!(
            token_from(&base, "wrong", "203.0.113.1").await.status(),
            401
        );
    }
    assert_eq!(
        token_from(&base, "wrong", "203.0.113.1").await.status(),
        429
    );
    // Another client behind the same load balancer is not held up.
    assert_eq!(
        token_from(&base, "wrong", "203.0.113.2").await.status(),
        401
    );
    assert_eq!(
        token_from(&base, support::CLIENT_SECRET, "203.0.113.2")
            .await
            .status(),
        200
    );
}

#[test]
fn a_bad_trusted_proxy_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
    let toml = format!(
        "trusted_proxies = [\"10.0.0.0/8\", \"lb.internal\"]\n{}",
        support::one_client_config(addr, "http://127.0.0.1:1", "")
    );
    let err = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap_err();
    assert!(
        err.message.contains("t.toml line 1") && err.message.contains("trusted_proxies[1]"),
        "{}",
        err.message
    );
}

#[test]
fn a_bad_rate_is_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
    let toml = support::one_client_config(addr, "http://127.0.0.1:1", "").replace(
        "[authorization_server]\n",
        "[authorization_server]\nsecret_checks_per_ip = \"lots\"\n",
    );
    let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf());
    let err = match loaded {
        Err(e) => e,
        Ok(l) => App::build(l, [4u8; 32]).unwrap_err(),
    };
    assert!(
        err.message.contains("secret_checks_per_ip"),
        "{}",
        err.message
    );
}
