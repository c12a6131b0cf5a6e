//! `kill -9` loses nothing the proxy acknowledged: the real binary is SIGKILLed and restarted
//! on the same store; refresh tokens, rotations, revocations, keys, admin-made clients and
//! policies are all still there, and reuse of a rotated refresh token is still detected. Also
//! under load: eight clients issuing, rotating and revoking concurrently when the binary is
//! killed; every answer they saw acknowledged is still true after the restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ADMIN_SECRET: &str = "crash-admin-secret-0123456789";

struct Proxy {
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(config: &std::path::Path, url: &str) -> Proxy {
    let child = Command::new(env!("CARGO_BIN_EXE_oauth4os-proxy"))
        .arg("--config")
        .arg(config)
        .env("OAUTH4OS_KEY_ENCRYPTION_KEY", KEK)
        .env("OAUTH4OS_ADMIN_CLIENT_SECRET", ADMIN_SECRET)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{url}/health")).await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the proxy did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Proxy { child }
}

impl Proxy {
    /// SIGKILL: no shutdown hook, no flush, no goodbye.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Proxy {
    // A failed assertion must not leave the binary running (and holding the test's output open).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(url: &str, basic: (&str, &str), form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .basic_auth(basic.0, Some(basic.1))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_that_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret("agent-secret").unwrap();
    let config = dir.path().join("oauth4os.toml");
    std::fs::write(
        &config,
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
grant_types = ["client_credentials", "refresh_token"]
"#
        ),
    )
    .unwrap();
    let token_url = format!("{url}/oauth/token");
    let agent = ("agent", "agent-secret");

