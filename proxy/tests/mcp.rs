//! The MCP endpoint `/mcp` against the real OpenSearch: discovery (RFC 9728), tokens bound to
//! the endpoint (RFC 8707), every tool authorized as the request it stands for, step-up on too
//! little scope, escapes, bad JSON-RPC, revocation, and no token passthrough.
//! Run by `.ci/harness/smoke.sh` (part of `make test`) with `OAUTH4OS_OPENSEARCH_URL` set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::sync::{Arc, Mutex};

use oauth4os_proxy::{App, Loaded};
use serde_json::{Value, json};
use support::JsonExt as _;

fn opensearch() -> String {
    std::env::var("OAUTH4OS_OPENSEARCH_URL")
        .expect("set OAUTH4OS_OPENSEARCH_URL (run through `make test` or .ci/harness/smoke.sh)")
}

/// What a fake OpenSearch received.
type Recorded<T> = Arc<Mutex<Vec<T>>>;

struct Proxy {
    url: String,
    _dir: tempfile::TempDir,
}

impl Proxy {
    fn mcp(&self) -> String {
        format!("{}/mcp", self.url)
    }
}

/// The scopes of client `agent` (secret `s3cret`).
const AGENT_SCOPES: &str =
    "read:mcp-logs-* monitor:mcp-logs-* read:mcp-w-* write:mcp-w-* manage:mcp-w-*";

async fn start_proxy(upstream: &str, extra: &str) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let public = format!("http://{addr}");
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret("s3cret").unwrap();
    let toml = format!(
        r#"
listen = "{addr}"
public_url = "{public}"

[upstream]
url = "{upstream}"
timeout_secs = 5

[authorization_server]
issuer = "{public}"
audiences = ["{public}"]
store_path = "{store}"

[[authorization_server.clients]]
id = "agent"
secret_hash = "{hash}"
scopes = "{AGENT_SCOPES}"

[[scope_mappings]]
scope = "read:mcp-logs-*"
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

/// A token of `agent` for `scope`, for `resource` when given.
async fn token(proxy: &Proxy, scope: &str, resource: Option<&str>) -> String {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", scope)];
    if let Some(r) = resource {
        form.push(("resource", r));
    }
    let v: Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", proxy.url))
        .basic_auth("agent", Some("s3cret"))
        .form(&form)
        .value()
        .await;
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {v}"))
        .to_owned()
}

async fn mcp_token(proxy: &Proxy, scope: &str) -> String {
    token(proxy, scope, Some(&proxy.mcp())).await
}

/// POSTs `body` (raw) to `/mcp`; status, headers, JSON (Null when none).
async fn post_raw(
    proxy: &Proxy,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .post(proxy.mcp())
        .header("content-type", content_type)
        .header("accept", "application/json, text/event-stream")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, v)
}

async fn rpc(
    proxy: &Proxy,
    token: &str,
    method: &str,
    params: Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    post_raw(
        proxy,
        Some(token),
        "application/json",
        serde_json::to_vec(&body).unwrap(),
    )
    .await
}

/// Calls a tool that must succeed: its structured content.
async fn tool_ok(proxy: &Proxy, token: &str, name: &str, args: Value) -> Value {
    let (s, _, v) = rpc(
        proxy,
        token,
        "tools/call",
        json!({"name": name, "arguments": args}),
    )
    .await;
    assert_eq!(s, 200, "{name}: {v}");
    assert_eq!(v["id"], 7);
    let r = &v["result"];
    assert_eq!(r["isError"], false, "{name}: {v}");
    // The text content carries the same JSON, for clients that read text only.
    let text: Value = serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, r["structuredContent"]);
    r["structuredContent"].clone()
}

