//! Per-client IP allowlists (`allowed_ips`): enforced when a token is issued and whenever it
//! is used, on the address the proxy computes with `trusted_proxies` — `X-Forwarded-For` is
//! believed from a trusted proxy only.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use oauth4os_proxy::{App, Loaded};
use serde_json::{Value, json};

struct Proxy {
    base: String,
    _dir: tempfile::TempDir,
}

/// A proxy in front of a fake upstream; `trusted` is its `trusted_proxies` list (TOML).
async fn start(trusted: &str) -> Proxy {
    let upstream = support::fake_opensearch(
        axum::Router::new().fallback(|| async { axum::Json(json!({"count": 42})) }),
    );
    let ul = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = ul.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(ul, upstream).await });

    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret("pw").unwrap();
    let toml = format!(
        r#"
listen = "{addr}"
public_url = "http://{addr}"
trusted_proxies = {trusted}
[upstream]
url = "http://{upstream_addr}"
[authorization_server]
issuer = "http://{addr}"
audiences = ["http://{addr}"]
store_path = "store.db"
[[authorization_server.clients]]
id = "local"
secret_hash = "{hash}"
scopes = "read:logs-*"
allowed_ips = ["127.0.0.0/8", "::1"]
[[authorization_server.clients]]
id = "office"
secret_hash = "{hash}"
scopes = "read:logs-*"
grant_types = ["client_credentials", "refresh_token"]
allowed_ips = ["198.51.100.0/24", "2001:db8::/32"]
[[authorization_server.clients]]
id = "anywhere"
secret_hash = "{hash}"
scopes = "read:logs-*"
"#
    );
    let loaded = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [3u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(app, listener, std::future::pending()));
    Proxy {
        base: format!("http://{addr}"),
        _dir: dir,
    }
}

impl Proxy {
    /// `client_credentials` for `id`, sent with `X-Forwarded-For: xff` when given.
    async fn token(&self, id: &str, xff: Option<&str>) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(id, Some("pw"))
            .form(&[("grant_type", "client_credentials")]);
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// `GET /logs-a/_count` with `token`, sent with `X-Forwarded-For: xff` when given.
    async fn count(&self, token: &str, xff: Option<&str>) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .get(format!("{}/logs-a/_count", self.base))
            .bearer_auth(token);
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

fn ip_not_allowed(status: u16, v: &Value) {
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"], "access_denied");
    assert_eq!(v["reason"], "ip_not_allowed");
}

#[tokio::test]
async fn tokens_are_issued_and_used_only_from_allowed_addresses() {
    let p = start("[]").await;
    // From an allowed address (loopback): a token, and it works.
    let (status, v) = p.token("local", None).await;
    assert_eq!(status, 200, "{v}");
    let local = v["access_token"].as_str().unwrap().to_owned();
    assert_eq!(p.count(&local, None).await.0, 200);
    // From any other address: no token.
    let (status, v) = p.token("office", None).await;
    ip_not_allowed(status, &v);
    assert!(v.get("access_token").is_none());
    // A client without an allowlist is not limited.
    let (status, v) = p.token("anywhere", None).await;
    assert_eq!(status, 200, "{v}");
    let anywhere = v["access_token"].as_str().unwrap().to_owned();
    assert_eq!(p.count(&anywhere, Some("203.0.113.9")).await.0, 200);
    // Nobody trusted: an `X-Forwarded-For` naming an allowed address does not help.
    let (status, v) = p.token("office", Some("198.51.100.7")).await;
    ip_not_allowed(status, &v);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    // The loopback peer is the trusted load balancer.
    let p = start(r#"["127.0.0.1/32", "::1"]"#).await;
    let (status, v) = p.token("office", Some("198.51.100.7")).await;
    assert_eq!(status, 200, "{v}");
    let token = v["access_token"].as_str().unwrap().to_owned();
    let (status, v) = p.count(&token, Some("198.51.100.8")).await;
    assert_eq!((status, v["count"].as_i64()), (200, Some(42)));
    // The same token used from an address outside the allowlist: refused.
    let (status, v) = p.count(&token, Some("203.0.113.9")).await;
    ip_not_allowed(status, &v);
    // Or from the load balancer itself (no forwarded address).
    let (status, v) = p.count(&token, None).await;
    ip_not_allowed(status, &v);
    // IPv6 ranges count too.
    let (status, v) = p.count(&token, Some("2001:db8::42")).await;
    assert_eq!(status, 200, "{v}");
    // A forged first hop does not help: the last untrusted address is the client.
    let (status, v) = p.count(&token, Some("198.51.100.8, 203.0.113.9")).await;
    ip_not_allowed(status, &v);
    // Issuance is refused from outside too, and a refresh as well.
    let (status, v) = p.token("office", Some("203.0.113.9")).await;
    ip_not_allowed(status, &v);
    let (_, v) = p.token("office", Some("198.51.100.7")).await;
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", p.base))
        .basic_auth("office", Some("pw"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", v["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    ip_not_allowed(status, &r.json().await.unwrap());
}

#[tokio::test]
async fn a_bad_range_is_a_configuration_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret("pw").unwrap();
    let toml = format!(
        r#"
listen = "127.0.0.1:1"
public_url = "http://127.0.0.1:1"
[upstream]
url = "http://127.0.0.1:2"
[authorization_server]
issuer = "http://127.0.0.1:1"
audiences = ["http://127.0.0.1:1"]
store_path = "store.db"
[[authorization_server.clients]]
id = "x"
secret_hash = "{hash}"
scopes = "read:logs-*"
allowed_ips = ["10.0.0.0/8", "10.0.0/33"]
"#
    );
    let e = Loaded::from_str(&toml, "t.toml", dir.path().to_path_buf())
        .err()
        .unwrap();
    assert_eq!(e.reason.as_str(), "invalid_allowed_ip", "{}", e.message);
    assert!(
        e.message.contains("clients[0].allowed_ips") && e.message.contains("10.0.0/33"),
        "{}",
        e.message
    );
}
