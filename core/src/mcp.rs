//! The MCP tools oauth4os offers AI agents: their names, descriptions and input schemas, the
//! OpenSearch request each call stands for, and the shaping of OpenSearch's answer into a
//! bounded tool result.
//!
//! A tool call is authorized as the request it stands for ([`plan`] → [`Planned::Request`]):
//! the same classification, index resolution, scopes, Cedar policies and rate limit as that
//! request sent to the HTTP front. Nothing here talks to OpenSearch; the proxy's `/mcp`
//! endpoint carries the JSON-RPC and sends the request.
//!
//! | tool | request | needs |
//! |---|---|---|
//! | `list_indices` | `GET /_cat/indices/{index}` | `monitor:{index}` (`*` when absent) |
//! | `get_mappings` | `GET /{index}/_mapping` | `read:{index}` |
//! | `search` | `POST /{index}/_search` | `read:{index}` |
//! | `count` | `POST /{index}/_count` | `read:{index}` |
//! | `aggregate` | `POST /{index}/_search` (`size: 0`) | `read:{index}` |
//! | `cluster_health` | `GET /_cluster/health[/{index}]` | `monitor:{index}` (the cluster when absent) |
//! | `create_index` | `PUT /{index}` | `manage:{index}` |
//! | `delete_by_query` | `POST /{index}/_delete_by_query` | `write:{index}` |
//! | `explain_access` | none: the decision for the request an action stands for | a valid token |

use serde_json::{Map, Value, json};

use crate::error::{Error, Reason, Result, quote};
use crate::scope::Action;

/// The protocol versions `/mcp` speaks, newest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

/// Bounds on what a tool returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most hits `search` returns (a larger `size` is lowered to it).
    pub max_hits: u64,
    /// The most bytes of JSON a result carries; larger results are cut (`truncated: true`).
    pub max_result_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_hits: 100,
            max_result_bytes: 256 * 1024,
        }
    }
}

/// One tool as `tools/list` describes it.
#[derive(Debug, Clone)]
pub struct Tool {
    /// The tool's name (`search`).
    pub name: &'static str,
    /// A short human title.
    pub title: &'static str,
    /// What it does, for an agent deciding whether to call it.
    pub description: &'static str,
    /// Whether it only reads.
    pub read_only: bool,
    /// Whether it may destroy data.
    pub destructive: bool,
    /// The action its request needs on the indices (none for `explain_access`).
    pub needs: Option<Action>,
}

/// Every tool, in the order `tools/list` gives them.
pub const TOOLS: &[Tool] = &[
    Tool {
        name: "list_indices",
        title: "List indices",
        description: "List the OpenSearch indices matching `index` (a name, a comma-separated list or a wildcard pattern such as `logs-*`; all when absent) with their health, status, document count and size. Needs the `monitor` scope on those indices.",
        read_only: true,
        needs: Some(Action::Monitor),
        destructive: false,
    },
    Tool {
        name: "get_mappings",
        title: "Get mappings",
        description: "Get the field mappings of the indices matching `index`: which fields exist and their types. Call it before `search` or `aggregate` to learn the field names. Needs the `read` scope on those indices.",
        read_only: true,
        needs: Some(Action::Read),
        destructive: false,
    },
    Tool {
        name: "search",
        title: "Search documents",
        description: "Search the indices matching `index` with an OpenSearch Query DSL `query` (for example {\"match\": {\"message\": \"timeout\"}}; all documents when absent). Returns the total and the hits with their `_source`; `size` (default 10) is capped by the server, page with `from`. Needs the `read` scope on those indices.",
        read_only: true,
        needs: Some(Action::Read),
        destructive: false,
    },
    Tool {
        name: "count",
        title: "Count documents",
        description: "Count the documents in the indices matching `index` that match the Query DSL `query` (all when absent). Needs the `read` scope on those indices.",
        read_only: true,
        needs: Some(Action::Read),
        destructive: false,
    },
    Tool {
        name: "aggregate",
        title: "Aggregate",
        description: "Run OpenSearch aggregations `aggs` (for example {\"by_level\": {\"terms\": {\"field\": \"level\"}}}) over the documents in the indices matching `index` that match `query` (all when absent). Returns the aggregations only, no hits. Needs the `read` scope on those indices.",
        read_only: true,
        needs: Some(Action::Read),
        destructive: false,
    },
    Tool {
        name: "cluster_health",
        title: "Cluster health",
        description: "The health of the cluster (green, yellow, red), its node and shard counts; of the indices matching `index` when given. Needs the `monitor` scope (on those indices, or `monitor:*` for the whole cluster).",
        read_only: true,
        needs: Some(Action::Monitor),
        destructive: false,
    },
    Tool {
        name: "create_index",
        title: "Create an index",
        description: "Create the index `index` (one concrete name, no wildcard) with optional `mappings` and `settings` in OpenSearch's format. Needs the `manage` scope on that index.",
        read_only: false,
        needs: Some(Action::Manage),
        destructive: false,
    },
    Tool {
        name: "delete_by_query",
        title: "Delete documents by query",
        description: "Delete every document in the indices matching `index` that matches the Query DSL `query` (required; use {\"match_all\": {}} to delete everything, deliberately). Returns how many were deleted. Needs the `write` scope on those indices.",
        read_only: false,
        needs: Some(Action::Write),
        destructive: true,
    },
    Tool {
        name: "explain_access",
        title: "Explain access",
        description: "Say whether this token may perform `action` (read, write, manage or monitor) on `index`, and which scope or policy decides, without touching any data. Use it to find out which scope to ask for before a call fails.",
        read_only: true,
        needs: None,
        destructive: false,
    },
];