async fn os(method: &str, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new().request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", opensearch()),
    );
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// `mcp-logs-a` (3 documents), `mcp-secret` (1), and an alias `mcp-logs-x` onto `mcp-secret`;
/// once per test binary.
async fn seed() {
    static SEEDED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SEEDED
        .get_or_init(|| async {
            for idx in ["mcp-logs-a", "mcp-secret", "mcp-w-1", "mcp-logs-new"] {
                os("DELETE", &format!("/{idx}"), None).await;
            }
            for idx in ["mcp-logs-a", "mcp-secret"] {
                os(
                    "PUT",
                    &format!("/{idx}"),
                    Some(json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": {"properties": {"level": {"type": "keyword"}}}})),
                )
                .await;
            }
            for (i, level) in ["error", "error", "info"].iter().enumerate() {
                os(
                    "PUT",
                    &format!("/mcp-logs-a/_doc/{i}?refresh=true"),
                    Some(json!({"level": level, "message": format!("event {i}")})),
                )
                .await;
            }
            os(
                "PUT",
                "/mcp-secret/_doc/1?refresh=true",
                Some(json!({"level": "secret", "message": "payroll"})),
            )
            .await;
            os(
                "POST",
                "/_aliases",
                Some(json!({"actions": [{"add": {"index": "mcp-secret", "alias": "mcp-logs-x"}}]})),
            )
            .await;
        })
        .await;
}

fn challenge(h: &reqwest::header::HeaderMap) -> String {
    h["www-authenticate"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn without_a_token_the_endpoint_points_at_its_own_resource_metadata() {
    let proxy = start_proxy(&opensearch(), "").await;
    let body = serde_json::to_vec(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}),
    )
    .unwrap();
    let (s, h, v) = post_raw(&proxy, None, "application/json", body).await;
    assert_eq!(s, 401);
    let doc_url = format!("{}/.well-known/oauth-protected-resource/mcp", proxy.url);
    assert_eq!(
        challenge(&h),
        format!("Bearer resource_metadata=\"{doc_url}\"")
    );
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["error"]["data"]["reason"], "missing_token");

    let doc: Value = reqwest::Client::new().get(&doc_url).value().await;
    assert_eq!(doc["resource"], proxy.mcp());
    assert_eq!(doc["authorization_servers"], json!([proxy.url]));
    assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    let scopes: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"read:mcp-logs-*"), "{doc}");
    let docs_url = doc["resource_documentation"].as_str().unwrap();
    let page = reqwest::get(docs_url).await.unwrap().text().await.unwrap();
    assert!(page.contains("explain_access"), "{page}");
    // The root document still describes the OpenSearch front.
    let root: Value = reqwest::Client::new()
        .get(format!(
            "{}/.well-known/oauth-protected-resource",
            proxy.url
        ))
        .value()
        .await;
    assert_eq!(root["resource"], proxy.url);
}

#[tokio::test]
async fn tokens_are_accepted_only_by_the_front_they_are_meant_for() {
    seed().await;
    let proxy = start_proxy(&opensearch(), "").await;
    let front = token(&proxy, "read:mcp-logs-*", None).await;
    let mcp = mcp_token(&proxy, "read:mcp-logs-*").await;

    // A token for the OpenSearch front is refused at /mcp ...
    let (s, h, v) = rpc(&proxy, &front, "tools/list", json!({})).await;
    assert_eq!(s, 401, "{v}");
    assert!(challenge(&h).contains("error=\"invalid_token\""), "{h:?}");
    assert!(challenge(&h).contains("/.well-known/oauth-protected-resource/mcp"));
    assert_eq!(v["error"]["data"]["reason"], "wrong_audience");
    // ... and a token for /mcp at the OpenSearch front.
    let resp = reqwest::Client::new()
        .get(format!("{}/mcp-logs-a/_count", proxy.url))
        .bearer_auth(&mcp)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["reason"], "wrong_audience");
    // Each works where it belongs.
    let (s, _, v) = rpc(&proxy, &mcp, "tools/list", json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["tools"].as_array().unwrap().len(), 9);
    let resp = reqwest::Client::new()
        .get(format!("{}/mcp-logs-a/_count", proxy.url))
        .bearer_auth(&front)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // An unknown resource gets no token at all.
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", proxy.url))
        .basic_auth("agent", Some("s3cret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", "https://elsewhere.example/mcp"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "invalid_target");
}

