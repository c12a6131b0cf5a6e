//! The MCP endpoint `/mcp`: OpenSearch tools for AI agents over MCP Streamable HTTP, stateless
//! (every POST stands alone, no `Mcp-Session-Id`), answered as `application/json`.
//!
//! Not `rmcp`: every tool call must be authorized as the OpenSearch request it stands for, and a
//! call the token's scopes do not cover is answered with HTTP 403 and a
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope=...` challenge (MCP step-up),
//! which only the HTTP layer can say. JSON-RPC over one POST is small enough to carry here.
//!
//! - Authentication: a bearer token for `<public_url>/mcp` (RFC 8707), through the resource
//!   side's [`authenticate`] (signature, audience, revocation, certificate binding, address
//!   allowlist). None or a bad one: 401 with the `resource_metadata` of
//!   `/.well-known/oauth-protected-resource/mcp` (RFC 9728).
//! - Tools: [`oauth4os_core::mcp`] plans each call as an OpenSearch request; it goes through the
//!   same decision (classification, resolution of every index, scopes, Cedar, rate limit) and is
//!   sent with the proxy's credentials and the mapped roles — never the client's token.
//! - Errors: malformed bodies, batches, unknown methods and tools, bad arguments are JSON-RPC
//!   errors; OpenSearch's own failures are tool results with `isError`; never a 5xx.

mod docs;

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth4os_core::classify::Request as OsRequest;
use oauth4os_core::mcp::{Limits, PROTOCOL_VERSIONS, Planned, ToolRequest};
use oauth4os_core::protocol::ProtectedResourceMetadata;
use oauth4os_core::protocol::render::{Surface, render};
use oauth4os_core::{Error, Reason};
use serde_json::{Value, json};

use crate::resource::ResourceProxy;
use crate::resource::pipeline::{self, Caller, Front, Outgoing};
use crate::services::config::Mcp as McpConfig;
use crate::services::forwarded::Origin;

pub use docs::documentation;

/// JSON-RPC 2.0 error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
/// Ours, in the implementation-defined range: the HTTP status tells the client what to do.
const UNAUTHORIZED: i64 = -32001;
const FORBIDDEN: i64 = -32003;
const RATE_LIMITED: i64 = -32029;

/// The most of OpenSearch's answer read for one tool call; a result is then cut to
/// [`Limits::max_result_bytes`].
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// The MCP endpoint, built once from the configuration.
#[derive(Debug)]
pub struct McpEndpoint {
    proxy: Arc<ResourceProxy>,
    /// `<public_url>/mcp`.
    resource: String,
    /// Its RFC 9728 document's URL, for `WWW-Authenticate`.
    metadata_url: String,
    metadata: ProtectedResourceMetadata,
    limits: Limits,
    max_body_bytes: usize,
    /// The `tools/list` result, serialized once.
    tools_list: String,
}

impl McpEndpoint {
    /// The endpoint for `resource` (`<public>/mcp`) in front of `proxy`.
    pub fn new(proxy: Arc<ResourceProxy>, public: &str, resource: String, cfg: &McpConfig) -> Self {
        let metadata = ProtectedResourceMetadata {
            resource: resource.clone(),
            resource_documentation: Some(
                cfg.resource_documentation
                    .clone()
                    .unwrap_or_else(|| format!("{public}{}", docs::PATH)),
            ),
            ..proxy.resource_metadata.clone()
        };
        Self {
            metadata_url: format!("{public}/.well-known/oauth-protected-resource/mcp"),
            proxy,
            resource,
            metadata,
            limits: Limits {
                max_hits: cfg.max_hits,
                max_result_bytes: cfg.max_result_bytes,
            },
            max_body_bytes: cfg.max_body_bytes,
            tools_list: to_json(&json!({"tools": oauth4os_core::mcp::tools_list()})),
        }
    }

    /// The resource identifier its tokens carry as `aud`.
    pub fn resource(&self) -> &str {
        &self.resource
    }
}

/// The routes of the MCP endpoint: `/mcp` (and `/mcp/`), its RFC 9728 document and its
/// documentation page.
pub fn routes(mcp: Arc<McpEndpoint>) -> axum::Router {
    use axum::routing::{any, get};
    axum::Router::new()
        .route("/mcp", any(endpoint))
        .route("/mcp/", any(endpoint))
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata))
        .route(docs::PATH, get(documentation))
        .with_state(mcp)
}

async fn metadata(State(mcp): State<Arc<McpEndpoint>>) -> axum::Json<ProtectedResourceMetadata> {
    axum::Json(mcp.metadata.clone())
}

/// A JSON-RPC answer: HTTP status, extra headers, body (JSON text; none for 202).
struct Answer {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
}

fn to_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

impl Answer {
    fn result(id: &Value, result: &Value) -> Self {
        Self::result_json(id, &to_json(result))
    }

    /// A result already serialized (`result`, a JSON object's text): the envelope is written
    /// around it rather than building (and copying) one more value.
    fn result_json(id: &Value, result: &str) -> Self {
        Self {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Some(format!(
                r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#,
                to_json(id)
            )),
        }
    }

    fn accepted() -> Self {
        Self {
            status: StatusCode::ACCEPTED,
            headers: Vec::new(),
            body: None,
        }
    }

    /// A JSON-RPC error with `code`, carrying the OAuth-style error body of `e` in `data`.
    fn error(status: StatusCode, id: &Value, code: i64, e: &Error) -> Self {
        Self::rendered(status, Vec::new(), id, code, e)
    }

    fn rendered(
        status: StatusCode,
        headers: Vec<(&'static str, String)>,
        id: &Value,
        code: i64,
        e: &Error,
    ) -> Self {
        let mut data = json!({
            "error": e.code.as_str(),
            "reason": e.reason.as_str(),
            "error_description": e.message,
        });
        if let Some(m) = data.as_object_mut() {
            if let Some(h) = &e.help {
                m.insert("help".to_owned(), h.clone().into());
            }
            if let Some(s) = &e.scope {
                m.insert("scope".to_owned(), s.clone().into());
            }
            if let Some(r) = e.retry_after {
                m.insert("retry_after".to_owned(), r.into());
            }
        }
        Self {
            status,
            headers,
            body: Some(to_json(&json!({
                "jsonrpc": "2.0",
                "id": id,
                "error": {"code": code, "message": e.message, "data": data},
            }))),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(b) => (
                self.status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                b,
            )
                .into_response(),
            None => self.status.into_response(),
        };
        let h = response.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), v);
            }
        }
        response
    }
}

impl McpEndpoint {
    /// An error the resource side's renderer turns into its status and challenge (401 with
    /// `resource_metadata`, 403 `insufficient_scope` with `scope`, 429 with `Retry-After`),
    /// answered with a JSON-RPC error body. Our own failures stay opaque.
    fn denied(&self, id: &Value, e: &Error) -> Answer {
        let h = render(
            e,
            Surface::Resource {
                resource_metadata: &self.metadata_url,
            },
        );
        if h.concealed {
            tracing::error!(code = %e.code, reason = %e.reason, message = %e.message, "mcp: server error");
        }
        let code = match h.status {
            401 => UNAUTHORIZED,
            403 => FORBIDDEN,
            429 => RATE_LIMITED,
            _ => INVALID_REQUEST,
        };
        // Never a 5xx: what is ours is still reported, as a 4xx-free JSON-RPC error.
        let status = match StatusCode::from_u16(h.status) {
            Ok(s) if !s.is_server_error() => s,
            _ => StatusCode::OK,
        };
        let shown = Error {
            code: h.body.error,
            reason: h.body.reason,
            message: h.body.error_description.clone(),
            help: h.body.help.clone(),
            retry_after: h.body.retry_after,
            scope: h.body.scope.clone(),
        };
        let headers = h
            .headers
            .into_iter()
            .filter(|(n, _)| *n != "content-type")
            .collect();
        Answer::rendered(status, headers, id, code, &shown)
    }
}

async fn endpoint(State(mcp): State<Arc<McpEndpoint>>, req: Request) -> Response {
    let origin = req.extensions().get::<Origin>().cloned();
    if req.method() != axum::http::Method::POST {
        // Stateless: no server-to-client stream (GET) and no session to end (DELETE).
        let mut r = (
            StatusCode::METHOD_NOT_ALLOWED,
            "the MCP endpoint takes JSON-RPC messages by POST only (stateless Streamable HTTP)\n",
        )
            .into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    handle(&mcp, origin, req).await.into_response()
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(mcp: &McpEndpoint, origin: Option<Origin>, req: Request) -> Answer {
    let null = Value::Null;
    let (parts, body) = req.into_parts();
    let caller = match pipeline::authenticate(&mcp.proxy, &parts, origin.as_ref(), Front::Mcp).await
    {
        Ok(c) => c,
        Err(e) => {
            if e.reason != Reason::MissingToken {
                mcp.proxy.metrics.auth_failure(&e);
            }
            return mcp.denied(&null, &e);
        }
    };
    if let Some(v) = header_str(&parts.headers, "mcp-protocol-version")
        && !PROTOCOL_VERSIONS.contains(&v)
    {
        let e = Error::new(
            Reason::McpUnsupportedVersion,
            format!(
                "MCP protocol version {} is not supported",
                oauth4os_core::error::quote(v)
            ),
        )
        .with_help(format!(
            "this server speaks {}",
            PROTOCOL_VERSIONS.join(", ")
        ));
        return Answer::error(StatusCode::BAD_REQUEST, &null, INVALID_REQUEST, &e);
    }
    let json_body = header_str(&parts.headers, "content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        let e = Error::new(
            Reason::UnsupportedMediaType,
            "MCP messages are sent as `Content-Type: application/json`",
        );
        return Answer::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &null,
            INVALID_REQUEST,
            &e,
        );
    }
    let Ok(bytes) = to_bytes(body, mcp.max_body_bytes).await else {
        let e = Error::new(
            Reason::BodyTooLarge,
            format!("the JSON-RPC message exceeds {} bytes", mcp.max_body_bytes),
        );
        return Answer::error(StatusCode::PAYLOAD_TOO_LARGE, &null, INVALID_REQUEST, &e);
    };
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(err) => {
            let e = Error::new(
                Reason::McpParseError,
                format!("the body is not JSON: {err}"),
            );
            return Answer::error(StatusCode::BAD_REQUEST, &null, PARSE_ERROR, &e);
        }
    };
    let Value::Object(m) = &message else {
        let (reason, text) = if message.is_array() {
            (
                Reason::McpBatch,
                "JSON-RPC batches are not accepted: send one message per request",
            )
        } else {
            (
                Reason::McpInvalidRequest,
                "the body is not a JSON-RPC 2.0 message",
            )
        };
        return Answer::error(
            StatusCode::BAD_REQUEST,
            &null,
            INVALID_REQUEST,
            &Error::new(reason, text),
        );
    };
    let id = m.get("id").cloned().unwrap_or(Value::Null);
    let id_ok = matches!(id, Value::String(_) | Value::Number(_));
    let method = m.get("method").and_then(Value::as_str);
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0")
        || (m.contains_key("id") && !id_ok)
        || (method.is_none() && !(id_ok && (m.contains_key("result") || m.contains_key("error"))))
    {
        let e = Error::new(
            Reason::McpInvalidRequest,
            "the body is not a JSON-RPC 2.0 request: it needs `\"jsonrpc\": \"2.0\"`, a string `method` and a string or number `id`",
        );
        let id = if id_ok { id } else { Value::Null };
        return Answer::error(StatusCode::BAD_REQUEST, &id, INVALID_REQUEST, &e);
    }
    let Some(method) = method else {
        // A response to a request of ours: this server sends none, so there is nothing to do.
        return Answer::accepted();
    };
    if !id_ok {
        // A notification (`notifications/initialized`, `notifications/cancelled`, ...).
        return Answer::accepted();
    }
    let params = m.get("params");
    match method {
        "initialize" => Answer::result(&id, &initialize(params)),
        "ping" => Answer::result_json(&id, "{}"),
        "tools/list" => Answer::result_json(&id, &mcp.tools_list),
        "tools/call" => call(mcp, &caller, origin.as_ref(), &id, params).await,
        other => {
            let e = Error::new(
                Reason::McpUnknownMethod,
                format!(
                    "method {} is not implemented",
                    oauth4os_core::error::quote(other)
                ),
            )
            .with_help("this server implements initialize, ping, tools/list and tools/call");
            Answer::error(StatusCode::OK, &id, METHOD_NOT_FOUND, &e)
        }
    }
}

