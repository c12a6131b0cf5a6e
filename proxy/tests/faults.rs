//! Faults, each with the exact answer the proxy gives while it lasts and its recovery after:
//! OpenSearch refusing connections (502 `upstream_unavailable`) or not answering (504
//! `upstream_timeout`), the OpenID provider down (cached keys keep verifying; an unknown `kid`
//! is a 401 `unknown_kid`; the new key is fetched once the provider is back, no sooner than
//! the refetch interval allows), the store's write lock held by another connection (writes
//! 503 `store_busy`, reads keep working), the store's disk full (writes 503 `store_full`,
//! nothing half-written) and the wall clock stepping (forward: tokens expire; backward:
//! tokens from the future are refused; rate limits and revocations do not follow the jump).
//!
//! `kill -9` under load is in `crash.rs`; OpenSearch stopped and started for real in
//! `resilience.rs`. The disk-full test needs `unshare` (util-linux) and user namespaces, the
//! clock test `faketime` (libfaketime): both fail, never skip, when those are missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/fake_upstream.rs"]
mod fake_upstream;
#[path = "../../core/tests/support/idp.rs"]
mod idp;
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_upstream::FakeUpstream;
use idp::Idp;
use oauth4os_proxy::{App, Loaded};
use serde_json::{Value, json};

const SECRET: &str = "client-secret";
const ADMIN_SECRET: &str = "faults-admin-secret-0123456789";
const TENANT_AUD: &str = "https://search.oauth4os.test";