/// The tool named `name`.
pub fn tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

fn index_schema(description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 4096, "description": description})
}

fn query_schema() -> Value {
    json!({"type": "object", "description": "An OpenSearch Query DSL query, e.g. {\"match\": {\"message\": \"timeout\"}}"})
}

fn action_names() -> Vec<&'static str> {
    EXPLAINED.iter().map(|a| a.as_str()).collect()
}

/// The JSON Schema of a tool's arguments.
pub fn input_schema(name: &str) -> Value {
    let pattern = "Index name, comma-separated names or wildcard pattern (`logs-*`)";
    let (properties, required): (Value, &[&str]) = match name {
        "list_indices" => (
            json!({"index": index_schema("Indices to list (a pattern such as `logs-*`); all when absent")}),
            &[],
        ),
        "get_mappings" => (json!({"index": index_schema(pattern)}), &["index"]),
        "search" => (
            json!({
                "index": index_schema(pattern),
                "query": query_schema(),
                "size": {"type": "integer", "minimum": 0, "description": "How many hits (default 10; the server caps it)"},
                "from": {"type": "integer", "minimum": 0, "maximum": 10000, "description": "How many hits to skip"},
                "sort": {"description": "OpenSearch sort: a field name, an object or an array of them", "type": ["string", "object", "array"]},
                "_source": {"description": "Which fields of `_source` to return: true, false, a field, or a list of fields", "type": ["boolean", "string", "array", "object"]}
            }),
            &["index"],
        ),
        "count" => (
            json!({"index": index_schema(pattern), "query": query_schema()}),
            &["index"],
        ),
        "aggregate" => (
            json!({
                "index": index_schema(pattern),
                "aggs": {"type": "object", "minProperties": 1, "description": "OpenSearch aggregations, e.g. {\"by_level\": {\"terms\": {\"field\": \"level\"}}}"},
                "query": query_schema()
            }),
            &["index", "aggs"],
        ),
        "cluster_health" => (
            json!({"index": index_schema("Indices whose health to report; the whole cluster when absent")}),
            &[],
        ),
        "create_index" => (
            json!({
                "index": index_schema("The new index's name (lowercase, no wildcard)"),
                "mappings": {"type": "object", "description": "OpenSearch mappings, e.g. {\"properties\": {\"level\": {\"type\": \"keyword\"}}}"},
                "settings": {"type": "object", "description": "OpenSearch index settings, e.g. {\"number_of_replicas\": 0}"}
            }),
            &["index"],
        ),
        "delete_by_query" => (
            json!({"index": index_schema(pattern), "query": query_schema()}),
            &["index", "query"],
        ),
        "explain_access" => (
            json!({
                "index": index_schema(pattern),
                "action": {"type": "string", "enum": action_names(), "description": "What would be done to the indices"}
            }),
            &["index", "action"],
        ),
        _ => (json!({}), &[]),
    };
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

/// `tools/list`'s `tools` array.
pub fn tools_list() -> Value {
    Value::Array(
        TOOLS
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "title": t.title,
                    "description": t.description,
                    "inputSchema": input_schema(t.name),
                    "annotations": {
                        "title": t.title,
                        "readOnlyHint": t.read_only,
                        "destructiveHint": t.destructive,
                        "idempotentHint": t.read_only,
                        "openWorldHint": false
                    }
                })
            })
            .collect(),
    )
}