#[tokio::test]
async fn read_tools_answer_from_opensearch_within_the_scopes() {
    seed().await;
    let proxy = start_proxy(&opensearch(), "").await;
    let t = mcp_token(&proxy, "read:mcp-logs-* monitor:mcp-logs-*").await;

    for version in ["2025-06-18", "2025-11-25"] {
        let (s, _, v) = rpc(
            &proxy,
            &t,
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(v["result"]["protocolVersion"], version);
        assert_eq!(v["result"]["serverInfo"]["name"], "oauth4os");
        assert!(v["result"]["capabilities"]["tools"].is_object());
    }

    let r = tool_ok(
        &proxy,
        &t,
        "search",
        json!({"index": "mcp-logs-a*", "query": {"term": {"level": "error"}}}),
    )
    .await;
    assert_eq!(r["total"], 2, "{r}");
    assert_eq!(r["hits"].as_array().unwrap().len(), 2);
    assert_eq!(r["hits"][0]["_index"], "mcp-logs-a");
    assert_eq!(r["truncated"], false);

    let r = tool_ok(&proxy, &t, "count", json!({"index": "mcp-logs-a"})).await;
    assert_eq!(r["count"], 3);

    let r = tool_ok(
        &proxy,
        &t,
        "aggregate",
        json!({"index": "mcp-logs-a", "aggs": {"levels": {"terms": {"field": "level"}}}}),
    )
    .await;
    let buckets = r["aggregations"]["levels"]["buckets"].as_array().unwrap();
    assert_eq!(buckets[0], json!({"key": "error", "doc_count": 2}));

    let r = tool_ok(&proxy, &t, "get_mappings", json!({"index": "mcp-logs-a"})).await;
    assert_eq!(
        r["mcp-logs-a"]["mappings"]["properties"]["level"]["type"],
        "keyword"
    );

    let r = tool_ok(&proxy, &t, "list_indices", json!({"index": "mcp-logs-a*"})).await;
    let names: Vec<&str> = r["indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["index"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mcp-logs-a"]);
    assert_eq!(r["indices"][0]["docs_count"], 3);

    let r = tool_ok(&proxy, &t, "cluster_health", json!({"index": "mcp-logs-a"})).await;
    assert!(
        ["green", "yellow"].contains(&r["status"].as_str().unwrap()),
        "{r}"
    );

    // A size over the cap is lowered, and the result says so.
    let r = tool_ok(
        &proxy,
        &t,
        "search",
        json!({"index": "mcp-logs-a", "size": 100000}),
    )
    .await;
    assert!(r["note"].as_str().unwrap().contains("100000"), "{r}");

    // OpenSearch's own refusal is a tool error the agent can read, not an HTTP error.
    let (s, _, v) = rpc(
        &proxy,
        &t,
        "tools/call",
        json!({"name": "search", "arguments": {"index": "mcp-logs-nothere"}}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["isError"], true, "{v}");
    assert_eq!(v["result"]["structuredContent"]["status"], 404);
}

#[tokio::test]
async fn too_little_scope_is_a_403_step_up_challenge_and_opensearch_is_untouched() {
    seed().await;
    let proxy = start_proxy(&opensearch(), "").await;
    let t = mcp_token(&proxy, "read:mcp-logs-*").await;
    let (s, h, v) = rpc(
        &proxy,
        &t,
        "tools/call",
        json!({"name": "create_index", "arguments": {"index": "mcp-logs-new"}}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let c = challenge(&h);
    assert!(c.starts_with("Bearer "), "{c}");
    assert!(c.contains("error=\"insufficient_scope\""), "{c}");
    assert!(c.contains("scope=\"manage:mcp-logs-new\""), "{c}");
    assert!(
        c.contains(&format!(
            "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            proxy.url
        )),
        "{c}"
    );
    assert_eq!(v["id"], 7);
    assert_eq!(v["error"]["data"]["scope"], "manage:mcp-logs-new");
    let exists = reqwest::Client::new()
        .head(format!("{}/mcp-logs-new", opensearch()))
        .send()
        .await
        .unwrap();
    assert_eq!(exists.status().as_u16(), 404, "the index was not created");

    // With the wider scope (the client may have it), the same call succeeds.
    let wide = mcp_token(&proxy, "read:mcp-w-* write:mcp-w-* manage:mcp-w-*").await;
    let r = tool_ok(
        &proxy,
        &wide,
        "create_index",
        json!({"index": "mcp-w-1", "settings": {"number_of_replicas": 0}, "mappings": {"properties": {"n": {"type": "integer"}}}}),
    )
    .await;
    assert_eq!(r["acknowledged"], true, "{r}");
    // Authorized and sent: this OpenSearch distribution (core only) has no reindex module, so
    // OpenSearch itself refuses `_delete_by_query`, which the agent reads as a tool error (the
    // fake-upstream test below covers a successful answer).
    let (s, _, v) = rpc(
        &proxy,
        &wide,
        "tools/call",
        json!({"name": "delete_by_query", "arguments": {"index": "mcp-w-1", "query": {"match_all": {}}}}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let r = &v["result"]["structuredContent"];
    if v["result"]["isError"] == true {
        assert_eq!(r["status"], 400, "{v}");
        assert!(
            r["opensearch"].to_string().contains("_delete_by_query"),
            "{v}"
        );
    } else {
        assert_eq!(r["deleted"], 0, "{v}");
    }
    // A scope the client may not have is not granted: the token request fails.
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth/token", proxy.url))
        .basic_auth("agent", Some("s3cret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "manage:mcp-logs-new"),
            ("resource", &proxy.mcp()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "invalid_scope");
}

#[tokio::test]
async fn tool_arguments_cannot_escape_the_granted_indices() {
    seed().await;
    let proxy = start_proxy(&opensearch(), "").await;
    let t = mcp_token(&proxy, "read:mcp-logs-* monitor:mcp-logs-*").await;
    // Names OpenSearch would resolve beyond the grant: an alias onto another index, a list
    // with an ungranted name, everything, hidden indices.
    for index in [
        "mcp-logs-x",
        "mcp-logs-a,mcp-secret",
        "_all",
        "*",
        ".*",
        "mcp-*",
    ] {
        let (s, h, v) = rpc(
            &proxy,
            &t,
            "tools/call",
            json!({"name": "search", "arguments": {"index": index}}),
        )
        .await;
        assert_eq!(s, 403, "{index}: {v}");
        assert!(challenge(&h).contains("insufficient_scope"), "{index}");
        assert!(!v.to_string().contains("payroll"), "{index}: {v}");
    }
    // Names that would leave the path segment are refused before any decision.
    for index in [
        "../_cluster",
        "mcp-logs-a/../mcp-secret",
        "mcp-logs-a?pretty",
        "mcp-logs-a/_doc/1",
    ] {
        let (s, _, v) = rpc(
            &proxy,
            &t,
            "tools/call",
            json!({"name": "search", "arguments": {"index": index}}),
        )
        .await;
        assert_eq!(s, 200, "{index}");
        assert_eq!(v["error"]["code"], -32602, "{index}: {v}");
        assert_eq!(v["error"]["data"]["reason"], "bad_tool_arguments");
    }
    // explain_access answers from the decision.
    let r = tool_ok(
        &proxy,
        &t,
        "explain_access",
        json!({"index": "mcp-logs-a", "action": "read"}),
    )
    .await;
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(r["decided_by"]["scopes"], json!(["read:mcp-logs-*"]));
    let r = tool_ok(
        &proxy,
        &t,
        "explain_access",
        json!({"index": "mcp-logs-x", "action": "read"}),
    )
    .await;
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["reason"], "target_not_granted");
    let r = tool_ok(
        &proxy,
        &t,
        "explain_access",
        json!({"index": "mcp-logs-a", "action": "write"}),
    )
    .await;
    assert_eq!(r["allowed"], false);
    assert_eq!(r["needed_scope"], "write:mcp-logs-a");
}

#[tokio::test]
async fn bad_json_rpc_gets_a_clear_error_never_a_5xx() {
    let proxy = start_proxy(&opensearch(), "").await;
    let t = mcp_token(&proxy, "read:mcp-logs-*").await;
    let cases: Vec<(&str, Vec<u8>, u16, i64, &str)> = vec![
        ("not JSON", b"{".to_vec(), 400, -32700, "mcp_parse_error"),
        (
            "a batch",
            br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#.to_vec(),
            400,
            -32600,
            "mcp_batch",
        ),
        ("a string", br#""ping""#.to_vec(), 400, -32600, "mcp_invalid_request"),
        (
            "no jsonrpc",
            br#"{"id":1,"method":"ping"}"#.to_vec(),
            400,
            -32600,
            "mcp_invalid_request",
        ),
        (
            "a null id",
            br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#.to_vec(),
            400,
            -32600,
            "mcp_invalid_request",
        ),
        (
            "an unknown method",
            br#"{"jsonrpc":"2.0","id":1,"method":"resources/list"}"#.to_vec(),
            200,
            -32601,
            "mcp_unknown_method",
        ),
        (
            "an unknown tool",
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"drop_cluster","arguments":{}}}"#.to_vec(),
            200,
            -32602,
            "unknown_tool",
        ),
        (
            "no tool name",
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#.to_vec(),
            200,
            -32602,
            "mcp_bad_params",
        ),
        (
            "an oversized argument",
            serde_json::to_vec(&json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"index": "a".repeat(5000)}}})).unwrap(),
            200,
            -32602,
            "bad_tool_arguments",
        ),
        (
            "an oversized body",
            serde_json::to_vec(&json!({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad": "x".repeat(2 * 1024 * 1024)}})).unwrap(),
            413,
            -32600,
            "body_too_large",
        ),
    ];
    for (what, body, status, code, reason) in cases {
        let (s, _, v) = post_raw(&proxy, Some(&t), "application/json", body).await;
        assert_eq!(s, status, "{what}: {v}");
        assert_eq!(v["jsonrpc"], "2.0", "{what}");
        assert_eq!(v["error"]["code"], code, "{what}: {v}");
        assert_eq!(v["error"]["data"]["reason"], reason, "{what}: {v}");
    }
    let (s, _, _) = post_raw(&proxy, Some(&t), "text/plain", b"{}".to_vec()).await;
    assert_eq!(s, 415);
    // A notification is accepted with nothing to say.
    let (s, _, v) = post_raw(
        &proxy,
        Some(&t),
        "application/json",
        br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec(),
    )
    .await;
    assert_eq!((s, v), (202, Value::Null));
    // Stateless: no stream to open, no session to end.
    let c = reqwest::Client::new();
    for m in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let r = c
            .request(m.clone(), proxy.mcp())
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 405, "{m}");
        assert_eq!(r.headers()["allow"], "POST");
    }
    // A protocol version the server does not speak.
    let r = c
        .post(proxy.mcp())
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "1999-01-01")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["data"]["reason"], "mcp_unsupported_version");
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() {
    let proxy = start_proxy(&opensearch(), "").await;
    let t = mcp_token(&proxy, "read:mcp-logs-*").await;
    let (s, _, _) = rpc(&proxy, &t, "ping", json!({})).await;
    assert_eq!(s, 200);
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", proxy.url))
        .basic_auth("agent", Some("s3cret"))
        .form(&[("token", t.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (s, h, v) = rpc(&proxy, &t, "ping", json!({})).await;
    assert_eq!(s, 401, "{v}");
    assert!(challenge(&h).contains("invalid_token"));
    assert_eq!(v["error"]["data"]["reason"], "revoked");
}

#[tokio::test]
async fn opensearch_sees_the_proxy_identity_never_the_agent_token() {
    use axum::extract::Request;
    let seen: Recorded<(String, reqwest::header::HeaderMap)> = Arc::default();
    let s2 = seen.clone();
    let app = support::fake_opensearch(axum::Router::new().fallback(move |req: Request| {
        let seen = s2.clone();
        async move {
            seen.lock()
                .unwrap()
                .push((req.uri().to_string(), req.headers().clone()));
            axum::Json(json!({"count": 5}))
        }
    }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    let proxy = start_proxy(&format!("http://{addr}"), "").await;
    let t = mcp_token(&proxy, "read:mcp-logs-*").await;
    let r = tool_ok(&proxy, &t, "count", json!({"index": "mcp-logs-a"})).await;
    assert_eq!(r["count"], 5);
    let seen = seen.lock().unwrap();
    let (uri, h) = seen.last().unwrap();
    assert_eq!(uri, "/mcp-logs-a/_count");
    assert_eq!(h["x-proxy-user"], "agent");
    assert_eq!(h["x-proxy-roles"], "logs_reader");
    assert!(h.get("authorization").is_none(), "no token passthrough");
    assert!(!format!("{h:?}").contains(&t));
}

#[tokio::test]
async fn delete_by_query_reports_what_opensearch_deleted() {
    use axum::extract::Request;
    let seen: Recorded<(String, Vec<u8>)> = Arc::default();
    let s2 = seen.clone();
    let app = support::fake_opensearch(axum::Router::new().fallback(move |req: Request| {
        let seen = s2.clone();
        async move {
            let uri = req.uri().to_string();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap();
            seen.lock().unwrap().push((uri, body.to_vec()));
            axum::Json(json!({"deleted": 2, "total": 2, "took": 3, "batches": 1, "version_conflicts": 0, "failures": [], "noops": 0}))
        }
    }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    let proxy = start_proxy(&format!("http://{addr}"), "").await;
    let t = mcp_token(&proxy, "write:mcp-w-*").await;
    let r = tool_ok(
        &proxy,
        &t,
        "delete_by_query",
        json!({"index": "mcp-w-1", "query": {"range": {"n": {"gte": 2}}}}),
    )
    .await;
    assert_eq!(
        r,
        json!({"deleted": 2, "total": 2, "took": 3, "batches": 1, "version_conflicts": 0, "failures": [], "truncated": false})
    );
    let (uri, body) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(uri, "/mcp-w-1/_delete_by_query?refresh=true");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body, json!({"query": {"range": {"n": {"gte": 2}}}}));
    // Without `write`, nothing is sent.
    let before = seen.lock().unwrap().len();
    let read_only = mcp_token(&proxy, "read:mcp-logs-*").await;
    let (s, _, _) = rpc(
        &proxy,
        &read_only,
        "tools/call",
        json!({"name": "delete_by_query", "arguments": {"index": "mcp-w-1", "query": {"match_all": {}}}}),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(seen.lock().unwrap().len(), before);
}