/// A proxy configuration: `c` (`read:logs-*`, client credentials and refresh tokens) and `r`
/// (the same, at most 2 requests an hour), the admin client, the store at `store` (relative
/// to the configuration's folder), and the top-level and `[upstream]` lines given.
fn config(port: u16, upstream: &str, store: &str, extra_upstream: &str, tail: &str) -> String {
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret(SECRET).unwrap();
    let admin = oauth4os_proxy::authz::AuthServer::hash_secret(ADMIN_SECRET).unwrap();
    format!(
        r#"
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
[upstream]
url = "{upstream}"
{extra_upstream}
[authorization_server]
issuer = "http://127.0.0.1:{port}"
audiences = ["http://127.0.0.1:{port}"]
store_path = "{store}"
[authorization_server.admin]
client_id = "oauth4os-admin"
secret_hash = "{admin}"
[[authorization_server.clients]]
id = "c"
secret_hash = "{hash}"
scopes = "read:logs-*"
grant_types = ["client_credentials", "refresh_token"]
[[authorization_server.clients]]
id = "r"
secret_hash = "{hash}"
scopes = "read:logs-*"
rate_limit = "2/h"
{tail}
"#
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The proxy in this process; its URL.
async fn in_process(dir: &Path, upstream: &str, extra_upstream: &str, tail: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let toml = config(port, upstream, "store.db", extra_upstream, tail);
    let loaded = Loaded::from_str(&toml, "t.toml", dir.to_path_buf()).unwrap();
    let app = App::build(loaded, [7u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(app, listener, std::future::pending()));
    format!("http://127.0.0.1:{port}")
}

/// The proxy binary, started by `cmd` (which ends with the binary and `--config`), serving at `url`.
struct Binary(Child);

impl Binary {
    async fn start(mut cmd: Command, url: &str) -> Self {
        cmd.env(
            "OAUTH4OS_KEY_ENCRYPTION_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        let mut child = Binary(cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(format!("{url}/health")).await
                && r.status().is_success()
            {
                return child;
            }
            assert!(
                child.0.try_wait().unwrap().is_none(),
                "the proxy exited at start"
            );
            assert!(Instant::now() < deadline, "the proxy did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `(status, JSON body, Retry-After)` of a response.
async fn answer(r: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, r.json().await.unwrap_or(Value::Null), retry)
}

async fn post_form(
    url: &str,
    who: (&str, &str),
    form: &[(&str, &str)],
) -> (u16, Value, Option<String>) {
    let r = reqwest::Client::new()
        .post(url)
        .basic_auth(who.0, Some(who.1))
        .form(form)
        .send()
        .await
        .unwrap();
    answer(r).await
}

/// A token response for client `id` (status and body).
async fn issue(base: &str, id: &str) -> (u16, Value, Option<String>) {
    post_form(
        &format!("{base}/oauth/token"),
        (id, SECRET),
        &[("grant_type", "client_credentials")],
    )
    .await
}

async fn access_token(base: &str, id: &str) -> String {
    let (s, v, _) = issue(base, id).await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

async fn admin_token(base: &str) -> String {
    let (s, v, _) = issue_admin(base).await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

async fn issue_admin(base: &str) -> (u16, Value, Option<String>) {
    post_form(
        &format!("{base}/oauth/token"),
        ("oauth4os-admin", ADMIN_SECRET),
        &[("grant_type", "client_credentials")],
    )
    .await
}

async fn revoke(base: &str, token: &str) -> (u16, Value, Option<String>) {
    post_form(
        &format!("{base}/oauth/revoke"),
        ("c", SECRET),
        &[("token", token)],
    )
    .await
}

/// Whether the proxy's introspection calls `token` active.
async fn active(base: &str, token: &str) -> bool {
    let (s, v, _) = post_form(
        &format!("{base}/oauth/introspect"),
        ("c", SECRET),
        &[("token", token)],
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["active"].as_bool().unwrap()
}

/// A search through the proxy.
async fn search(base: &str, token: &str) -> (u16, Value, Option<String>) {
    let r = reqwest::Client::new()
        .get(format!("{base}/logs-a/_count"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    answer(r).await
}

async fn create_client(base: &str, admin: &str, id: &str) -> (u16, Value, Option<String>) {
    let r = reqwest::Client::new()
        .post(format!("{base}/admin/clients"))
        .bearer_auth(admin)
        .json(&json!({"client_id": id, "scopes": ["read:logs-a"]}))
        .send()
        .await
        .unwrap();
    answer(r).await
}

async fn client_ids(base: &str, admin: &str) -> Vec<String> {
    let r = reqwest::Client::new()
        .get(format!("{base}/admin/clients"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    let (s, v, _) = answer(r).await;
    assert_eq!(s, 200, "{v}");
    let mut ids: Vec<String> = v["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Asserts an error answer: status, `error`, `reason`.
#[track_caller]
fn assert_error(got: &(u16, Value, Option<String>), status: u16, error: &str, reason: &str) {
    let (s, v, _) = got;
    assert_eq!(
        (*s, v["error"].as_str(), v["reason"].as_str()),
        (status, Some(error), Some(reason)),
        "{v}"
    );
    assert!(
        v["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{v}"
    );
}

// ---- OpenSearch down or slow ------------------------------------------------------------

#[tokio::test]
async fn opensearch_refusing_connections_is_a_502_until_it_is_back() {
    // A port nothing listens on: every connection is refused.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = in_process(dir.path(), &format!("http://{addr}"), "", "").await;
    let token = access_token(&base, "c").await;
    let down = search(&base, &token).await;
    assert_error(&down, 502, "upstream", "upstream_unavailable");
    assert_eq!(down.1["error_description"], "OpenSearch is unavailable");
    // The readiness probe says so too, and the proxy itself stays up.
    let ready = reqwest::get(format!("{base}/ready")).await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    // OpenSearch comes up on that port: the next request goes through, no restart.
    let up = FakeUpstream::start_at(addr).await;
    let (s, v, _) = search(&base, &token).await;
    assert_eq!((s, v), (200, json!({"count": 7})));
    assert_eq!(up.answered(), 1);
}

#[tokio::test]
async fn opensearch_not_answering_is_a_504_and_the_next_answer_goes_through() {
    let up = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let base = in_process(dir.path(), &up.url(), "timeout_secs = 1", "").await;
    let token = access_token(&base, "c").await;
    assert_eq!(search(&base, &token).await.0, 200);
    up.set_silent(true);
    let slow = search(&base, &token).await;
    assert_error(&slow, 504, "upstream", "upstream_timeout");
    assert_eq!(
        slow.1["error_description"],
        "OpenSearch did not answer in time"
    );
    // It answers again: the connection left hanging is not reused, the request succeeds.
    up.set_silent(false);
    let (s, v, _) = search(&base, &token).await;
    assert_eq!((s, v), (200, json!({"count": 7})));
}

// ---- the OpenID provider down ----------------------------------------------------------

async fn idp_token(idp: &Idp) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth("ci-client", Some("ci-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "read:logs-*"),
            ("resource", TENANT_AUD),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

/// `token` with its header's `kid` replaced: a key the issuer never published.
fn with_unknown_kid(token: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (header, rest) = token.split_once('.').unwrap();
    let mut h: Value = serde_json::from_slice(&b64.decode(header).unwrap()).unwrap();
    h["kid"] = json!("a-kid-nobody-published");
    format!("{}.{rest}", b64.encode(serde_json::to_vec(&h).unwrap()))
}

#[tokio::test]
async fn the_provider_down_cached_keys_verify_and_an_unknown_kid_is_a_clear_401() {
    /// The least time between two unknown-`kid` fetches of the provider's JWKS.
    const REFETCH: u64 = 15;
    let idp = Idp::start(&[]);
    let idp_port = idp.port.to_string();
    let up = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tenant = format!(
        "[[tenants]]\nname = \"acme\"\nissuer = \"{}\"\naudiences = [\"{TENANT_AUD}\"]\njwks_min_refresh_secs = {REFETCH}\n",
        idp.issuer
    );
    let base = in_process(dir.path(), &up.url(), "", &tenant).await;
    let seen = idp_token(&idp).await;
    // Never presented while the provider is up: only the cached keys can verify it later.
    let unseen = idp_token(&idp).await;
    assert_eq!(search(&base, &seen).await.0, 200);

    idp.stop();
    let (s, v, _) = search(&base, &unseen).await;
    assert_eq!((s, v), (200, json!({"count": 7})), "cached keys verify");
    let forged = search(&base, &with_unknown_kid(&unseen)).await;
    assert_error(&forged, 401, "invalid_token", "unknown_kid");
    let refetch_tried = Instant::now();

    // Back on the same port with new keys. The last fetch attempt (for the unknown kid above)
    // was less than the refetch interval ago: a token signed with the new key is refused
    // without asking the provider.
    let idp = Idp::start(&["--port", &idp_port]);
    let rotated = idp_token(&idp).await;
    assert!(
        refetch_tried.elapsed() < Duration::from_secs(REFETCH),
        "the provider took longer to restart than the refetch interval: the test proves nothing"
    );
    let early = search(&base, &rotated).await;
    assert_error(&early, 401, "invalid_token", "unknown_kid");
    assert_eq!(idp.stats().await.1, 0, "no JWKS fetch within the interval");
    // Once the interval has passed, the new key is fetched (once) and the token accepted.
    tokio::time::sleep(Duration::from_secs(REFETCH + 1).saturating_sub(refetch_tried.elapsed()))
        .await;
    let (s, v, _) = search(&base, &rotated).await;
    assert_eq!((s, v), (200, json!({"count": 7})));
    assert_eq!(idp.stats().await.1, 1);
}

// ---- the store locked or its disk full -------------------------------------------------

#[tokio::test]
async fn a_locked_store_fails_writes_closed_and_keeps_reads_working() {
    let up = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let base = in_process(dir.path(), &up.url(), "", "").await;
    let admin = admin_token(&base).await;
    let (s, issued, _) = issue(&base, "c").await;
    assert_eq!(s, 200, "{issued}");
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let refresh = issued["refresh_token"].as_str().unwrap().to_owned();
    let clients_before = client_ids(&base, &admin).await;

    // Another process holds the write lock.
    let lock = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();

    // Writes: issuance that creates a refresh family, revocation, admin changes, an admin
    // token (its issuance is audited) fail closed after the busy timeout, with a time to wait.
    let busy = issue(&base, "c").await;
    assert_error(&busy, 503, "temporarily_unavailable", "store_busy");
    assert_eq!(busy.2.as_deref(), Some("1"), "Retry-After");
    assert!(
        busy.1.get("access_token").is_none(),
        "no token without its record"
    );
    assert_error(
        &revoke(&base, &refresh).await,
        503,
        "temporarily_unavailable",
        "store_busy",
    );
    assert_error(
        &create_client(&base, &admin, "made-while-locked").await,
        503,
        "temporarily_unavailable",
        "store_busy",
    );
    assert_error(
        &issue_admin(&base).await,
        503,
        "temporarily_unavailable",
        "store_busy",
    );

    // Reads keep working: verification, introspection (the refresh token is read from the
    // store), discovery, the JWKS, the admin listing; a client without refresh tokens still
    // gets tokens (nothing to write).
    assert_eq!(search(&base, &access).await.0, 200);
    assert!(active(&base, &access).await);
    assert!(
        active(&base, &refresh).await,
        "the failed revocation changed nothing"
    );
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ] {
        let r = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
    }
    assert_eq!(client_ids(&base, &admin).await, clients_before);
    assert_eq!(issue(&base, "r").await.0, 200);

    // The lock is released: every write works again.
    lock.execute_batch("ROLLBACK").unwrap();
    let (s, again, _) = issue(&base, "c").await;
    assert_eq!(s, 200, "{again}");
    assert!(again["refresh_token"].is_string());
    assert_eq!(revoke(&base, &refresh).await.0, 200);
    assert!(!active(&base, &refresh).await);
    assert_eq!(create_client(&base, &admin, "made-after").await.0, 201);
    assert_eq!(issue_admin(&base).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_closed_and_changes_nothing() {
    let up = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let cfg = dir.path().join("oauth4os.toml");
    std::fs::write(&cfg, config(port, &up.url(), "data/store.db", "", "")).unwrap();
    // The store on its own small tmpfs, mounted in a private mount namespace (a user
    // namespace makes that possible without privileges).
    let mut cmd = Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(r#"mount -t tmpfs -o size=4m tmpfs "$1" && exec "$2" --config "$3""#)
        .arg("sh")
        .arg(&data)
        .arg(env!("CARGO_BIN_EXE_oauth4os-proxy"))
        .arg(&cfg);
    let proxy = Binary::start(cmd, &base).await;
    // The tmpfs as the proxy sees it.
    let mounted = Path::new("/proc")
        .join(proxy.0.id().to_string())
        .join("root")
        .join(data.strip_prefix("/").unwrap());
    assert!(
        mounted.join("store.db").is_file(),
        "the store is on the tmpfs"
    );

    let admin = admin_token(&base).await;
    let (s, issued, _) = issue(&base, "c").await;
    assert_eq!(s, 200, "{issued}");
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let refresh = issued["refresh_token"].as_str().unwrap().to_owned();
    let clients_before = client_ids(&base, &admin).await;

    // Fill the disk.
    let filler = mounted.join("filler");
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 << 10];
        let full = loop {
            if let Err(e) = f.write_all(&chunk) {
                break e;
            }
        };
        assert_eq!(full.raw_os_error(), Some(28), "ENOSPC: {full}");
    }

    let (s, v, _) = issue(&base, "c").await;
    assert_eq!(
        (s, v["error"].as_str(), v["reason"].as_str()),
        (503, Some("temporarily_unavailable"), Some("store_full")),
        "{v}"
    );
    assert!(v.get("access_token").is_none());
    assert_error(
        &revoke(&base, &refresh).await,
        503,
        "temporarily_unavailable",
        "store_full",
    );
    assert_error(
        &create_client(&base, &admin, "made-on-a-full-disk").await,
        503,
        "temporarily_unavailable",
        "store_full",
    );
    // Reads keep working and show the state before the failed writes exactly.
    assert_eq!(search(&base, &access).await.0, 200);
    assert!(active(&base, &refresh).await);
    assert_eq!(client_ids(&base, &admin).await, clients_before);
    assert_eq!(
        reqwest::get(format!("{base}/.well-known/jwks.json"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    // Space again: the same writes succeed, and their effects are visible.
    std::fs::remove_file(&filler).unwrap();
    let (s, v, _) = issue(&base, "c").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(revoke(&base, &refresh).await.0, 200);
    assert!(!active(&base, &refresh).await);
    assert_eq!(create_client(&base, &admin, "made-after").await.0, 201);
    let mut expected = clients_before.clone();
    expected.push("made-after".to_owned());
    expected.sort();
    assert_eq!(client_ids(&base, &admin).await, expected);
    drop(proxy);
}

// ---- the wall clock stepping -----------------------------------------------------------

const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// Steps the proxy's wall clock (libfaketime re-reads this file on every clock read).
fn step_clock(file: &Path, offset: &str) {
    std::fs::write(file, format!("{offset}\n")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_clock_stepping_neither_extends_nor_resurrects_tokens() {
    assert!(
        Path::new(FAKETIME_LIB).is_file(),
        "libfaketime is needed (apt-get install faketime)"
    );
    let up = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let cfg = dir.path().join("oauth4os.toml");
    std::fs::write(&cfg, config(port, &up.url(), "store.db", "", "")).unwrap();
    let clock = dir.path().join("clock");
    step_clock(&clock, "+0");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oauth4os-proxy"));
    cmd.arg("--config")
        .arg(&cfg)
        .env("LD_PRELOAD", FAKETIME_LIB)
        .env("FAKETIME_TIMESTAMP_FILE", &clock)
        .env("FAKETIME_NO_CACHE", "1")
        // Only the wall clock steps (as with NTP or an operator); the monotonic clock does not.
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let _proxy = Binary::start(cmd, &base).await;

    // Access tokens live an hour (the default), with 60 s of leeway.
    let used = access_token(&base, "c").await;
    assert_eq!(
        search(&base, &used).await.0,
        200,
        "now in the verified-token cache"
    );
    let unused = access_token(&base, "c").await;
    let revoked = access_token(&base, "c").await;
    assert_eq!(revoke(&base, &revoked).await.0, 200);
    assert_error(
        &search(&base, &revoked).await,
        401,
        "invalid_token",
        "revoked",
    );
    let limited = access_token(&base, "r").await;
    assert_eq!(search(&base, &limited).await.0, 200);
    assert_eq!(search(&base, &limited).await.0, 200);
    assert_error(
        &search(&base, &limited).await,
        429,
        "rate_limited",
        "client_rate_limit",
    );

    // Two hours forward: the cached token has expired. The rate limit does not refill with the
    // wall clock: a fresh token of the same client is still limited.
    step_clock(&clock, "+2h");
    assert_error(&search(&base, &used).await, 401, "invalid_token", "expired");
    let fresh = access_token(&base, "r").await;
    assert_error(
        &search(&base, &fresh).await,
        429,
        "rate_limited",
        "client_rate_limit",
    );
    // A revocation request purges revocations of expired tokens: by the stepped clock, the
    // revoked token has expired, but not by the time that really passed.
    assert_eq!(revoke(&base, "not-a-token").await.0, 200);

    // Back to two hours before the start: tokens issued "in the future" are refused.
    step_clock(&clock, "-2h");
    assert_error(
        &search(&base, &unused).await,
        401,
        "invalid_token",
        "iat_in_future",
    );

    // The clock is right again: valid tokens work, and the revoked one is still revoked.
    step_clock(&clock, "+0");
    assert_eq!(search(&base, &unused).await.0, 200);
    assert_eq!(search(&base, &used).await.0, 200);
    assert_error(
        &search(&base, &revoked).await,
        401,
        "invalid_token",
        "revoked",
    );
    assert!(!active(&base, &revoked).await);
}