/// How a tool's OpenSearch answer is turned into its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `_cat/indices?format=json` rows.
    Indices,
    /// The answer as OpenSearch gives it (mappings, health, creation).
    Raw,
    /// Total and hits.
    Hits,
    /// `{count}`.
    Count,
    /// The aggregations only.
    Aggregations,
    /// What `_delete_by_query` did.
    Deleted,
}

/// The OpenSearch request a tool call stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRequest {
    /// `GET`, `POST`, `PUT`.
    pub method: &'static str,
    /// The path, every index name checked to need no escaping.
    pub path: String,
    /// The query string, without `?`.
    pub query: Option<String>,
    /// The JSON body (empty for none).
    pub body: Vec<u8>,
    /// How the answer becomes the result.
    pub shape: Shape,
    /// A note on what the server changed in the request (a lowered `size`).
    pub capped: Option<String>,
}

/// What a tool call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// Send this request to OpenSearch, authorized as if the client had sent it.
    Request(ToolRequest),
    /// Explain whether `request` (standing for `action` on `index`) would be allowed, without
    /// sending it.
    Explain {
        /// The action asked about.
        action: Action,
        /// The index expression asked about.
        index: String,
        /// The request that stands for it.
        request: ToolRequest,
    },
}

/// The actions `explain_access` explains.
const EXPLAINED: [Action; 4] = [Action::Read, Action::Write, Action::Manage, Action::Monitor];

fn bad(message: String) -> Error {
    Error::new(Reason::BadToolArguments, message)
}

/// The `index` argument: a name, a comma-separated list or a pattern that can go in a path as
/// it is. Anything that could leave the path segment (`/`, `..`, `?`, `#`, `%`, spaces,
/// control characters) is refused; what the names reach is for the decision to judge.
fn index_arg(args: &Map<String, Value>, required: bool, single: bool) -> Result<Option<String>> {
    let Some(v) = args.get("index") else {
        return if required {
            Err(bad("`index` is required".to_owned()))
        } else {
            Ok(None)
        };
    };
    let Some(s) = v.as_str() else {
        return Err(bad("`index` must be a string".to_owned()));
    };
    if s.is_empty() || s.len() > 4096 {
        return Err(bad("`index` must be 1 to 4096 characters".to_owned()));
    }
    for part in s.split(',') {
        let ok = !part.is_empty()
            && part != "."
            && part != ".."
            && part.len() <= 255
            && part.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'_' | b'.' | b'+' | b'*' | b':')
            });
        if !ok {
            return Err(bad(format!(
                "`index` holds {}, which is not an index name or pattern (lowercase letters, digits, `-_.+*:`, comma-separated)",
                quote(part)
            )));
        }
    }
    if single && (s.contains(',') || s.contains('*')) {
        return Err(bad(format!(
            "`index` must name one index, without wildcards or commas, not {}",
            quote(s)
        )));
    }
    Ok(Some(s.to_owned()))
}

fn object_arg<'a>(args: &'a Map<String, Value>, key: &str) -> Result<Option<&'a Value>> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(bad(format!("`{key}` must be a JSON object"))),
    }
}

fn uint_arg(args: &Map<String, Value>, key: &str) -> Result<Option<u64>> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("`{key}` must be a non-negative integer"))),
    }
}