fn initialize(params: Option<&Value>) -> Value {
    let asked = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str);
    let version = asked
        .filter(|v| PROTOCOL_VERSIONS.contains(v))
        .or(PROTOCOL_VERSIONS.first().copied())
        .unwrap_or_default();
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {
            "name": "oauth4os",
            "title": "oauth4os: OpenSearch for AI agents",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "instructions": "OpenSearch tools behind OAuth scopes. Start with list_indices and get_mappings to learn index and field names, then search, count or aggregate. explain_access tells whether this token may read, write, manage or monitor an index, and which scope would allow it. A call the token's scopes do not cover fails with HTTP 403 insufficient_scope naming the scope to request.",
    })
}

/// A tool's result from its structured content's JSON text: the same text as the text content
/// (for clients that do not read `structuredContent`), written around it without serializing
/// the content again.
fn tool_result(structured: &str, is_error: bool) -> String {
    let text = serde_json::to_string(structured).unwrap_or_else(|_| "\"\"".to_owned());
    format!(
        r#"{{"content":[{{"type":"text","text":{text}}}],"structuredContent":{structured},"isError":{is_error}}}"#
    )
}

async fn call(
    mcp: &McpEndpoint,
    caller: &Caller<'_>,
    origin: Option<&Origin>,
    id: &Value,
    params: Option<&Value>,
) -> Answer {
    let Some(name) = params.and_then(|p| p.get("name")).and_then(Value::as_str) else {
        let e = Error::new(
            Reason::McpBadParams,
            "`tools/call` needs `params.name`, the tool's name",
        );
        return Answer::error(StatusCode::OK, id, INVALID_PARAMS, &e);
    };
    let arguments = params.and_then(|p| p.get("arguments"));
    // The label: the tool's own static name, so that the metric's series stay bounded.
    let tool = oauth4os_core::mcp::tool(name).map_or("unknown", |t| t.name);
    let metrics = &mcp.proxy.metrics;
    let planned = match oauth4os_core::mcp::plan(name, arguments, &mcp.limits) {
        Ok(p) => p,
        Err(e) => {
            metrics.tool_call(tool, "invalid");
            return Answer::error(StatusCode::OK, id, INVALID_PARAMS, &e);
        }
    };
    let client = caller.subject().client_id().to_owned();
    match planned {
        Planned::Explain {
            action,
            index,
            request,
        } => {
            let os = os_request(&request);
            let d = pipeline::explain(&mcp.proxy, caller, &os).await;
            tracing::info!(client = %client, tool = name, allowed = d.is_allowed(), "mcp: explain_access");
            metrics.tool_call(tool, "ok");
            Answer::result_json(
                id,
                &tool_result(&to_json(&explained(action, &index, &request, &d)), false),
            )
        }
        Planned::Request(request) => {
            let os = os_request(&request);
            let decision = match pipeline::authorize(&mcp.proxy, caller, &os).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::info!(client = %client, tool = name, reason = %e.reason, "mcp: tool call denied");
                    if matches!(e.status(), 401 | 403 | 429) {
                        metrics.tool_call(tool, "denied");
                        return mcp.denied(id, &e);
                    }
                    metrics.tool_call(tool, "tool_error");
                    // What the classifier refuses (a cross-cluster name, say) is the agent's
                    // to fix: a tool error it can read.
                    return Answer::result_json(
                        id,
                        &tool_result(&to_json(&error_result(&e)), true),
                    );
                }
            };
            tracing::info!(client = %client, tool = name, "mcp: tool call allowed");
            let (result, failed) = run(mcp, &decision, &client, origin, &request).await;
            metrics.tool_call(tool, if failed { "tool_error" } else { "ok" });
            Answer::result_json(id, &tool_result(&result, failed))
        }
    }
}

