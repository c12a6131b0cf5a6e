//! The resource side against the real OpenSearch and the real OpenID provider (as a tenant).
//! Run by `.ci/harness/smoke.sh` (part of `make test`) with `OAUTH4OS_OPENSEARCH_URL` set.
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

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use idp::Idp;
use oauth4os_proxy::{App, Loaded};
use serde_json::{Value, json};
use support::JsonExt as _;

fn opensearch() -> String {
    std::env::var("OAUTH4OS_OPENSEARCH_URL")
        .expect("set OAUTH4OS_OPENSEARCH_URL (run through `make test` or .ci/harness/smoke.sh)")
}

struct Proxy {
    url: String,
    _dir: tempfile::TempDir,
}

/// Starts the proxy on a free port with `tenants` and `extra` TOML appended to a base config.
async fn start_proxy(upstream: &str, extra: &str) -> Proxy {
    start_proxy_with(upstream, "", extra).await
}

/// [`start_proxy`] with `upstream_extra` lines in `[upstream]`.
async fn start_proxy_with(upstream: &str, upstream_extra: &str, extra: &str) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let public = format!("http://{addr}");
    let toml = format!(
        r#"
listen = "{addr}"
public_url = "{public}"

[upstream]
url = "{upstream}"
timeout_secs = 5
{upstream_extra}

[authorization_server]
issuer = "{public}"
audiences = ["{public}"]
store_path = "{store}"

[[scope_mappings]]
scope = "read:xp-logs-*"
roles = ["logs_reader"]

{extra}
"#,
        store = dir.path().join("store.db").display()
    );
    let loaded = Loaded::from_str(&toml, "test.toml", dir.path().to_path_buf()).unwrap();
    let app = App::build(loaded, [7u8; 32]).unwrap();
    tokio::spawn(oauth4os_proxy::serve(app, listener, std::future::pending()));
    Proxy {
        url: public,
        _dir: dir,
    }
}

fn tenant(idp: &Idp, name: &str, audience: &str) -> String {
    format!(
        "[[tenants]]\nname = \"{name}\"\nissuer = \"{}\"\naudiences = [\"{audience}\"]\nrequired_typ = \"at+jwt\"\n",
        idp.issuer
    )
}

async fn idp_token(idp: &Idp, scope: &str, resource: &str) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth("ci-client", Some("ci-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("resource", resource),
        ])
        .value()
        .await;
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {v}"))
        .to_owned()
}