fn only(args: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match args.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(bad(format!(
            "unknown argument {} (this tool takes {})",
            quote(k),
            allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Ok(()),
    }
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn request(method: &'static str, path: String, query: Option<&str>, shape: Shape) -> ToolRequest {
    ToolRequest {
        method,
        path,
        query: query.map(str::to_owned),
        body: Vec::new(),
        shape,
        capped: None,
    }
}

/// The request standing for `action` on `index` in `explain_access`: what the tool doing that
/// action sends.
fn standing_for(action: Action, index: &str) -> ToolRequest {
    match action {
        Action::Write => ToolRequest {
            body: body(&json!({"query": {"match_all": {}}})),
            ..request(
                "POST",
                format!("/{index}/_delete_by_query"),
                None,
                Shape::Deleted,
            )
        },
        Action::Manage => ToolRequest {
            body: b"{}".to_vec(),
            ..request("PUT", format!("/{index}/_mapping"), None, Shape::Raw)
        },
        Action::Monitor => request(
            "GET",
            format!("/_cat/indices/{index}"),
            Some("format=json"),
            Shape::Indices,
        ),
        Action::Read | Action::Admin => ToolRequest {
            body: b"{}".to_vec(),
            ..request("POST", format!("/{index}/_search"), None, Shape::Hits)
        },
    }
}

/// Turns a `tools/call` into what it does. `Err` is an unknown tool (`unknown_tool`) or
/// arguments that do not fit its schema (`bad_tool_arguments`), with a message naming the
/// argument.
pub fn plan(name: &str, arguments: Option<&Value>, limits: &Limits) -> Result<Planned> {
    let Some(t) = tool(name) else {
        return Err(Error::new(
            Reason::UnknownTool,
            format!("there is no tool {}", quote(name)),
        )
        .with_help(format!(
            "the tools are {}",
            TOOLS.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
        )));
    };
    let empty = Map::new();
    let args = match arguments {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(bad("`arguments` must be a JSON object".to_owned())),
    };
    let planned = match t.name {
        "list_indices" => {
            only(args, &["index"])?;
            let index = index_arg(args, false, false)?.unwrap_or_else(|| "*".to_owned());
            request(
                "GET",
                format!("/_cat/indices/{index}"),
                Some("format=json&h=index,health,status,docs.count,store.size&s=index"),
                Shape::Indices,
            )
        }
        "get_mappings" => {
            only(args, &["index"])?;
            let index = index_arg(args, true, false)?.unwrap_or_default();
            request("GET", format!("/{index}/_mapping"), None, Shape::Raw)
        }
        "search" => {
            only(args, &["index", "query", "size", "from", "sort", "_source"])?;
            let index = index_arg(args, true, false)?.unwrap_or_default();
            let mut b = Map::new();
            if let Some(q) = object_arg(args, "query")? {
                b.insert("query".to_owned(), q.clone());
            }
            let asked = uint_arg(args, "size")?.unwrap_or(10);
            let size = asked.min(limits.max_hits);
            b.insert("size".to_owned(), size.into());
            if let Some(from) = uint_arg(args, "from")? {
                if from > 10_000 {
                    return Err(bad("`from` must be at most 10000".to_owned()));
                }
                b.insert("from".to_owned(), from.into());
            }
            match args.get("sort") {
                None | Some(Value::Null) => {}
                Some(v @ (Value::String(_) | Value::Object(_) | Value::Array(_))) => {
                    b.insert("sort".to_owned(), v.clone());
                }
                Some(_) => {
                    return Err(bad(
                        "`sort` must be a field name, an object or an array".to_owned()
                    ));
                }
            }
            match args.get("_source") {
                None | Some(Value::Null) => {}
                Some(
                    v @ (Value::Bool(_) | Value::String(_) | Value::Array(_) | Value::Object(_)),
                ) => {
                    b.insert("_source".to_owned(), v.clone());
                }
                Some(_) => {
                    return Err(bad(
                        "`_source` must be a boolean, a field, a list or an object".to_owned(),
                    ));
                }
            }
            b.insert("track_total_hits".to_owned(), true.into());
            ToolRequest {
                body: body(&Value::Object(b)),
                capped: (asked > size)
                    .then(|| format!("`size` {asked} was lowered to the server's cap of {size}")),
                ..request("POST", format!("/{index}/_search"), None, Shape::Hits)
            }
        }
        "count" => {
            only(args, &["index", "query"])?;
            let index = index_arg(args, true, false)?.unwrap_or_default();
            let b = match object_arg(args, "query")? {
                Some(q) => json!({"query": q}),
                None => json!({}),
            };
            ToolRequest {
                body: body(&b),
                ..request("POST", format!("/{index}/_count"), None, Shape::Count)
            }
        }
        "aggregate" => {
            only(args, &["index", "aggs", "query"])?;
            let index = index_arg(args, true, false)?.unwrap_or_default();
            let aggs = object_arg(args, "aggs")?
                .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
                .ok_or_else(|| bad("`aggs` is required: a non-empty JSON object".to_owned()))?;
            let mut b = json!({"size": 0, "aggs": aggs});
            if let (Some(q), Some(m)) = (object_arg(args, "query")?, b.as_object_mut()) {
                m.insert("query".to_owned(), q.clone());
            }
            ToolRequest {
                body: body(&b),
                ..request(
                    "POST",
                    format!("/{index}/_search"),
                    None,
                    Shape::Aggregations,
                )
            }
        }
        "cluster_health" => {
            only(args, &["index"])?;
            let path = match index_arg(args, false, false)? {
                Some(i) => format!("/_cluster/health/{i}"),
                None => "/_cluster/health".to_owned(),
            };
            request("GET", path, None, Shape::Raw)
        }
        "create_index" => {
            only(args, &["index", "mappings", "settings"])?;
            let index = index_arg(args, true, true)?.unwrap_or_default();
            let mut b = Map::new();
            for key in ["mappings", "settings"] {
                if let Some(v) = object_arg(args, key)? {
                    b.insert(key.to_owned(), v.clone());
                }
            }
            ToolRequest {
                body: body(&Value::Object(b)),
                ..request("PUT", format!("/{index}"), None, Shape::Raw)
            }
        }
        "delete_by_query" => {
            only(args, &["index", "query"])?;
            let index = index_arg(args, true, false)?.unwrap_or_default();
            let q = object_arg(args, "query")?.ok_or_else(|| {
                bad(
                    "`query` is required (use {\"match_all\": {}} to delete every document)"
                        .to_owned(),
                )
            })?;
            ToolRequest {
                body: body(&json!({"query": q})),
                ..request(
                    "POST",
                    format!("/{index}/_delete_by_query"),
                    Some("refresh=true"),
                    Shape::Deleted,
                )
            }
        }
        "explain_access" => {
            only(args, &["index", "action"])?;
            let index = index_arg(args, true, false)?.unwrap_or_default();
            let wanted = args.get("action").and_then(Value::as_str).unwrap_or("");
            let action = EXPLAINED
                .iter()
                .copied()
                .find(|a| a.as_str() == wanted)
                .ok_or_else(|| {
                    bad(format!(
                        "`action` must be one of {}",
                        action_names().join(", ")
                    ))
                })?;
            let request = standing_for(action, &index);
            return Ok(Planned::Explain {
                action,
                index,
                request,
            });
        }
        _ => return Err(Error::internal("a listed tool has no plan")),
    };
    Ok(Planned::Request(planned))
}

/// A tool's result: structured content, its JSON text, and whether it had to be cut to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Shaped {
    /// The `structuredContent` (always an object).
    pub structured: Value,
    /// `structured` serialized: what was measured against [`Limits::max_result_bytes`], and what
    /// the endpoint sends (once as `structuredContent`, once as the text content), so that the
    /// result is serialized once.
    pub json: String,
    /// Whether the result was cut to fit [`Limits::max_result_bytes`].
    pub truncated: bool,
}

/// Takes the member `key` out of `v` (an object), leaving nothing behind: OpenSearch's answer is
/// taken apart, not copied.
fn take(v: &mut Value, key: &str) -> Value {
    v.as_object_mut()
        .and_then(|m| m.remove(key))
        .unwrap_or(Value::Null)
}

/// Shapes OpenSearch's successful answer (`body`, JSON) for a tool.
pub fn shape(request: &ToolRequest, body: &[u8], limits: &Limits) -> Shaped {
    let mut answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut out = match request.shape {
        Shape::Indices => {
            let rows = match answer {
                Value::Array(rows) => rows,
                _ => Vec::new(),
            };
            let indices: Vec<Value> = rows
                .into_iter()
                .map(|mut r| {
                    let docs = r
                        .get("docs.count")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse::<u64>().ok());
                    let mut m = Map::new();
                    for (k, from) in [
                        ("index", "index"),
                        ("health", "health"),
                        ("status", "status"),
                    ] {
                        m.insert(k.to_owned(), take(&mut r, from));
                    }
                    m.insert("docs_count".to_owned(), docs.into());
                    m.insert("store_size".to_owned(), take(&mut r, "store.size"));
                    Value::Object(m)
                })
                .collect();
            object([("indices", Value::Array(indices))])
        }
        Shape::Raw => match answer {
            Value::Object(_) => answer,
            other => object([("result", other)]),
        },
        Shape::Hits => {
            let mut hits = take(&mut answer, "hits");
            let list: Vec<Value> = match take(&mut hits, "hits") {
                Value::Array(a) => a
                    .into_iter()
                    .map(|mut h| {
                        let mut m = Map::new();
                        for k in ["_index", "_id", "_score", "_source", "sort"] {
                            if let Some(v) = h.as_object_mut().and_then(|o| o.remove(k)) {
                                m.insert(k.to_owned(), v);
                            }
                        }
                        Value::Object(m)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let total = take(&mut take(&mut hits, "total"), "value");
            object([
                ("total", total),
                ("took_ms", take(&mut answer, "took")),
                ("hits", Value::Array(list)),
            ])
        }
        Shape::Count => object([("count", take(&mut answer, "count"))]),
        Shape::Aggregations => {
            let total = take(&mut take(&mut take(&mut answer, "hits"), "total"), "value");
            let aggregations = match take(&mut answer, "aggregations") {
                Value::Null => Value::Object(Map::new()),
                a => a,
            };
            object([("total", total), ("aggregations", aggregations)])
        }
        Shape::Deleted => {
            let mut m = Map::new();
            for k in [
                "deleted",
                "total",
                "took",
                "batches",
                "version_conflicts",
                "failures",
            ] {
                if let Some(v) = answer.as_object_mut().and_then(|o| o.remove(k)) {
                    m.insert(k.to_owned(), v);
                }
            }
            Value::Object(m)
        }
    };
    if let Some(m) = out.as_object_mut() {
        m.insert("truncated".to_owned(), false.into());
        if let Some(note) = &request.capped {
            m.insert("note".to_owned(), note.clone().into());
        }
    }
    let (json, truncated) = fit(&mut out, limits.max_result_bytes);
    Shaped {
        structured: out,
        json,
        truncated,
    }
}

/// An object of `members`, built without going through `json!` (which copies every value).
fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn to_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

/// The longest array in `v` (by element count), as a mutable reference.
fn longest_array(v: &mut Value) -> Option<&mut Vec<Value>> {
    fn walk<'a>(v: &'a mut Value, best: &mut Option<&'a mut Vec<Value>>) {
        match v {
            Value::Array(a) => {
                if a.len() > best.as_ref().map_or(1, |b| b.len()) {
                    // Keep looking inside the elements only when this one is not taken.
                    *best = Some(a);
                } else {
                    for e in a.iter_mut() {
                        walk(e, best);
                    }
                }
            }
            Value::Object(m) => {
                for e in m.values_mut() {
                    walk(e, best);
                }
            }
            _ => {}
        }
    }
    let mut best = None;
    walk(v, &mut best);
    best
}

/// Cuts `v` until its JSON fits in `max` bytes: the longest array is halved again and again;
/// when nothing can be halved any more the value is replaced by a note. Its JSON, and whether
/// it was cut (then `truncated` is set to true in `v`, an object, which only shortens it).
fn fit(v: &mut Value, max: usize) -> (String, bool) {
    let mut json = to_json(v);
    if json.len() <= max {
        return (json, false);
    }
    while json.len() > max {
        match longest_array(v) {
            Some(a) => {
                let keep = a.len() / 2;
                a.truncate(keep);
            }
            None => {
                *v = object([
                    ("result", Value::Null),
                    ("message", format!("the result exceeds {max} bytes and cannot be cut further; narrow the request").into()),
                ]);
                break;
            }
        }
        json = to_json(v);
    }
    if let Some(m) = v.as_object_mut() {
        m.insert("truncated".to_owned(), true.into());
    }
    (to_json(v), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_ok(name: &str, args: Value) -> ToolRequest {
        match plan(name, Some(&args), &Limits::default()).unwrap() {
            Planned::Request(r) => r,
            Planned::Explain { .. } => panic!("explain"),
        }
    }

    fn reason(name: &str, args: Value) -> Reason {
        plan(name, Some(&args), &Limits::default())
            .unwrap_err()
            .reason
    }

    #[test]
    fn every_tool_is_described_with_a_schema_that_names_its_arguments() {
        let list = tools_list();
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "list_indices",
                "get_mappings",
                "search",
                "count",
                "aggregate",
                "cluster_health",
                "create_index",
                "delete_by_query",
                "explain_access"
            ]
        );
        for t in list.as_array().unwrap() {
            let schema = &t["inputSchema"];
            assert_eq!(schema["type"], "object", "{t}");
            assert!(
                schema["properties"]
                    .as_object()
                    .unwrap()
                    .contains_key("index")
            );
            for r in schema["required"].as_array().unwrap() {
                assert!(schema["properties"].get(r.as_str().unwrap()).is_some());
            }
        }
    }

    #[test]
    fn each_tool_stands_for_the_request_of_the_same_meaning() {
        let r = plan_ok(
            "search",
            json!({"index": "logs-*", "query": {"match": {"m": "x"}}}),
        );
        assert_eq!((r.method, r.path.as_str()), ("POST", "/logs-*/_search"));
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(b["query"], json!({"match": {"m": "x"}}));
        assert_eq!(b["size"], 10);
        let r = plan_ok("count", json!({"index": "logs"}));
        assert_eq!((r.method, r.path.as_str()), ("POST", "/logs/_count"));
        let r = plan_ok("list_indices", json!({}));
        assert_eq!(r.path, "/_cat/indices/*");
        let r = plan_ok("cluster_health", json!({}));
        assert_eq!(r.path, "/_cluster/health");
        let r = plan_ok(
            "create_index",
            json!({"index": "new", "settings": {"number_of_replicas": 0}}),
        );
        assert_eq!((r.method, r.path.as_str()), ("PUT", "/new"));
        let r = plan_ok(
            "delete_by_query",
            json!({"index": "logs", "query": {"match_all": {}}}),
        );
        assert_eq!(r.path, "/logs/_delete_by_query");
        let r = plan_ok(
            "aggregate",
            json!({"index": "logs", "aggs": {"a": {"terms": {"field": "l"}}}}),
        );
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(b["size"], 0);
    }

    #[test]
    fn arguments_that_would_leave_the_index_segment_are_refused() {
        for bad in [
            "../_cluster",
            "logs/../secret",
            "logs?pretty",
            "logs#x",
            "logs%2fx",
            "Logs",
            "logs x",
            "",
            "a,,b",
            "..",
            "<logs-{now/d}>",
            "logs\n",
        ] {
            assert_eq!(
                reason("search", json!({"index": bad})),
                Reason::BadToolArguments,
                "{bad:?}"
            );
        }
        // Names the decision judges (every one of them must be granted) pass through.
        for fine in [
            "logs,secret",
            "_all",
            "*",
            ".*",
            "logs-*,-logs-x",
            "remote:logs",
        ] {
            assert_eq!(
                plan_ok("search", json!({"index": fine})).path,
                format!("/{fine}/_search")
            );
        }
        assert_eq!(
            reason("create_index", json!({"index": "a*"})),
            Reason::BadToolArguments
        );
        assert_eq!(
            reason("search", json!({"index": 3})),
            Reason::BadToolArguments
        );
        assert_eq!(
            reason("search", json!({"index": "x", "extra": 1})),
            Reason::BadToolArguments
        );
        assert_eq!(
            reason("delete_by_query", json!({"index": "x"})),
            Reason::BadToolArguments
        );
        assert_eq!(
            reason("search", json!({"index": "x", "query": "match"})),
            Reason::BadToolArguments
        );
        assert_eq!(reason("nope", json!({})), Reason::UnknownTool);
        assert_eq!(
            plan("search", Some(&json!([1])), &Limits::default())
                .unwrap_err()
                .reason,
            Reason::BadToolArguments
        );
    }

    #[test]
    fn a_size_over_the_cap_is_lowered_and_said_so() {
        let r = plan_ok("search", json!({"index": "l", "size": 5000}));
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(b["size"], 100);
        assert!(r.capped.unwrap().contains("5000"));
    }

    #[test]
    fn explain_access_names_the_request_an_action_stands_for() {
        let Planned::Explain {
            action, request, ..
        } = plan(
            "explain_access",
            Some(&json!({"index": "logs-*", "action": "write"})),
            &Limits::default(),
        )
        .unwrap()
        else {
            panic!()
        };
        assert_eq!(action, Action::Write);
        assert_eq!(request.path, "/logs-*/_delete_by_query");
        assert_eq!(
            reason("explain_access", json!({"index": "l", "action": "delete"})),
            Reason::BadToolArguments
        );
    }

    #[test]
    fn results_are_cut_to_the_byte_cap_and_flagged() {
        let hits: Vec<Value> = (0..1000)
            .map(
                |i| json!({"_index": "l", "_id": i.to_string(), "_source": {"m": "x".repeat(100)}}),
            )
            .collect();
        let answer = json!({"took": 1, "hits": {"total": {"value": 1000}, "hits": hits}});
        let r = plan_ok("search", json!({"index": "l"}));
        let limits = Limits {
            max_hits: 100,
            max_result_bytes: 10_000,
        };
        let s = shape(&r, &serde_json::to_vec(&answer).unwrap(), &limits);
        assert!(s.truncated);
        assert_eq!(s.structured["truncated"], true);
        assert_eq!(s.structured["total"], 1000);
        // The text sent is the value shown, and it fits.
        assert_eq!(
            serde_json::from_str::<Value>(&s.json).unwrap(),
            s.structured
        );
        assert!(s.json.len() <= 10_000, "{}", s.json.len());
        let n = s.structured["hits"].as_array().unwrap().len();
        assert!(n > 0 && n < 1000, "{n}");
        let small = shape(
            &r,
            &serde_json::to_vec(&answer).unwrap(),
            &Limits::default(),
        );
        // About 130 KB: within the default 256 KiB, kept whole.
        assert!(!small.truncated);
        assert_eq!(small.structured["hits"].as_array().unwrap().len(), 1000);
        let tiny = json!({"took": 1, "hits": {"total": {"value": 1}, "hits": [{"_id": "1", "_source": {}}]}});
        let s = shape(&r, &serde_json::to_vec(&tiny).unwrap(), &Limits::default());
        assert!(!s.truncated);
        assert_eq!(s.structured["hits"][0]["_id"], "1");
        assert_eq!(s.structured["total"], 1);
        assert_eq!(s.structured["took_ms"], 1);
        assert_eq!(s.structured["truncated"], false);
        assert_eq!(
            serde_json::from_str::<Value>(&s.json).unwrap(),
            s.structured
        );
    }

    #[test]
    fn each_shape_keeps_what_the_agent_needs() {
        let list = plan_ok("list_indices", json!({}));
        let rows = json!([{"index": "logs-1", "health": "green", "status": "open", "docs.count": "42", "store.size": "1kb", "pri": "1"}]);
        let s = shape(
            &list,
            &serde_json::to_vec(&rows).unwrap(),
            &Limits::default(),
        );
        assert_eq!(
            s.structured,
            json!({"indices": [{"index": "logs-1", "health": "green", "status": "open", "docs_count": 42, "store_size": "1kb"}], "truncated": false})
        );
        let count = plan_ok("count", json!({"index": "l"}));
        let s = shape(
            &count,
            br#"{"count": 7, "_shards": {}}"#,
            &Limits::default(),
        );
        assert_eq!(s.structured, json!({"count": 7, "truncated": false}));
        let hit = json!({"_index": "l", "_id": "1", "_score": 1.5, "_source": {"a": 1}, "_ignored": ["x"]});
        let answer = json!({"took": 3, "timed_out": false, "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [hit]}});
        let search = plan_ok("search", json!({"index": "l"}));
        let s = shape(
            &search,
            &serde_json::to_vec(&answer).unwrap(),
            &Limits::default(),
        );
        assert_eq!(
            s.structured,
            json!({"total": 1, "took_ms": 3, "hits": [{"_index": "l", "_id": "1", "_score": 1.5, "_source": {"a": 1}}], "truncated": false})
        );
        let aggs = plan_ok(
            "aggregate",
            json!({"index": "l", "aggs": {"by": {"terms": {"field": "f"}}}}),
        );
        let s = shape(
            &aggs,
            br#"{"hits": {"total": {"value": 9}}}"#,
            &Limits::default(),
        );
        assert_eq!(
            s.structured,
            json!({"total": 9, "aggregations": {}, "truncated": false})
        );
    }
}