fn os_request(r: &ToolRequest) -> OsRequest<'_> {
    OsRequest {
        method: r.method,
        path: &r.path,
        query: r.query.as_deref(),
        body: &r.body,
    }
}

fn error_result(e: &Error) -> Value {
    let mut v = json!({
        "error": e.code.as_str(),
        "reason": e.reason.as_str(),
        "message": e.message,
    });
    if let (Some(h), Some(m)) = (&e.help, v.as_object_mut()) {
        m.insert("help".to_owned(), h.clone().into());
    }
    v
}

fn explained(
    action: oauth4os_core::scope::Action,
    index: &str,
    request: &ToolRequest,
    d: &oauth4os_core::decision::Decision,
) -> Value {
    let mut v = json!({
        "allowed": d.is_allowed(),
        "action": action.as_str(),
        "index": index,
        "request": format!("{} {}", request.method, request.path),
    });
    let Some(m) = v.as_object_mut() else {
        return v;
    };
    match &d.error {
        None => {
            let scopes: Vec<&str> = d
                .accesses
                .iter()
                .filter_map(|a| a.scope.as_deref())
                .collect();
            m.insert(
                "decided_by".to_owned(),
                json!({"scopes": scopes, "policies": d.policies}),
            );
        }
        Some(e) => {
            m.insert("error".to_owned(), e.code.as_str().into());
            m.insert("reason".to_owned(), e.reason.as_str().into());
            m.insert("message".to_owned(), e.message.clone().into());
            if let Some(s) = &e.scope {
                m.insert("needed_scope".to_owned(), s.clone().into());
            }
        }
    }
    v
}