async fn call(
    proxy: &Proxy,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", proxy.url),
        )
        .header(
            "content-type",
            if path.contains("_bulk") || path.contains("_msearch") {
                "application/x-ndjson"
            } else {
                "application/json"
            },
        );
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if !body.is_empty() {
        req = req.body(body.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// Creates the test indices once per test binary (tests run concurrently and share them).
async fn seed() {
    static SEEDED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SEEDED.get_or_init(seed_once).await;
}

async fn seed_once() {
    let c = reqwest::Client::new();
    for idx in ["xp-logs-a", "xp-secret"] {
        let _ = c.delete(format!("{}/{idx}", opensearch())).send().await;
        c.put(format!("{}/{idx}", opensearch()))
            .json(&json!({"settings":{"number_of_shards":1,"number_of_replicas":0}}))
            .send()
            .await
            .unwrap();
        c.put(format!("{}/{idx}/_doc/1?refresh=true", opensearch()))
            .json(&json!({"level":"error","message":"boom","service":idx}))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn tenant_tokens_are_authorized_per_index_against_real_opensearch() {
    seed().await;
    let idp = Idp::start(&["--extra-scopes", "read:xp-logs-*"]);
    let aud = "https://search.oauth4os.test";
    let proxy = start_proxy(&opensearch(), &tenant(&idp, "acme", aud)).await;
    let token = idp_token(&idp, "read:xp-logs-*", aud).await;

    // Allowed search.
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/xp-logs-*/_search",
        Some(&token),
        r#"{"query":{"match":{"level":"error"}}}"#,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["hits"]["total"]["value"], 1);
    assert_eq!(v["hits"]["hits"][0]["_index"], "xp-logs-a");

    // Denied: another index, a mixed path, bodies naming a forbidden index, _all, *, bare _search.
    let denied = [
        ("GET", "/xp-secret/_search", ""),
        ("GET", "/xp-logs-a,xp-secret/_search", ""),
        (
            "POST",
            "/_msearch",
            "{\"index\":\"xp-logs-a\"}\n{}\n{\"index\":\"xp-secret\"}\n{}\n",
        ),
        (
            "POST",
            "/xp-logs-a/_msearch",
            "{}\n{}\n{\"index\":\"xp-secret\"}\n{}\n",
        ),
        (
            "POST",
            "/_bulk",
            "{\"index\":{\"_index\":\"xp-secret\"}}\n{\"a\":1}\n",
        ),
        ("GET", "/_all/_search", ""),
        ("GET", "/*/_search", ""),
        ("GET", "/_search", ""),
    ];
    for (m, p, b) in denied {
        let (s, h, v) = call(&proxy, m, p, Some(&token), b).await;
        assert_eq!(s, 403, "{m} {p}: {v}");
        assert_eq!(v["error"], "insufficient_scope", "{m} {p}: {v}");
        assert_eq!(v["reason"], "insufficient_scope", "{m} {p}: {v}");
        // The scope that would do, as data in the body and in the challenge (RFC 6750 §3).
        let needed = v["scope"].as_str().unwrap_or_else(|| panic!("{v}"));
        assert!(needed.contains(':'), "{v}");
        let www = h["www-authenticate"].to_str().unwrap();
        assert!(
            www.contains("error=\"insufficient_scope\"")
                && www.contains(&format!("scope=\"{needed}\"")),
            "{www}"
        );
    }
    // The forbidden document was not written by the denied bulk.
    let count: Value = reqwest::get(format!("{}/xp-secret/_count", opensearch()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count["count"], 1);

    // A token for another audience (another tenant's resource) is refused.
    let other = idp_token(&idp, "read:xp-logs-*", "https://other.oauth4os.test").await;
    let (s, h, v) = call(&proxy, "GET", "/xp-logs-a/_search", Some(&other), "").await;
    assert_eq!((s, v["error"].as_str()), (401, Some("invalid_token")));
    assert!(
        h["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );

    // A tenant's token revoked here (RFC 7009, holding it is enough) is refused from then on;
    // another token of the same tenant is not affected.
    let second = idp_token(&idp, "read:xp-logs-*", aud).await;
    let revoked: Value = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", proxy.url))
        .form(&[("token", token.as_str())])
        .value()
        .await;
    assert_eq!(revoked, json!({"revoked": true}));
    let (s, _, v) = call(&proxy, "GET", "/xp-logs-a/_search", Some(&token), "").await;
    assert_eq!(
        (s, v["error"].as_str()),
        (401, Some("invalid_token")),
        "{v}"
    );
    let (s, _, _) = call(&proxy, "GET", "/xp-logs-a/_search", Some(&second), "").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn no_or_bad_token_gets_401_with_resource_metadata() {
    let proxy = start_proxy(&opensearch(), "").await;
    let (s, h, v) = call(&proxy, "GET", "/xp-logs-a/_search", None, "").await;
    assert_eq!(s, 401);
    let www = h["www-authenticate"].to_str().unwrap();
    assert_eq!(
        www,
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource\"",
            proxy.url
        )
    );
    assert!(v["error_description"].is_string());
    let (s, h, v) = call(&proxy, "GET", "/xp-logs-a/_search", Some("not.a.jwt"), "").await;
    assert_eq!((s, v["error"].as_str()), (401, Some("invalid_token")));
    assert!(
        h["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    assert!(
        !v.to_string().contains("not.a.jwt"),
        "errors never echo the token"
    );

    // RFC 9728 documents.
    let doc: Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource",
        proxy.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(doc["resource"], proxy.url);
    assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    assert_eq!(doc["authorization_servers"][0], proxy.url);
    let doc: Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        proxy.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(doc["resource"], format!("{}/mcp", proxy.url));
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let idp = Idp::start(&["--extra-scopes", "read:xp-logs-*"]);
    let aud = "https://search.oauth4os.test";
    let proxy = start_proxy(
        &opensearch(),
        &format!(
            "{}\n[rate_limits]\ndefault = \"1/min burst 2\"\n",
            tenant(&idp, "acme", aud)
        ),
    )
    .await;
    let token = idp_token(&idp, "read:xp-logs-*", aud).await;
    for _ in 0..2 {
        assert_eq!(
            call(&proxy, "GET", "/xp-logs-*/_count", Some(&token), "")
                .await
                .0,
            200
        );
    }
    let (s, h, v) = call(&proxy, "GET", "/xp-logs-a/_count", Some(&token), "").await;
    assert_eq!((s, v["error"].as_str()), (429, Some("rate_limited")));
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let metrics = reqwest::get(format!("{}/metrics", proxy.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("oauth4os_rate_limited_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_unreachable_opensearch_is_a_502_json_error() {
    let idp = Idp::start(&["--extra-scopes", "read:xp-logs-*"]);
    let aud = "https://search.oauth4os.test";
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = start_proxy(&format!("http://{closed}"), &tenant(&idp, "acme", aud)).await;
    let token = idp_token(&idp, "read:xp-logs-*", aud).await;
    let (s, _, v) = call(&proxy, "GET", "/xp-logs-a/_search", Some(&token), "").await;
    assert_eq!(s, 502, "{v}");
    assert_eq!(v["error"], "upstream");
    assert_eq!(v["reason"], "upstream_unavailable");
    let ready = reqwest::get(format!("{}/ready", proxy.url)).await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(
        (body["upstream"].as_str(), body["store"].as_str()),
        (Some("unreachable"), Some("ok"))
    );
    // With OpenSearch up, the same proxy configuration is ready.
    let up = start_proxy(&opensearch(), "").await;
    let body: Value = reqwest::get(format!("{}/ready", up.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ready", "{body}");
}

/// An upstream that records the headers it receives, to prove what reaches OpenSearch.
async fn recording_upstream() -> (String, Arc<Mutex<Vec<reqwest::header::HeaderMap>>>) {
    use axum::extract::Request;
    let seen: Arc<Mutex<Vec<reqwest::header::HeaderMap>>> = Arc::default();
    let s2 = seen.clone();
    let app = support::fake_opensearch(axum::Router::new().fallback(move |req: Request| {
        let seen = s2.clone();
        async move {
            seen.lock().unwrap().push(req.headers().clone());
            axum::Json(json!({"count": 0}))
        }
    }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn smuggled_identity_headers_never_reach_the_upstream() {
    let idp = Idp::start(&["--extra-scopes", "read:xp-logs-*"]);
    let aud = "https://search.oauth4os.test";
    let (upstream, seen) = recording_upstream().await;
    let proxy = start_proxy(&upstream, &tenant(&idp, "acme", aud)).await;
    let token = idp_token(&idp, "read:xp-logs-*", aud).await;
    let resp = reqwest::Client::new()
        .get(format!("{}/xp-logs-a/_count", proxy.url))
        .bearer_auth(&token)
        .header("x-proxy-roles", "all_access")
        .header("x-proxy-user", "admin")
        .header("x-forwarded-for", "10.0.0.1")
        .header("connection", "x-custom-hop")
        .header("x-custom-hop", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let seen = seen.lock().unwrap();
    let h = seen.last().unwrap();
    assert_eq!(h["x-proxy-user"], "ci-client");
    assert_eq!(h["x-proxy-roles"], "logs_reader");
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!(h.get_all("x-proxy-roles").iter().count(), 1);
    assert!(
        h.get("authorization").is_none(),
        "the client's token is not forwarded"
    );
    assert!(
        h.get("x-custom-hop").is_none(),
        "headers named by Connection are hop-by-hop"
    );
}

#[tokio::test]
async fn own_tokens_token_search_revoke_then_401() {
    seed().await;
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret("s3cret").unwrap();
    let clients = format!(
        "[[authorization_server.clients]]\nid = \"my-agent\"\nsecret_hash = \"{hash}\"\nscopes = \"read:xp-logs-*\"\n"
    );
    let proxy = start_proxy(&opensearch(), &clients).await;
    let c = reqwest::Client::new();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "my-agent"),
        ("client_secret", "s3cret"),
        ("scope", "read:xp-logs-*"),
    ];
    let tok: Value = c
        .post(format!("{}/oauth/token", proxy.url))
        .form(&form)
        .value()
        .await;
    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["scope"], "read:xp-logs-*");
    let token = tok["access_token"].as_str().unwrap();

    // curl -d sends a form content type: the proxy relabels it for OpenSearch.
    let r = c
        .post(format!("{}/xp-logs-*/_search", proxy.url))
        .bearer_auth(token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#"{"query":{"match":{"level":"error"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["hits"]["total"]["value"], 1);

    // Asking for more than the client may hold is invalid_scope; a wrong secret invalid_client.
    let bad = [
        ("grant_type", "client_credentials"),
        ("client_id", "my-agent"),
        ("client_secret", "s3cret"),
        ("scope", "read:*"),
    ];
    let r = c
        .post(format!("{}/oauth/token", proxy.url))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v = r.json::<Value>().await.unwrap();
    assert_eq!(
        (&v["error"], &v["reason"]),
        (&json!("invalid_scope"), &json!("scope_not_allowed")),
        "{v}"
    );

    let revoked: Value = c
        .post(format!("{}/oauth/revoke", proxy.url))
        .form(&[("token", token)])
        .value()
        .await;
    assert_eq!(revoked, json!({"revoked": true}));
    let (s, h, v) = call(&proxy, "GET", "/xp-logs-*/_search", Some(token), "").await;
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["error"], "invalid_token");
    // A revoked token is told apart from an expired or forged one.
    assert_eq!(v["reason"], "revoked", "{v}");
    assert!(
        h["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
}

/// A client `my-agent` / `s3cret` allowed `read:xp-*`, and the admin client.
fn agent_and_admin() -> String {
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret("s3cret").unwrap();
    let admin = oauth4os_proxy::authz::AuthServer::hash_secret("admin-secret-0123456789").unwrap();
    format!(
        "[[authorization_server.clients]]\nid = \"my-agent\"\nsecret_hash = \"{hash}\"\nscopes = \"read:xp-*\"\n\n[authorization_server.admin]\nsecret_hash = \"{admin}\"\n"
    )
}

async fn own_token(proxy: &Proxy, id: &str, secret: &str, scope: &str) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", proxy.url))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .value()
        .await;
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned()
}

async fn admin_call(
    proxy: &Proxy,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", proxy.url),
        )
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn admin_policies_apply_to_the_next_request_without_a_restart() {
    seed().await;
    let proxy = start_proxy(&opensearch(), &agent_and_admin()).await;
    let token = own_token(&proxy, "my-agent", "s3cret", "read:xp-*").await;
    let admin = own_token(
        &proxy,
        "oauth4os-admin",
        "admin-secret-0123456789",
        "oauth4os:admin",
    )
    .await;
    let (s, _, v) = call(&proxy, "GET", "/xp-secret/_search", Some(&token), "").await;
    assert_eq!(s, 200, "{v}");

    // A policy that does not validate is refused and changes nothing.
    let bad = json!({"policy": "forbid (principal, action, resource) when { resource.name like \"xp-secret*\" };"});
    let (s, v) = admin_call(
        &proxy,
        &admin,
        "PUT",
        "/admin/policies/no-secret",
        Some(bad),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("admin:no-secret"),
        "{v}"
    );
    let (s, _, _) = call(&proxy, "GET", "/xp-secret/_search", Some(&token), "").await;
    assert_eq!(s, 200);

    // A valid forbid wins over the scope at once, also behind a wildcard.
    let good = json!({"policy": "forbid (principal, action, resource is OAuth4os::Index) when { resource.name like \"xp-secret*\" };"});
    let (s, v) = admin_call(
        &proxy,
        &admin,
        "PUT",
        "/admin/policies/no-secret",
        Some(good),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    for path in ["/xp-secret/_search", "/xp-*/_search"] {
        let (s, _, v) = call(&proxy, "GET", path, Some(&token), "").await;
        assert_eq!(s, 403, "{path}: {v}");
    }
    let (s, _, v) = call(&proxy, "GET", "/xp-logs-a/_search", Some(&token), "").await;
    assert_eq!(s, 200, "{v}");
    let (_, list) = admin_call(&proxy, &admin, "GET", "/admin/policies", None).await;
    assert_eq!(list["policies"][0]["name"], "no-secret");

    // Deleting it restores access, again without a restart.
    let (s, _) = admin_call(&proxy, &admin, "DELETE", "/admin/policies/no-secret", None).await;
    assert_eq!(s, 204);
    let (s, _, _) = call(&proxy, "GET", "/xp-secret/_search", Some(&token), "").await;
    assert_eq!(s, 200);
    let (s, _) = admin_call(&proxy, &admin, "DELETE", "/admin/policies/no-secret", None).await;
    assert_eq!(s, 404);
    // The resource side refuses the admin token, and the admin API refuses the client token.
    let (s, _, _) = call(&proxy, "GET", "/xp-logs-a/_search", Some(&admin), "").await;
    assert_eq!(s, 401);
    let (s, _) = admin_call(&proxy, &token, "GET", "/admin/policies", None).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn admin_scope_mappings_change_the_roles_sent_upstream() {
    let (upstream, seen) = recording_upstream().await;
    let proxy = start_proxy(&upstream, &agent_and_admin()).await;
    let token = own_token(&proxy, "my-agent", "s3cret", "read:xp-logs-a").await;
    let admin = own_token(
        &proxy,
        "oauth4os-admin",
        "admin-secret-0123456789",
        "oauth4os:admin",
    )
    .await;
    let roles = |seen: &Arc<Mutex<Vec<reqwest::header::HeaderMap>>>| {
        seen.lock()
            .unwrap()
            .last()
            .unwrap()
            .get("x-proxy-roles")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (s, _, _) = call(&proxy, "GET", "/xp-logs-a/_count", Some(&token), "").await;
    assert_eq!(s, 200);
    assert_eq!(
        roles(&seen).as_deref(),
        Some("logs_reader"),
        "the configuration's mapping"
    );
    let (s, v) = admin_call(
        &proxy,
        &admin,
        "PUT",
        "/admin/scope-mappings/read:xp-logs-a",
        Some(json!({"roles": ["app_reader"]})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = admin_call(
        &proxy,
        &admin,
        "PUT",
        "/admin/scope-mappings/read:xp-logs-a",
        Some(json!({"roles": ["a,all_access"]})),
    )
    .await;
    assert_eq!(s, 400, "a comma would smuggle a role: {v}");
    let (_, _, _) = call(&proxy, "GET", "/xp-logs-a/_count", Some(&token), "").await;
    assert_eq!(roles(&seen).as_deref(), Some("app_reader,logs_reader"));
    let (_, list) = admin_call(&proxy, &admin, "GET", "/admin/scope-mappings", None).await;
    assert_eq!(list["mappings"].as_array().unwrap().len(), 2, "{list}");
    let (s, _) = admin_call(
        &proxy,
        &admin,
        "DELETE",
        "/admin/scope-mappings/read:xp-logs-a",
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (_, _, _) = call(&proxy, "GET", "/xp-logs-a/_count", Some(&token), "").await;
    assert_eq!(roles(&seen).as_deref(), Some("logs_reader"));
    let (_, tenants) = admin_call(&proxy, &admin, "GET", "/admin/tenants", None).await;
    assert_eq!(tenants["tenants"][0]["name"], "default");
}

#[tokio::test]
async fn a_client_rate_set_through_the_admin_api_applies_at_once() {
    let (upstream, _seen) = recording_upstream().await;
    let proxy = start_proxy(&upstream, &agent_and_admin()).await;
    let admin = own_token(
        &proxy,
        "oauth4os-admin",
        "admin-secret-0123456789",
        "oauth4os:admin",
    )
    .await;
    let (s, v) = admin_call(
        &proxy,
        &admin,
        "POST",
        "/admin/clients",
        Some(
            json!({"client_id": "slow", "scopes": ["read:xp-logs-a"], "rate_limit": "fast please"}),
        ),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("rate_limit"),
        "{v}"
    );
    let (s, made) = admin_call(
        &proxy,
        &admin,
        "POST",
        "/admin/clients",
        Some(json!({"client_id": "slow", "scopes": ["read:xp-logs-a"], "rate_limit": "1/min"})),
    )
    .await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["rate_limit"], "1/min");
    let token = own_token(
        &proxy,
        "slow",
        made["client_secret"].as_str().unwrap(),
        "read:xp-logs-a",
    )
    .await;
    let (s, _, _) = call(&proxy, "GET", "/xp-logs-a/_count", Some(&token), "").await;
    assert_eq!(s, 200);
    let (s, h, v) = call(&proxy, "GET", "/xp-logs-a/_count", Some(&token), "").await;
    assert_eq!((s, v["error"].as_str()), (429, Some("rate_limited")), "{v}");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    // Without its own rate the client falls back to the default (none here).
    let (s, v) = admin_call(
        &proxy,
        &admin,
        "PUT",
        "/admin/clients/slow",
        Some(json!({"scopes": ["read:xp-logs-a"]})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, _, _) = call(&proxy, "GET", "/xp-logs-a/_count", Some(&token), "").await;
    assert_eq!(s, 200);
}

/// Sends `body` to OpenSearch directly (no proxy), failing the test unless it succeeds.
async fn os(method: &str, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", opensearch()),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    v
}

/// A cluster where names lie: aliases named like logs onto `rr-secret` (plain, filtered,
/// write and hidden), two data streams, and the proxy in front with a snapshot that is only
/// dropped by changes made through it (a TTL of an hour).
async fn lying_names() -> Proxy {
    for idx in ["rr-logs-1", "rr-secret", "rr-logs-copy"] {
        let _ = reqwest::Client::new()
            .delete(format!("{}/{idx}", opensearch()))
            .send()
            .await;
    }
    for ds in ["rr-logs-ds", "rr-other-ds"] {
        let _ = reqwest::Client::new()
            .delete(format!("{}/_data_stream/{ds}", opensearch()))
            .send()
            .await;
    }
    let one_shard = json!({"settings":{"number_of_shards":1,"number_of_replicas":0}});
    os("PUT", "/rr-logs-1", one_shard.clone()).await;
    os("PUT", "/rr-secret", one_shard).await;
    os(
        "PUT",
        "/rr-logs-1/_doc/1?refresh=true",
        json!({"kind":"log","message":"fine"}),
    )
    .await;
    os(
        "PUT",
        "/rr-secret/_doc/1?refresh=true",
        json!({"kind":"payroll","salary":1}),
    )
    .await;
    os(
        "POST",
        "/_aliases",
        json!({"actions":[
            {"add":{"index":"rr-secret","alias":"rr-logs-x"}},
            {"add":{"index":"rr-secret","alias":"rr-logs-f","filter":{"term":{"kind":"payroll"}}}},
            {"add":{"index":"rr-secret","alias":"rr-logs-w","is_write_index":true}},
            {"add":{"index":"rr-secret","alias":"rr-hid-a","is_hidden":true}},
            {"add":{"index":"rr-logs-1","alias":"rr-logs-z"}}
        ]}),
    )
    .await;
    os(
        "PUT",
        "/_index_template/rr-ds",
        json!({"index_patterns":["rr-logs-ds*","rr-other-ds*"],"data_stream":{},"priority":500,
               "template":{"settings":{"number_of_shards":1,"number_of_replicas":0}}}),
    )
    .await;
    os("PUT", "/_data_stream/rr-logs-ds", json!({})).await;
    os(
        "PUT",
        "/_ingest/pipeline/rr-empty",
        json!({"processors": []}),
    )
    .await;
    let _ = reqwest::Client::new()
        .delete(format!("{}/rr-logs-piped", opensearch()))
        .send()
        .await;
    os(
        "PUT",
        "/rr-logs-piped",
        json!({"settings":{"number_of_shards":1,"number_of_replicas":0,"index.default_pipeline":"rr-unknown-default"}}),
    )
    .await;
    os(
        "PUT",
        "/_index_template/rr-tpl",
        json!({"index_patterns":["rr-tpl-*"],"priority":501,
               "template":{"settings":{"index.default_pipeline":"rr-unknown-template"}}}),
    )
    .await;
    os("PUT", "/_data_stream/rr-other-ds", json!({})).await;
    let reader = oauth4os_proxy::authz::AuthServer::hash_secret("r3ader").unwrap();
    let admin = oauth4os_proxy::authz::AuthServer::hash_secret("m4nager").unwrap();
    let clients = format!(
        "[[authorization_server.clients]]\nid = \"rr-reader\"\nsecret_hash = \"{reader}\"\n\
         scopes = \"read:rr-logs-* write:rr-logs-* monitor:rr-logs-* read:rr-hid* read:.ds-* write:rr-dm-* read:rr-dm-*\"\n\n\
         [[authorization_server.clients]]\nid = \"rr-manager\"\nsecret_hash = \"{admin}\"\nscopes = \"manage:* write:*\"\n"
    );
    start_proxy_with(&opensearch(), "resolve_cache_secs = 3600", &clients).await
}

fn assert_reaches_ungranted(s: u16, v: &Value, what: &str, needed: &str) {
    assert_eq!(s, 403, "{what}: {v}");
    assert_eq!(v["error"], "insufficient_scope", "{what}: {v}");
    assert_eq!(v["reason"], "target_not_granted", "{what}: {v}");
    assert_eq!(v["scope"], needed, "{what}: {v}");
}

#[tokio::test]
async fn what_opensearch_touches_is_authorized_not_the_name_as_written() {
    let proxy = lying_names().await;
    let reader = own_token(&proxy, "rr-reader", "r3ader", "").await;
    let manager = own_token(&proxy, "rr-manager", "m4nager", "").await;

    // The hole being closed: OpenSearch itself answers `rr-logs-x` with `rr-secret`'s documents.
    let direct = os("GET", "/rr-logs-x/_search", json!({})).await;
    assert_eq!(direct["hits"]["hits"][0]["_index"], "rr-secret");

    // Every route that names indices, through every kind of alias: refused, naming the index
    // reached and the scope that would grant it.
    let routes: &[(&str, &str, &str)] = &[
        ("GET", "/rr-logs-x/_search", ""),
        ("GET", "/rr-logs-f/_search", ""),
        ("GET", "/rr-logs-x/_count", ""),
        ("GET", "/rr-logs-x/_doc/1", ""),
        ("GET", "/rr-logs-x/_field_caps?fields=*", ""),
        (
            "POST",
            "/_msearch",
            "{\"index\":\"rr-logs-1\"}\n{}\n{\"index\":\"rr-logs-x\"}\n{}\n",
        ),
        (
            "POST",
            "/_mget",
            r#"{"docs":[{"_index":"rr-logs-x","_id":"1"}]}"#,
        ),
        (
            "POST",
            "/_mtermvectors",
            r#"{"docs":[{"_index":"rr-logs-x","_id":"1"}]}"#,
        ),
        ("GET", "/_cat/indices/rr-logs-x?format=json", ""),
        (
            "POST",
            "/rr-logs-x/_update_by_query",
            r#"{"query":{"match_all":{}}}"#,
        ),
        (
            "POST",
            "/rr-logs-x/_delete_by_query",
            r#"{"query":{"match_all":{}}}"#,
        ),
        (
            "POST",
            "/_reindex",
            r#"{"source":{"index":"rr-logs-x"},"dest":{"index":"rr-logs-copy"}}"#,
        ),
        (
            "POST",
            "/rr-logs-1/_search",
            r#"{"query":{"terms":{"kind":{"index":"rr-logs-x","id":"1","path":"kind"}}}}"#,
        ),
    ];
    for (m, p, b) in routes {
        let (s, _, v) = call(&proxy, m, p, Some(&reader), b).await;
        let needed = if p.contains("_by_query") {
            "write:rr-secret"
        } else if p.starts_with("/_cat") {
            "monitor:rr-secret"
        } else {
            "read:rr-secret"
        };
        assert_reaches_ungranted(s, &v, &format!("{m} {p}"), needed);
    }
    // Listing names is monitoring the whole cluster: `monitor:rr-logs-*` does not list the
    // cluster's indices, aliases or state (they would name `rr-secret`).
    for p in [
        "/_cat/indices?format=json",
        "/_cat/aliases?format=json",
        "/_cluster/state",
        "/_cluster/state/metadata",
    ] {
        let (s, _, v) = call(&proxy, "GET", p, Some(&reader), "").await;
        assert_eq!((s, &v["scope"]), (403, &json!("monitor:*")), "{p}: {v}");
    }
    // A search template renders its query from parameters, so what it reads cannot be told
    // before it runs: it needs `read:*` whatever the path names.
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/rr-logs-1/_search/template",
        Some(&reader),
        r#"{"source":{"query":{"match_all":{}}}}"#,
    )
    .await;
    assert_eq!((s, &v["scope"]), (403, &json!("read:*")), "{v}");
    // Writes through a write alias land in `rr-secret`.
    for (m, p, b) in [
        ("POST", "/rr-logs-w/_doc", r#"{"kind":"log"}"#),
        (
            "POST",
            "/_bulk",
            "{\"index\":{\"_index\":\"rr-logs-w\"}}\n{\"kind\":\"log\"}\n",
        ),
    ] {
        let (s, _, v) = call(&proxy, m, p, Some(&reader), b).await;
        assert_reaches_ungranted(s, &v, &format!("{m} {p}"), "write:rr-secret");
    }
    // A wildcard reaches every alias it matches, hidden ones too (whatever `expand_wildcards`).
    let (s, _, v) = call(&proxy, "GET", "/rr-logs-*/_search", Some(&reader), "").await;
    assert_reaches_ungranted(s, &v, "rr-logs-*", "read:rr-secret");
    let hidden = os("GET", "/rr-hid*/_search?expand_wildcards=all", json!({})).await;
    assert_eq!(hidden["hits"]["hits"][0]["_index"], "rr-secret");
    let (s, _, v) = call(
        &proxy,
        "GET",
        "/rr-hid*/_search?expand_wildcards=all",
        Some(&reader),
        "",
    )
    .await;
    assert_reaches_ungranted(s, &v, "rr-hid*", "read:rr-secret");

    // What the names really are is allowed: an index, an alias onto a granted index, a data
    // stream (written to and read), its backing index judged as the data stream.
    let (s, _, v) = call(&proxy, "GET", "/rr-logs-1/_search", Some(&reader), "").await;
    assert_eq!((s, &v["hits"]["total"]["value"]), (200, &json!(1)), "{v}");
    let (s, _, v) = call(&proxy, "GET", "/rr-logs-z/_search", Some(&reader), "").await;
    assert_eq!(s, 200, "{v}");
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/rr-logs-ds/_doc?refresh=true",
        Some(&reader),
        r#"{"@timestamp":"2026-12-03T10:00:00Z","kind":"log"}"#,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let backing = v["_index"].as_str().unwrap().to_owned();
    assert!(backing.starts_with(".ds-rr-logs-ds-"), "{backing}");
    let (s, _, v) = call(
        &proxy,
        "GET",
        &format!("/{backing}/_search"),
        Some(&reader),
        "",
    )
    .await;
    assert_eq!((s, &v["hits"]["total"]["value"]), (200, &json!(1)), "{v}");
    // Another data stream's backing index is judged as that data stream, whatever `.ds-*` grants.
    let other = os("GET", "/_data_stream/rr-other-ds", json!({})).await;
    let other_backing = other["data_streams"][0]["indices"][0]["index_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, v) = call(
        &proxy,
        "GET",
        &format!("/{other_backing}/_search"),
        Some(&reader),
        "",
    )
    .await;
    assert_reaches_ungranted(s, &v, &other_backing, "read:rr-other-ds");

    // Date math is judged on every name it could produce; a remote cluster cannot be resolved.
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/%3Crr-dm-%7Bnow%2Fd%7D%3E/_doc",
        Some(&reader),
        r#"{"kind":"log"}"#,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert!(v["_index"].as_str().unwrap().starts_with("rr-dm-2"), "{v}");
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/%3Crr-secret-%7Bnow%2Fd%7D%3E/_doc",
        Some(&reader),
        r#"{"kind":"log"}"#,
    )
    .await;
    assert_eq!(
        (s, &v["reason"]),
        (403, &json!("insufficient_scope")),
        "{v}"
    );
    let (s, _, v) = call(&proxy, "GET", "/other:rr-logs-1/_search", Some(&reader), "").await;
    assert_eq!((s, &v["reason"]), (400, &json!("cross_cluster")), "{v}");

    // Ingest pipelines can move a document to another index than the one written. (This
    // OpenSearch distribution has no ingest processors, so no pipeline here can really reroute:
    // what is shown is that the proxy reads the cluster's pipelines, index settings and
    // templates; which definitions may reroute is unit-tested in `core::catalog`.)
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/rr-logs-1/_doc?pipeline=rr-empty",
        Some(&reader),
        r#"{"kind":"log"}"#,
    )
    .await;
    assert_eq!(s, 201, "a pipeline without processors is fine: {v}");
    for (p, b, pipeline) in [
        (
            "/rr-logs-1/_doc?pipeline=rr-missing",
            r#"{"kind":"log"}"#,
            "rr-missing",
        ),
        (
            "/_bulk",
            "{\"index\":{\"_index\":\"rr-logs-1\",\"pipeline\":\"rr-missing\"}}\n{}\n",
            "rr-missing",
        ),
        (
            "/rr-logs-piped/_doc",
            r#"{"kind":"log"}"#,
            "rr-unknown-default",
        ),
        (
            "/rr-tpl-new/_doc",
            r#"{"kind":"log"}"#,
            "rr-unknown-template",
        ),
    ] {
        let (s, _, v) = call(&proxy, "POST", p, Some(&manager), b).await;
        assert_eq!(
            (s, &v["error"], &v["reason"]),
            (403, &json!("access_denied"), &json!("pipeline_reroutes")),
            "{p}: {v}"
        );
        assert!(
            v["error_description"].as_str().unwrap().contains(pipeline),
            "{v}"
        );
    }

    // An alias created on the cluster directly, after the snapshot: asked about live.
    os(
        "POST",
        "/_aliases",
        json!({"actions":[{"add":{"index":"rr-secret","alias":"rr-logs-new"}}]}),
    )
    .await;
    let (s, _, v) = call(&proxy, "GET", "/rr-logs-new/_search", Some(&reader), "").await;
    assert_reaches_ungranted(s, &v, "rr-logs-new", "read:rr-secret");

    // An alias re-pointed through the proxy: the snapshot (an hour's TTL here) is dropped at once.
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/_aliases",
        Some(&manager),
        r#"{"actions":[{"remove":{"index":"rr-logs-1","alias":"rr-logs-z"}},{"add":{"index":"rr-secret","alias":"rr-logs-z"}}]}"#,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, _, v) = call(&proxy, "GET", "/rr-logs-z/_search", Some(&reader), "").await;
    assert_reaches_ungranted(s, &v, "re-pointed rr-logs-z", "read:rr-secret");
}

#[tokio::test]
async fn scroll_and_point_in_time_are_continued_only_by_the_client_that_opened_them() {
    let _ = reqwest::Client::new()
        .delete(format!("{}/rr-sc-1", opensearch()))
        .send()
        .await;
    os(
        "PUT",
        "/rr-sc-1",
        json!({"settings":{"number_of_shards":1,"number_of_replicas":0}}),
    )
    .await;
    for i in 0..3 {
        os(
            "PUT",
            &format!("/rr-sc-1/_doc/{i}?refresh=true"),
            json!({"n": i}),
        )
        .await;
    }
    let a = oauth4os_proxy::authz::AuthServer::hash_secret("a-secret").unwrap();
    let b = oauth4os_proxy::authz::AuthServer::hash_secret("b-secret").unwrap();
    let clients = format!(
        "[[authorization_server.clients]]\nid = \"sc-a\"\nsecret_hash = \"{a}\"\nscopes = \"read:rr-sc-*\"\n\n\
         [[authorization_server.clients]]\nid = \"sc-b\"\nsecret_hash = \"{b}\"\nscopes = \"read:rr-sc-*\"\n"
    );
    let proxy = start_proxy(&opensearch(), &clients).await;
    let ta = own_token(&proxy, "sc-a", "a-secret", "").await;
    let tb = own_token(&proxy, "sc-b", "b-secret", "").await;

    // A scroll opened by A, continued by A, refused to B (who could read the index itself).
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/rr-sc-1/_search?scroll=1m",
        Some(&ta),
        r#"{"size":1}"#,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let scroll_id = v["_scroll_id"].as_str().unwrap().to_owned();
    let next = json!({"scroll": "1m", "scroll_id": scroll_id}).to_string();
    let (s, _, v) = call(&proxy, "POST", "/_search/scroll", Some(&ta), &next).await;
    assert_eq!(
        (s, v["hits"]["hits"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{v}"
    );
    let (s, _, v) = call(&proxy, "POST", "/_search/scroll", Some(&tb), &next).await;
    assert_eq!(
        (s, &v["error"], &v["reason"]),
        (403, &json!("access_denied"), &json!("foreign_continuation")),
        "{v}"
    );
    let (s, _, v) = call(
        &proxy,
        "DELETE",
        "/_search/scroll",
        Some(&tb),
        &json!({"scroll_id": [scroll_id]}).to_string(),
    )
    .await;
    assert_eq!(
        (s, &v["reason"]),
        (403, &json!("foreign_continuation")),
        "{v}"
    );
    let (s, _, v) = call(
        &proxy,
        "DELETE",
        "/_search/scroll",
        Some(&ta),
        &json!({"scroll_id": [scroll_id]}).to_string(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // A scroll the proxy did not see opened could read anything: it needs `read:*`.
    let unknown = json!({"scroll": "1m", "scroll_id": "bm90LWEtc2Nyb2xsLWlk"}).to_string();
    let (s, _, v) = call(&proxy, "POST", "/_search/scroll", Some(&ta), &unknown).await;
    assert_eq!((s, &v["scope"]), (403, &json!("read:*")), "{v}");

    // The same for a point in time.
    let (s, _, v) = call(
        &proxy,
        "POST",
        "/rr-sc-1/_search/point_in_time?keep_alive=1m",
        Some(&ta),
        "",
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let pit = v["pit_id"].as_str().unwrap().to_owned();
    let search = json!({"size": 1, "pit": {"id": pit, "keep_alive": "1m"}}).to_string();
    let (s, _, v) = call(&proxy, "POST", "/_search", Some(&ta), &search).await;
    assert_eq!(
        (s, v["hits"]["hits"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{v}"
    );
    let (s, _, v) = call(&proxy, "POST", "/_search", Some(&tb), &search).await;
    assert_eq!(
        (s, &v["reason"]),
        (403, &json!("foreign_continuation")),
        "{v}"
    );
    let (s, _, v) = call(
        &proxy,
        "DELETE",
        "/_search/point_in_time",
        Some(&ta),
        &json!({"pit_id": [pit]}).to_string(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}