    let p = start(&config, &url).await;
    let jwks_before: Value = reqwest::get(format!("{url}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, first) = post(&token_url, agent, &[("grant_type", "client_credentials")]).await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let (s, second) = post(
        &token_url,
        agent,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
    )
    .await;
    assert_eq!(s, 200, "{second}");
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    let revoked = second["access_token"].as_str().unwrap().to_owned();
    let (s, _) = post(
        &format!("{url}/oauth/revoke"),
        agent,
        &[("token", &revoked)],
    )
    .await;
    assert_eq!(s, 200);
    let (_, admin) = post(
        &token_url,
        ("oauth4os-admin", ADMIN_SECRET),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let admin = admin["access_token"].as_str().unwrap().to_owned();
    let c = reqwest::Client::new();
    let made: Value = c
        .post(format!("{url}/admin/clients"))
        .bearer_auth(&admin)
        .json(&json!({"client_id": "api-made", "scopes": ["read:logs-a"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_secret = made["client_secret"].as_str().unwrap().to_owned();
    let policy = json!({"policy": "forbid (principal, action, resource is OAuth4os::Index) when { resource.name like \"logs-secret*\" };"});
    let r = c
        .put(format!("{url}/admin/policies/no-secret"))
        .bearer_auth(&admin)
        .json(&policy)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    p.kill_9();
    let p = start(&config, &url).await;

    // Keys survived: the same JWKS, and the revoked token is still refused.
    let jwks_after: Value = reqwest::get(format!("{url}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks_before, jwks_after);
    let (_, intro) = post(
        &format!("{url}/oauth/introspect"),
        agent,
        &[("token", &revoked)],
    )
    .await;
    assert_eq!(intro, json!({"active": false}));
    // The admin API's work survived: the client authenticates, the policy is listed.
    let (s, _) = post(
        &token_url,
        ("api-made", &api_secret),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 200);
    let (_, admin2) = post(
        &token_url,
        ("oauth4os-admin", ADMIN_SECRET),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let policies: Value = c
        .get(format!("{url}/admin/policies"))
        .bearer_auth(admin2["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(policies["policies"][0]["name"], "no-secret");
    // The rotation survived: rt2 works once; rt1 is a reuse that kills the family.
    let (s, third) = post(
        &token_url,
        agent,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt2)],
    )
    .await;
    assert_eq!(s, 200, "{third}");
    let rt3 = third["refresh_token"].as_str().unwrap().to_owned();
    let (s, reuse) = post(
        &token_url,
        agent,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
    )
    .await;
    assert_eq!((s, reuse["error"].as_str()), (400, Some("invalid_grant")));
    let (_, dead) = post(
        &token_url,
        agent,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt3)],
    )
    .await;
    assert_eq!(
        dead["error"], "invalid_grant",
        "reuse revoked the whole family"
    );

    // Once more, right after that reuse: the family revocation is durable too.
    p.kill_9();
    let p = start(&config, &url).await;
    let (_, dead) = post(
        &token_url,
        agent,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt3)],
    )
    .await;
    assert_eq!(dead["error"], "invalid_grant");
    let (_, intro) = post(
        &format!("{url}/oauth/introspect"),
        agent,
        &[("token", third["access_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(intro, json!({"active": false}));
    p.kill_9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_on_every_worker_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let config = dir.path().join("oauth4os.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\nworkers = 3\n[upstream]\nurl = \"http://127.0.0.1:9\"\n[authorization_server]\nissuer = \"{url}\"\naudiences = [\"{url}\"]\nstore_path = \"store.db\"\n"
        ),
    )
    .unwrap();
    let mut p = start(&config, &url).await;
    // Many fresh connections: the kernel spreads them over the three listening sockets.
    for _ in 0..30 {
        let c = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let r = c.get(format!("{url}/health")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let meta: Value = reqwest::get(format!("{url}/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], url.as_str());
    // Some traffic of every kind, then the exposition must satisfy Prometheus' own checker.
    let r = reqwest::get(format!("{url}/logs-*/_search")).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = reqwest::Client::new()
        .post(format!("{url}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("oauth4os_requests_total"), "{metrics}");
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is needed (apt-get install prometheus; .ci/run installs it)");
    std::io::Write::write_all(&mut check.stdin.take().unwrap(), metrics.as_bytes()).unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let om = reqwest::Client::new()
        .get(format!("{url}/metrics"))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert!(
        om.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(
        om.text().await.unwrap().ends_with("# EOF\n"),
        "OpenMetrics when asked for"
    );
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(p.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = p.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the proxy did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(code.success(), "{code:?}");
    assert!(
        reqwest::get(format!("{url}/health")).await.is_err(),
        "nothing listens any more"
    );
}

/// A POST that may fail in transport (the proxy was killed): `None` then.
async fn try_post(
    c: &reqwest::Client,
    url: &str,
    basic: (&str, &str),
    form: &[(&str, &str)],
) -> Option<(u16, Value)> {
    let r = c
        .post(url)
        .basic_auth(basic.0, Some(basic.1))
        .form(form)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.ok()?))
}

/// What the client saw acknowledged (200) for one refresh family, in order.
#[derive(Debug, Default)]
struct Chain {
    /// Access tokens issued (by the first grant and by each rotation).
    access: Vec<String>,
    /// The refresh token the last acknowledged rotation answered.
    refresh: String,
    /// Refresh tokens rotated away by acknowledged rotations.
    superseded: Vec<String>,
    /// Access tokens whose revocation was acknowledged.
    revoked_access: Vec<String>,
    /// The family's revocation (through its refresh token) was acknowledged.
    family_revoked: bool,
    /// A request of this chain got no answer: the proxy died with it in flight, so whether
    /// it took effect is unknown (everything acknowledged before it is still checked).
    in_flight: bool,
}

/// One worker: chains of issue → rotate → rotate → revoke (the family on even chains, the
/// last access token on odd ones) until `stop` or until a request gets no answer.
async fn drive(url: String, acked: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> Vec<Chain> {
    use std::sync::atomic::Ordering;
    let c = reqwest::Client::new();
    let agent = ("agent", "agent-secret");
    let token_url = format!("{url}/oauth/token");
    let revoke_url = format!("{url}/oauth/revoke");
    let mut chains = Vec::new();
    for k in 0.. {
        let Some((s, v)) = try_post(
            &c,
            &token_url,
            agent,
            &[("grant_type", "client_credentials")],
        )
        .await
        else {
            return chains;
        };
        assert_eq!(s, 200, "{v}");
        acked.fetch_add(1, Ordering::SeqCst);
        let mut chain = Chain {
            access: vec![v["access_token"].as_str().unwrap().to_owned()],
            refresh: v["refresh_token"].as_str().unwrap().to_owned(),
            ..Chain::default()
        };
        for _ in 0..2 {
            let old = chain.refresh.clone();
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", old.as_str()),
            ];
            let Some((s, v)) = try_post(&c, &token_url, agent, &form).await else {
                chain.in_flight = true;
                chains.push(chain);
                return chains;
            };
            assert_eq!(s, 200, "{v}");
            acked.fetch_add(1, Ordering::SeqCst);
            chain.superseded.push(old);
            chain.refresh = v["refresh_token"].as_str().unwrap().to_owned();
            chain
                .access
                .push(v["access_token"].as_str().unwrap().to_owned());
        }
        let target = if k % 2 == 0 {
            chain.refresh.clone()
        } else {
            chain.access.last().unwrap().clone()
        };
        let Some((s, v)) = try_post(&c, &revoke_url, agent, &[("token", target.as_str())]).await
        else {
            chain.in_flight = true;
            chains.push(chain);
            return chains;
        };
        assert_eq!(s, 200, "{v}");
        acked.fetch_add(1, Ordering::SeqCst);
        if k % 2 == 0 {
            chain.family_revoked = true;
        } else {
            chain.revoked_access.push(target);
        }
        chains.push(chain);
    }
    chains
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_issuance_rotation_or_revocation() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret("agent-secret").unwrap();
    let config = dir.path().join("oauth4os.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\n[upstream]\nurl = \"http://127.0.0.1:9\"\n[authorization_server]\nissuer = \"{url}\"\naudiences = [\"{url}\"]\nstore_path = \"store.db\"\n[[authorization_server.clients]]\nid = \"agent\"\nsecret_hash = \"{hash}\"\nscopes = \"read:logs-*\"\ngrant_types = [\"client_credentials\", \"refresh_token\"]\n"
        ),
    )
    .unwrap();
    let p = start(&config, &url).await;
    // Authenticate once so that every worker is answered from the checked-secret cache.
    let (s, _) = post(
        &format!("{url}/oauth/token"),
        ("agent", "agent-secret"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 200);

    let acked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| tokio::spawn(drive(url.clone(), acked.clone())))
        .collect();
    // Killed in the middle of the load: requests are in flight on every worker.
    while acked.load(Ordering::SeqCst) < 400 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    p.kill_9();
    let mut chains = Vec::new();
    for w in workers {
        chains.extend(w.await.unwrap());
    }
    let p = start(&config, &url).await;

    let c = reqwest::Client::new();
    let introspect_url = format!("{url}/oauth/introspect");
    let active = async |token: &str| -> bool {
        let (s, v) = try_post(
            &c,
            &introspect_url,
            ("agent", "agent-secret"),
            &[("token", token)],
        )
        .await
        .unwrap();
        assert_eq!(s, 200, "{v}");
        v["active"].as_bool().unwrap()
    };
    let (mut rotations, mut revocations, mut issuances, mut unsure) = (0, 0, 0, 0);
    for chain in &chains {
        issuances += 1;
        for old in &chain.superseded {
            assert!(
                !active(old).await,
                "a rotated-away refresh token is active again"
            );
            rotations += 1;
        }
        for t in &chain.revoked_access {
            assert!(!active(t).await, "a revoked access token is active again");
            revocations += 1;
        }
        if chain.family_revoked {
            revocations += 1;
            assert!(
                !active(&chain.refresh).await,
                "a revoked family is active again"
            );
            for t in &chain.access {
                assert!(
                    !active(t).await,
                    "an access token of a revoked family is active"
                );
            }
        } else if chain.in_flight {
            unsure += 1;
        } else {
            // Nothing was in flight: the last rotation's refresh token is the current one,
            // and every access token not revoked is known.
            assert!(
                active(&chain.refresh).await,
                "an acknowledged rotation was lost"
            );
            for t in chain
                .access
                .iter()
                .filter(|t| !chain.revoked_access.contains(t))
            {
                assert!(active(t).await, "an acknowledged issuance was lost");
            }
        }
    }
    assert!(
        rotations >= 100 && revocations >= 30,
        "too little load to prove anything: {rotations} rotations, {revocations} revocations"
    );
    assert!(unsure <= 8, "one request in flight per worker at most");
    eprintln!(
        "kill -9 under load: {issuances} families, {rotations} rotations, {revocations} revocations checked; {unsure} with a request in flight"
    );

    // The current token of an intact family really is current: it rotates; the one before it
    // is a replay that revokes the family.
    let intact = chains
        .iter()
        .find(|c| !c.family_revoked && !c.in_flight)
        .unwrap();
    let token_url = format!("{url}/oauth/token");
    let agent = ("agent", "agent-secret");
    let (s, v) = post(
        &token_url,
        agent,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &intact.refresh),
        ],
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let newest = v["refresh_token"].as_str().unwrap().to_owned();
    let (s, v) = post(
        &token_url,
        agent,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", intact.superseded.last().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str(), v["reason"].as_str()),
        (400, Some("invalid_grant"), Some("refresh_token_invalid")),
        "{v}"
    );
    assert!(!active(&newest).await, "the replay revoked the family");
    p.kill_9();
}