/// Sends the authorized request to OpenSearch and shapes its answer: the structured content's
/// JSON text, and whether it is an error. OpenSearch's failures (an unknown index, a bad query,
/// no answer in time) are tool errors the agent can read.
async fn run(
    mcp: &McpEndpoint,
    decision: &oauth4os_core::decision::Decision,
    client: &str,
    origin: Option<&Origin>,
    request: &ToolRequest,
) -> (String, bool) {
    let pq = match &request.query {
        Some(q) => format!("{}?{q}", request.path),
        None => request.path.clone(),
    };
    let Ok(uri) = axum::http::Uri::try_from(pq) else {
        let e = Error::new(Reason::BadPath, "the tool's path is not valid");
        return (to_json(&error_result(&e)), true);
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let method = axum::http::Method::from_bytes(request.method.as_bytes())
        .unwrap_or(axum::http::Method::GET);
    let outgoing = Outgoing {
        method,
        uri,
        headers,
        body: bytes::Bytes::from(request.body.clone()),
    };
    let proxy = &mcp.proxy;
    let endpoint = decision.endpoint.unwrap_or("");
    let answer = async {
        let response =
            pipeline::forward(proxy, outgoing, client, &decision.scopes, origin, endpoint).await?;
        let status = response.status();
        let body = to_bytes(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|_| {
                Error::new(
                    Reason::UpstreamFailed,
                    format!(
                        "OpenSearch's answer exceeds {MAX_ANSWER_BYTES} bytes; narrow the request"
                    ),
                )
            })?;
        Ok::<_, Error>((status, body))
    };
    let outcome = tokio::time::timeout(proxy.upstream.timeout(), answer)
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                Reason::UpstreamTimeout,
                "OpenSearch did not answer in time",
            ))
        });
    match outcome {
        Err(e) => (to_json(&error_result(&e)), true),
        Ok((status, body)) if status.is_success() => (
            oauth4os_core::mcp::shape(request, &body, &mcp.limits).json,
            false,
        ),
        Ok((status, body)) => {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let error = answer.get("error").cloned().unwrap_or(answer);
            let e = json!({
                "error": "opensearch_error",
                "status": status.as_u16(),
                "opensearch": error,
            });
            (to_json(&e), true)
        }
    }
}
