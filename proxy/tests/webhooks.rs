//! Webhooks end to end, against the real binary and a receiver in the test: signatures that an
//! independent HMAC-SHA256 (the `hmac` and `sha2` crates, not the proxy's signer) verifies,
//! retries with the same `webhook-id` until a 2xx, dead letters and their replay through the
//! admin API, delivery after a `kill -9` mid-delivery, and clear errors for bad configuration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ADMIN_SECRET: &str = "webhooks-admin-secret-0123456789";
const SECRET_ENV: &str = "OAUTH4OS_TEST_WEBHOOK_SECRET";

/// The key of the test secret, and the secret as configured.
fn key_b64() -> String {
    STANDARD.encode(*b"0123456789abcdef0123456789abcdef")
}

fn secret() -> String {
    format!("whsec_{}", key_b64())
}

/// Whether `header` carries a `v1` signature of `{id}.{timestamp}.{body}` under `key_b64`,
/// computed here with the `hmac` crate.
fn verifies(key_b64: &str, id: &str, timestamp: &str, body: &str, header: &str) -> bool {
    let key = STANDARD.decode(key_b64).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    header.split(' ').any(|s| s == expected)
}

// ---- the receiver ----

/// What the receiver does with the `n`th attempt (from 0) of one `webhook-id`.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Never answers.
    Stall,
}

#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

type Plan = Arc<dyn Fn(usize) -> Answer + Send + Sync>;

#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(plan: Plan) -> Self {
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let state = (log.clone(), plan);
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |axum::extract::State((log, plan)): axum::extract::State<(
                        Arc<Mutex<Vec<Received>>>,
                        Plan,
                    )>,
                     headers: HeaderMap,
                     body: String| async move {
                        let h = |n: &str| {
                            headers
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned()
                        };
                        let n = {
                            let mut log = log.lock().unwrap();
                            let id = h("webhook-id");
                            let n = log.iter().filter(|r| r.id == id).count();
                            log.push(Received {
                                id,
                                timestamp: h("webhook-timestamp"),
                                signature: h("webhook-signature"),
                                body,
                            });
                            n
                        };
                        match plan(n) {
                            Answer::Status(s) => StatusCode::from_u16(s).unwrap(),
                            Answer::Stall => std::future::pending().await,
                        }
                    },
                ),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, log }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

// ---- the proxy ----

struct Proxy {
    child: Child,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// SIGKILL: no shutdown hook, no flush.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Setup {
    dir: tempfile::TempDir,
    url: String,
}

impl Setup {
    /// A configuration with client `agent` and one webhook (`webhook` is the rest of its table).
    fn new(receiver: &Receiver, webhook: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let hash = oauth4os_proxy::authz::AuthServer::hash_secret("agent-secret").unwrap();
        let hook = receiver.url();
        std::fs::write(
            dir.path().join("oauth4os.toml"),
            format!(
                r#"
listen = "127.0.0.1:{port}"
public_url = "{url}"

[upstream]
url = "http://127.0.0.1:9"

[authorization_server]
issuer = "{url}"
audiences = ["{url}"]
store_path = "store.db"

[[authorization_server.clients]]
id = "agent"
secret_hash = "{hash}"
scopes = "read:logs-*"

[[webhooks]]
url = "{hook}"
secret_env = "{SECRET_ENV}"
{webhook}
"#
            ),
        )
        .unwrap();
        Self { dir, url }
    }

    async fn start(&self) -> Proxy {
        let child = Command::new(env!("CARGO_BIN_EXE_oauth4os-proxy"))
            .arg("--config")
            .arg(self.dir.path().join("oauth4os.toml"))
            .env("OAUTH4OS_KEY_ENCRYPTION_KEY", KEK)
            .env("OAUTH4OS_ADMIN_CLIENT_SECRET", ADMIN_SECRET)
            .env(SECRET_ENV, secret())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let proxy = Proxy { child };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/health", self.url)).await
                && r.status().is_success()
            {
                return proxy;
            }
            assert!(Instant::now() < deadline, "the proxy did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn token(&self, client: (&str, &str)) -> Value {
        reqwest::Client::new()
            .post(format!("{}/oauth/token", self.url))
            .basic_auth(client.0, Some(client.1))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn admin(&self) -> String {
        let v = self.token(("oauth4os-admin", ADMIN_SECRET)).await;
        v["access_token"].as_str().unwrap().to_owned()
    }

    async fn deliveries(&self, admin: &str, query: &str) -> (u16, Value) {
        let r = reqwest::Client::new()
            .get(format!("{}/admin/webhooks/deliveries{query}", self.url))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Waits until `?status=<status>` lists `n` deliveries (the deadline only ends a test
    /// that would otherwise hang), and answers them.
    async fn wait_for(&self, admin: &str, status: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (s, v) = self.deliveries(admin, &format!("?status={status}")).await;
            assert_eq!(s, 200, "{v}");
            let list = v["deliveries"].as_array().unwrap().clone();
            if list.len() >= n {
                return list;
            }
            assert!(
                Instant::now() < deadline,
                "never {n} {status} deliveries: {v}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The `jti` of an access token (its payload, read without verifying: the proxy issued it).
fn jti(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_twice_gets_the_event_signed_on_the_third_attempt_with_the_same_id() {
    let receiver = Receiver::start(Arc::new(|n| {
        Answer::Status(match n {
            0 => 500,
            1 => 503,
            _ => 204,
        })
    }))
    .await;
    let setup = Setup::new(
        &receiver,
        r#"events = ["token.issued"]
backoff_base_ms = 50
backoff_cap_ms = 200
max_attempts = 5"#,
    );
    let _proxy = setup.start().await;
    let admin = setup.admin().await;
    let issued = setup.token(("agent", "agent-secret")).await;
    let access = issued["access_token"].as_str().unwrap();

    let delivered = setup.wait_for(&admin, "delivered", 2).await;
    // Two events: the admin token, then the agent's.
    let got = receiver.received();
    let agent: Vec<&Received> = got
        .iter()
        .filter(|r| serde_json::from_str::<Value>(&r.body).unwrap()["data"]["client_id"] == "agent")
        .collect();
    assert_eq!(agent.len(), 3, "500, 503, then 204: {got:?}");
    let id = &agent[0].id;
    assert!(id.starts_with("msg_"), "{id}");
    for r in &agent {
        assert_eq!(&r.id, id, "the same webhook-id on every attempt");
        assert!(
            verifies(&key_b64(), &r.id, &r.timestamp, &r.body, &r.signature),
            "{r:?}"
        );
        assert!(
            !verifies(
                &STANDARD.encode(*b"another-key-another-key-another!"),
                &r.id,
                &r.timestamp,
                &r.body,
                &r.signature
            ),
            "the test's verifier tells keys apart"
        );
        let ts: i64 = r.timestamp.parse().unwrap();
        assert!((ts - now()).abs() < 300, "{ts}");
        assert!(!r.body.contains(access), "never a token in a payload");
        assert!(!r.body.contains("agent-secret"));
    }
    let body: Value = serde_json::from_str(&agent[0].body).unwrap();
    assert_eq!(body["type"], "token.issued");
    assert_eq!(body["data"]["jti"], jti(access).as_str());
    assert_eq!(body["data"]["scope"], "read:logs-*");
    assert_eq!(body["data"]["grant_type"], "client_credentials");
    let stamp = body["timestamp"].as_str().unwrap();
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{stamp}"
    );

    let mine = delivered.iter().find(|d| d["id"] == id.as_str()).unwrap();
    assert_eq!(mine["attempts"], 3);
    assert_eq!(mine["event_type"], "token.issued");
    assert_eq!(mine["endpoint"], receiver.url());
    assert_eq!(mine["payload"], body);
    assert_eq!(mine["last_error"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_always_fails_gets_a_dead_letter_that_replay_delivers() {
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = healthy.clone();
    let receiver = Receiver::start(Arc::new(move |_| {
        Answer::Status(if flag.load(std::sync::atomic::Ordering::SeqCst) {
            200
        } else {
            500
        })
    }))
    .await;
    let setup = Setup::new(
        &receiver,
        r#"events = ["client.created"]
backoff_base_ms = 50
backoff_cap_ms = 100
max_attempts = 2"#,
    );
    let _proxy = setup.start().await;
    let admin = setup.admin().await;
    let c = reqwest::Client::new();
    let made = c
        .post(format!("{}/admin/clients", setup.url))
        .bearer_auth(&admin)
        .json(&json!({"client_id": "api-made", "scopes": ["read:logs-a"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let client_secret = made["client_secret"].as_str().unwrap().to_owned();

    let dead = setup.wait_for(&admin, "dead", 1).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let letter = &dead[0];
    let id = letter["id"].as_str().unwrap().to_owned();
    assert_eq!(letter["event_type"], "client.created");
    assert_eq!(letter["attempts"], 2);
    assert_eq!(letter["last_error"], "the endpoint answered 500");
    assert_eq!(letter["payload"]["data"]["client_id"], "api-made");
    let got = receiver.received();
    assert_eq!(got.len(), 2, "only client.created is sent, twice: {got:?}");
    assert!(got.iter().all(|r| r.id == id));
    assert!(got.iter().all(|r| !r.body.contains(&client_secret)));
    let (s, pending) = setup.deliveries(&admin, "?status=pending").await;
    assert_eq!(
        (s, pending["deliveries"].as_array().unwrap().len()),
        (200, 0)
    );

    // The receiver recovers; the dead letter is replayed with the same id.
    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    let r = c
        .post(format!(
            "{}/admin/webhooks/deliveries/{id}/replay",
            setup.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let replayed: Value = r.json().await.unwrap();
    assert_eq!(replayed["id"], id.as_str());
    assert_eq!(replayed["status"], "pending");
    assert_eq!(replayed["attempts"], 0);
    let delivered = setup.wait_for(&admin, "delivered", 1).await;
    assert_eq!(delivered[0]["id"], id.as_str());
    assert_eq!(delivered[0]["attempts"], 1);
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].id, id);
    assert!(verifies(
        &key_b64(),
        &got[2].id,
        &got[2].timestamp,
        &got[2].body,
        &got[2].signature
    ));
    assert_eq!(got[2].body, got[0].body, "the same event, byte for byte");

    // The replay is audited, and bad calls are refused with their reason.
    let audit: Value = c
        .get(format!("{}/admin/audit?kind=webhook_replayed", setup.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["events"][0]["detail"]["id"], id.as_str());
    assert_eq!(audit["events"][0]["detail"]["by"], "oauth4os-admin");
    let r = c
        .post(format!(
            "{}/admin/webhooks/deliveries/msg_nope/replay",
            setup.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        (e["error"].as_str(), e["reason"].as_str()),
        (Some("not_found"), Some("not_found"))
    );
    let (s, e) = setup.deliveries(&admin, "?status=lost").await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_request")),
        "{e}"
    );
    let (s, _) = setup.deliveries(&admin, "?limit=0").await;
    assert_eq!(s, 400);
    let r = c
        .get(format!("{}/admin/webhooks/deliveries", setup.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no admin token, no outbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_client_and_policy_changes_are_published_with_their_types() {
    let receiver = Receiver::start(Arc::new(|_| Answer::Status(200))).await;
    let setup = Setup::new(&receiver, "");
    let _proxy = setup.start().await;
    let admin = setup.admin().await;
    let c = reqwest::Client::new();
    let issued = setup.token(("agent", "agent-secret")).await;
    let access = issued["access_token"].as_str().unwrap();
    let r = c
        .post(format!("{}/oauth/revoke", setup.url))
        .basic_auth("agent", Some("agent-secret"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let made = c
        .post(format!("{}/admin/clients", setup.url))
        .bearer_auth(&admin)
        .json(&json!({"client_id": "api-made", "scopes": ["read:logs-a"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let r = c
        .post(format!("{}/admin/clients/api-made/secret", setup.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rotated: Value = r.json().await.unwrap();
    let r = c
        .put(format!("{}/admin/scope-mappings/read%3Alogs-a", setup.url))
        .bearer_auth(&admin)
        .json(&json!({"roles": ["app_reader"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .delete(format!("{}/admin/clients/api-made", setup.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // admin token, agent token, revocation, created, updated, mapping, tokens revoked, deleted
    setup.wait_for(&admin, "delivered", 8).await;
    let got = receiver.received();
    let events: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let of = |t: &str| events.iter().filter(|e| e["type"] == t).collect::<Vec<_>>();
    let revoked = of("token.revoked");
    let jti = jti(access);
    assert!(
        revoked.iter().any(|e| e["data"]["jti"] == jti.as_str()
            && e["data"]["audit_kind"] == "access_token_revoked"),
        "{events:?}"
    );
    assert!(
        revoked
            .iter()
            .any(|e| e["data"]["audit_kind"] == "client_tokens_revoked"
                && e["data"]["client_id"] == "api-made"),
        "deleting a client revokes its tokens: {events:?}"
    );
    assert_eq!(of("client.created")[0]["data"]["client_id"], "api-made");
    assert_eq!(
        of("client.updated")[0]["data"]["audit_kind"],
        "client_secret_rotated"
    );
    assert_eq!(of("client.deleted")[0]["data"]["client_id"], "api-made");
    assert_eq!(of("policy.changed")[0]["data"]["scope"], "read:logs-a");
    assert_eq!(of("token.issued").len(), 2);
    let secret = rotated["client_secret"].as_str().unwrap();
    for r in &got {
        assert!(
            !r.body.contains(secret) && !r.body.contains(access),
            "{}",
            r.body
        );
        assert!(verifies(
            &key_b64(),
            &r.id,
            &r.timestamp,
            &r.body,
            &r.signature
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_delivers_after_restart_with_the_same_id() {
    let receiver = Receiver::start(Arc::new(|n| {
        if n == 0 {
            Answer::Stall
        } else {
            Answer::Status(200)
        }
    }))
    .await;
    let setup = Setup::new(
        &receiver,
        r#"events = ["client.created"]
timeout_ms = 3000
backoff_base_ms = 50"#,
    );
    let proxy = setup.start().await;
    let admin = setup.admin().await;
    let made = reqwest::Client::new()
        .post(format!("{}/admin/clients", setup.url))
        .bearer_auth(&admin)
        .json(&json!({"client_id": "before-crash", "scopes": ["read:logs-a"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    // The first attempt reaches the receiver, which never answers; the proxy dies meanwhile.
    let deadline = Instant::now() + Duration::from_secs(60);
    while receiver.received().is_empty() {
        assert!(Instant::now() < deadline, "no delivery was attempted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    proxy.kill_9();
    let first = receiver.received();
    assert_eq!(first.len(), 1, "killed during the first attempt: {first:?}");
    let id = first[0].id.clone();

    let _proxy = setup.start().await;
    let admin = setup.admin().await;
    let delivered = setup.wait_for(&admin, "delivered", 1).await;
    assert_eq!(delivered[0]["id"], id.as_str(), "the same webhook-id");
    assert_eq!(
        delivered[0]["attempts"], 2,
        "the interrupted attempt counts"
    );
    let got = receiver.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].id, id);
    assert_eq!(got[1].body, got[0].body);
    assert!(verifies(
        &key_b64(),
        &got[1].id,
        &got[1].timestamp,
        &got[1].body,
        &got[1].signature
    ));
    let body: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(body["type"], "client.created");
    assert_eq!(body["data"]["client_id"], "before-crash");
}

// ---- configuration ----

fn config_with(webhook: &str) -> String {
    format!(
        r#"listen = "127.0.0.1:1"
public_url = "http://127.0.0.1:1"
[upstream]
url = "http://127.0.0.1:9"
[authorization_server]
issuer = "http://127.0.0.1:1"
audiences = ["http://127.0.0.1:1"]
store_path = "store.db"
[[webhooks]]
{webhook}
"#
    )
}

fn load(webhook: &str) -> oauth4os_core::Result<oauth4os_proxy::Loaded> {
    oauth4os_proxy::Loaded::from_str(
        &config_with(webhook),
        "test.toml",
        std::path::PathBuf::from("."),
    )
}

#[test]
fn bad_webhook_configuration_is_refused_naming_file_line_and_key() {
    use oauth4os_core::Reason;
    let line = |text: &str, needle: &str| {
        config_with(text)
            .lines()
            .position(|l| l.contains(needle))
            .unwrap()
            + 1
    };
    for (webhook, needle, key, reason, says) in [
        (
            "url = \"hooks.example/h\"\nsecret_env = \"X\"",
            "hooks.example",
            "webhooks[0].url",
            Reason::InvalidWebhook,
            "is not an absolute URL",
        ),
        (
            "url = \"http://hooks.example/h\"\nsecret_env = \"X\"",
            "hooks.example",
            "webhooks[0].url",
            Reason::InvalidWebhook,
            "webhooks need https",
        ),
        (
            "url = \"https://hooks.example/h\"",
            "hooks.example",
            "webhooks[0].url",
            Reason::MissingSecret,
            "set `secret_env` or `secret_file`",
        ),
        (
            "url = \"https://hooks.example/h\"\nsecret_env = \"X\"\nevents = [\"token.minted\"]",
            "token.minted",
            "webhooks[0].events",
            Reason::InvalidWebhook,
            "`token.minted` is not a webhook event type",
        ),
        (
            "url = \"https://hooks.example/h\"\nsecret_env = \"X\"\nbackoff_base_ms = 500\nbackoff_cap_ms = 100",
            "backoff_cap_ms",
            "webhooks[0].backoff_cap_ms",
            Reason::InvalidWebhook,
            "must not be below `backoff_base_ms`",
        ),
        (
            "url = \"https://hooks.example/h\"\nsecret_env = \"X\"\nmax_attempts = 0",
            "max_attempts",
            "webhooks[0].max_attempts",
            Reason::InvalidWebhook,
            "must be between 1 and 100",
        ),
    ] {
        let e = load(webhook).unwrap_err();
        assert_eq!(e.reason, reason, "{webhook}: {}", e.message);
        let at = format!("test.toml line {}", line(webhook, needle));
        assert!(
            e.message.contains(&at),
            "{webhook}: {} (want {at})",
            e.message
        );
        assert!(
            e.message.contains(&format!("key `{key}")),
            "{webhook}: {}",
            e.message
        );
        assert!(e.message.contains(says), "{webhook}: {}", e.message);
    }

    // Loopback may be plain http.
    assert!(load("url = \"http://127.0.0.1:9/h\"\nsecret_env = \"X\"").is_ok());
}

#[test]
fn a_missing_or_malformed_secret_is_refused_without_showing_it() {
    use oauth4os_core::Reason;
    use oauth4os_proxy::services::webhooks::Webhooks;
    let dir = tempfile::tempdir().unwrap();
    let loaded = |webhook: &str| {
        oauth4os_proxy::Loaded::from_str(&config_with(webhook), "test.toml", dir.path().into())
            .unwrap()
    };
    let unset = loaded(
        "url = \"https://hooks.example/h\"\nsecret_env = \"OAUTH4OS_TEST_WEBHOOK_SECRET_NEVER_SET\"",
    );
    let e = Webhooks::from_config(&unset).unwrap_err();
    assert_eq!(e.reason, Reason::MissingSecret);
    assert!(
        e.message.contains("key `webhooks[0].secret_env`"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("OAUTH4OS_TEST_WEBHOOK_SECRET_NEVER_SET"),
        "{}",
        e.message
    );

    let absent = loaded("url = \"https://hooks.example/h\"\nsecret_file = \"nowhere\"");
    let e = Webhooks::from_config(&absent).unwrap_err();
    assert_eq!(e.reason, Reason::MissingSecret);
    assert!(
        e.message.contains("key `webhooks[0].secret_file`"),
        "{}",
        e.message
    );

    let plain = "not-a-whsec-secret-but-long-enough";
    std::fs::write(dir.path().join("plain"), plain).unwrap();
    let bad = loaded("url = \"https://hooks.example/h\"\nsecret_file = \"plain\"");
    let e = Webhooks::from_config(&bad).unwrap_err();
    assert_eq!(e.reason, Reason::InvalidWebhookSecret);
    assert!(
        e.message.contains("does not start with `whsec_`"),
        "{}",
        e.message
    );
    assert!(!e.message.contains(plain), "{}", e.message);

    std::fs::write(dir.path().join("good"), format!("{}\n", secret())).unwrap();
    let good = loaded("url = \"https://hooks.example/h\"\nsecret_file = \"good\"");
    let hooks = Webhooks::from_config(&good).unwrap().unwrap();
    let routes = hooks.routes();
    assert_eq!(routes.len(), 1);
    assert_eq!(
        routes[0].events.len(),
        7,
        "every event type when none is listed"
    );
}

#[test]
fn the_binary_refuses_plain_http_to_another_host_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oauth4os.toml");
    std::fs::write(
        &path,
        config_with("url = \"http://hooks.example/h\"\nsecret_env = \"X\""),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oauth4os-proxy"))
        .arg("--config")
        .arg(&path)
        .arg("--check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key `webhooks[0].url`"), "{err}");
    assert!(err.contains("webhooks need https"), "{err}");
}
