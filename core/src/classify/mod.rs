//! Request classification: which [`Action`]s an OpenSearch HTTP request performs and on which
//! indices.
//!
//! The proxy allows a request only if the caller's scopes grant *every* [`Access`] that
//! [`classify`] returns, so the classifier errs on the side of naming more: when it cannot tell
//! exactly which indices a request touches it asks for `*`, and when it cannot tell at all it
//! returns an `invalid_request` error rather than guess. The result is deduplicated and sorted.
//!
//! # Reading a request
//!
//! **Path.** It must start with `/`; one trailing `/` is ignored. It is split on `/` and every
//! segment is percent-decoded on its own, strictly (`%` must start a `%XX` escape, `+` stays a
//! plus, the result must be UTF-8, raw characters must be visible ASCII). Empty segments (`//`),
//! `.` and `..` and decoded segments holding a `/` are rejected (`bad_path`). Endpoint keywords
//! (`_search`, `_doc`, ...) are matched on the *raw* segment, as OpenSearch's router does, so
//! `%5Fsearch` is an index name (an invalid one), never the search endpoint.
//!
//! **Index expressions** (a path segment, or an index value in a body) are comma lists. Each
//! item becomes a pattern that [`IndexPattern::parse`](crate::scope::IndexPattern::parse)
//! accepts, or the request is rejected:
//! - `_all` and `*` become `*`; an empty list (no path index, `""`, `[]`) means every index: `*`;
//! - date math `<logs-{now/d}>` (also percent-encoded) loses its `<>` and each `{...}`
//!   (nested braces allowed, `\` escapes) becomes `*`: `logs-*`;
//! - exclusions (`-logs-old`) are dropped since they only narrow, but a list of nothing but
//!   exclusions is rejected (`bad_index`);
//! - remote-cluster items (`other:logs`) are rejected (`cross_cluster`);
//! - anything else must be a valid lowercase name or pattern (`bad_index`; `LOGS` is invalid).
//!
//! **Query string.** Parsed as OpenSearch does (`&` and `;` separate, `+` is a space). A
//! `source` parameter is the body when the request has none. An `index` parameter is rejected
//! (`bad_query`) except on admin endpoints: OpenSearch reads it as the `{index}` of routes that
//! have none in the path, e.g. `GET /_search?index=secret`.
//!
//! **Bodies** are read only where they name indices. Empty bodies are fine except where noted.
//! Search-like bodies are scanned for queries that read *other* indices: a `terms` lookup
//! (`index` next to `id`/`path`), `more_like_this` `like`/`unlike` items with `_index`, a
//! `geo_shape`/`shape`/`xy_shape` `indexed_shape` (default index `shapes`) and `percolate` with
//! `index` each add read on that index; `wrapper` (base64 query) and a phrase suggester's
//! `collate` query (a template) add read on `*`.
//!
//! # Endpoints
//!
//! `[/{index}]` means the index segment is optional and defaults to `*`.
//!
//! | endpoint | methods | path | action | indices |
//! |---|---|---|---|---|
//! | `info` | GET HEAD | `/` | monitor | cluster |
//! | `search` | GET POST | `[/{index}]/_search` | read | path; body lookups |
//! | `count` | GET POST | `[/{index}]/_count` | read | path; body lookups |
//! | `msearch` | GET POST | `[/{index}]/_msearch` | read | each header's `index`/`indices` (string or array), else path; lookups in every body line; body required |
//! | `mget` | GET POST | `[/{index}]/_mget` | read | each `docs[]._index`, else path; neither is an error |
//! | `mtermvectors` | GET POST | `[/{index}]/_mtermvectors` | read | as `mget`, with `parameters._index` as another default |
//! | `doc_get` | GET HEAD | `/{index}/_doc/{id}` | read | path |
//! | `doc_source` | GET HEAD | `/{index}/_source/{id}` | read | path |
//! | `explain` | GET POST | `/{index}/_explain/{id}` | read | path; body lookups |
//! | `termvectors` | GET POST | `/{index}/_termvectors[/{id}]` | read | path and the body's `_index` |
//! | `validate_query` | GET POST | `[/{index}]/_validate/query` | read | path; body lookups |
//! | `field_caps` | GET POST | `[/{index}]/_field_caps` | read | path; body lookups |
//! | `rank_eval` | GET POST | `[/{index}]/_rank_eval` | read | path; body lookups; `*` if the body has `templates` |
//! | `search_template` | GET POST | `[/{index}]/_search/template` | read | `*`, see below |
//! | `msearch_template` | GET POST | `[/{index}]/_msearch/template` | read | `*`, see below |
//! | `index_get` | GET HEAD | `/{index}` | read | path |
//! | `mapping_get` | GET HEAD | `[/{index}]/_mapping[/field/{fields}]` | read | path |
//! | `alias_get` | GET HEAD | `[/{index}]/_alias[/{name}]` | read | path; without one the alias names; else `*` |
//! | `scroll` | GET POST DELETE | `/_search/scroll[/{id}]` | read | `*`, see below |
//! | `pit_create` | POST | `/{index}/_search/point_in_time`, `/{index}/_pit` | read | path |
//! | `pit` | GET DELETE | `/_search/point_in_time[/_all]`, `/_pit` | read | `*`, see below |
//! | `doc_index` | PUT POST | `/{index}/_doc[/{id}]` | write | path |
//! | `doc_delete` | DELETE | `/{index}/_doc/{id}` | write | path |
//! | `doc_create` | PUT POST | `/{index}/_create/{id}` | write | path |
//! | `doc_update` | POST | `/{index}/_update/{id}` | write | path |
//! | `bulk` | POST PUT | `[/{index}]/_bulk` | write | every action line's `_index`, else path; neither is an error; body required |
//! | `delete_by_query` | POST | `/{index}/_delete_by_query` | write | path; body lookups (read) |
//! | `update_by_query` | POST | `/{index}/_update_by_query` | write | path; body lookups (read) |
//! | `reindex` | POST | `/_reindex` | read, write | read `source.index`, write `dest.index` (`*` if there is a `script`, which may set `ctx._index`); `source.remote` is `cross_cluster`; body required |
//! | `index_create` | PUT | `/{index}` | manage | path and every alias in the body's `aliases` |
//! | `index_delete` | DELETE | `/{index}` | manage | path |
//! | `mapping_put` | PUT POST | `/{index}/_mapping` | manage | path |
//! | `settings_put` | PUT | `[/{index}]/_settings` | manage | path |
//! | `refresh`, `flush` | GET POST | `[/{index}]/_refresh`, `[/{index}]/_flush` | manage | path |
//! | `forcemerge` | POST | `[/{index}]/_forcemerge` | manage | path |
//! | `cache_clear` | POST | `[/{index}]/_cache/clear` | manage | path |
//! | `open`, `close` | POST | `/{index}/_open`, `/{index}/_close` | manage | path |
//! | `alias_put` | PUT POST | `[/{index}]/_alias[/{name}]` | manage | path and body `index`, plus every alias named by the path, `?name=` or body `alias`; no alias is an error |
//! | `alias_delete` | DELETE | `/{index}/_alias/{name}` | manage | path index and alias names |
//! | `aliases` | POST | `/_aliases` | manage | every `index`, `indices`, `alias` and `aliases` of every `add`, `remove` and `remove_index` action; body required |
//! | `cluster_health` | GET | `/_cluster/health[/{index}]` | monitor | path, else cluster |
//! | `cat` | GET | `/_cat[/{what}[/{arg}]]` | monitor | `indices`, `count`, `shards`, `segments`, `recovery`: `{arg}` as an index, else `*`; anything else: cluster |
//! | `stats` | GET | `[/{index}]/_stats[/{metric}]` | monitor | path |
//! | `segments`, `recovery` | GET | `[/{index}]/_segments`, `[/{index}]/_recovery` | monitor | path |
//! | `settings_get` | GET | `[/{index}]/_settings[/{name}]` | monitor | path |
//! | `nodes` | GET | `/_nodes[/...]` | monitor | cluster |
//! | `cluster_stats`, `cluster_state` | GET | `/_cluster/stats[/...]`, `/_cluster/state[/...]` | monitor | cluster |
//! | `cluster_settings_get` | GET | `/_cluster/settings` | monitor | cluster |
//! | `cluster_settings_put` | PUT | `/_cluster/settings` | admin | cluster |
//! | `cluster_admin`, `nodes_admin` | any | any other `/_cluster/...`; `/_nodes/...` but GET | admin | cluster |
//! | `snapshot`, `tasks`, `ingest`, `scripts`, `plugins`, `security`, `opendistro`, `template`, `index_template`, `component_template` | any | `/_snapshot[/...]` and so on | admin | cluster |
//!
//! Everything else is `unclassified`, including a known path with a method it does not take.
//! `HEAD` is read as `GET`.
//!
//! Why `*`: a scroll id and a point-in-time id stand for indices chosen when they were created,
//! which the id does not reveal; a search template is rendered by OpenSearch (`{{...}}` can
//! produce any query, including lookups into other indices) and a stored one is not even in
//! the request.
//!
//! # Limits
//!
//! Classification is about names in the request. An alias or a wildcard that matches an alias
//! reaches whatever indices the alias points to, which is why creating an alias needs `manage`
//! on the alias as well as on its indices. An ingest pipeline (`?pipeline=`, an index's default
//! pipeline) can reroute documents to another index; pipelines are admin-only to create, and the
//! pipelines a write names are collected in [`Classified::pipelines`] for the decision, which
//! refuses writes through a pipeline that may reroute (see [`crate::catalog`]). What an index
//! name reaches (an alias's indices, a data stream) is also the decision's business: the
//! classifier reports names as written.

mod body;
pub mod continuation;
pub use continuation::{Continuation, ContinuationKind};
mod lookup;
mod ndjson;
mod path;
mod route;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Reason;
use crate::error::{Error, Result, quote};
use crate::scope::Action;

/// The parts of an HTTP request the classifier reads.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, uppercase (`GET`).
    pub method: &'a str,
    /// The raw, still percent-encoded path without the query string, e.g. `/logs-*/_search`.
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: Option<&'a str>,
    /// The body. The caller bounds its size.
    pub body: &'a [u8],
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may hold anything; its length is enough to debug classification.
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// What an access is on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// The cluster as a whole (cluster info, nodes, settings, admin APIs).
    Cluster,
    /// An index name or wildcard pattern; always a valid [`IndexPattern`](crate::scope::IndexPattern).
    Index(String),
}

/// One thing a request does: an action on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Access {
    /// What is done.
    pub action: Action,
    /// To what.
    pub resource: Resource,
}

/// The classification of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classified {
    /// A stable name for the endpoint, one of [`ENDPOINTS`] (`search`, `bulk`, ...).
    pub endpoint: &'static str,
    /// Everything the request needs, deduplicated and sorted.
    pub accesses: Vec<Access>,
    /// The ingest pipelines the request names for its writes (`?pipeline=`, a `_bulk` action's
    /// `pipeline`, `_reindex`'s `dest.pipeline`), sorted: a pipeline may send documents to
    /// another index than the one written, so the decision asks what they do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pipelines: Vec<String>,
    /// The scroll and point-in-time contexts the request continues (see [`continuation`]);
    /// their indices were fixed when they were opened.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub continuations: Vec<Continuation>,
}

/// Every endpoint name [`classify`] can return.
pub const ENDPOINTS: &[&str] = &[
    "info",
    "search",
    "count",
    "msearch",
    "mget",
    "mtermvectors",
    "doc_get",
    "doc_source",
    "explain",
    "termvectors",
    "validate_query",
    "field_caps",
    "rank_eval",
    "search_template",
    "msearch_template",
    "index_get",
    "mapping_get",
    "alias_get",
    "scroll",
    "pit_create",
    "pit",
    "doc_index",
    "doc_delete",
    "doc_create",
    "doc_update",
    "bulk",
    "delete_by_query",
    "update_by_query",
    "reindex",
    "index_create",
    "index_delete",
    "mapping_put",
    "settings_put",
    "refresh",
    "flush",
    "forcemerge",
    "cache_clear",
    "open",
    "close",
    "alias_put",
    "alias_delete",
    "aliases",
    "cluster_health",
    "cat",
    "stats",
    "segments",
    "recovery",
    "settings_get",
    "nodes",
    "cluster_stats",
    "cluster_state",
    "cluster_settings_get",
    "cluster_settings_put",
    "cluster_admin",
    "nodes_admin",
    "snapshot",
    "tasks",
    "ingest",
    "scripts",
    "plugins",
    "security",
    "opendistro",
    "template",
    "index_template",
    "component_template",
];

/// [`Classified`] as it arrives over the wire, before its endpoint name is checked.
#[derive(Deserialize)]
struct ClassifiedWire {
    endpoint: String,
    accesses: Vec<Access>,
    #[serde(default)]
    pipelines: Vec<String>,
    #[serde(default)]
    continuations: Vec<Continuation>,
}

// By hand: a derived impl would only exist for `'static` input because of `&'static str`.
impl<'de> Deserialize<'de> for Classified {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let wire = ClassifiedWire::deserialize(d)?;
        let endpoint = ENDPOINTS
            .iter()
            .copied()
            .find(|e| *e == wire.endpoint)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown endpoint {}", quote(&wire.endpoint)))
            })?;
        Ok(Self {
            endpoint,
            accesses: wire.accesses,
            pipelines: wire.pipelines,
            continuations: wire.continuations,
        })
    }
}

/// Classifies a request: its endpoint and every access it needs.
///
/// Errors are `invalid_request` with one of the reasons `unclassified`, `bad_path`,
/// `bad_query`, `bad_index`, `cross_cluster`, `bad_body`, `missing_body` or `missing_index`.
pub fn classify(req: &Request<'_>) -> Result<Classified> {
    let segments = path::segments(req.path)?;
    let query = path::Query::parse(req.query)?;
    let body = match &query.source {
        Some(source) if req.body.is_empty() => source.as_bytes(),
        _ => req.body,
    };
    let (endpoint, accesses) = route::route(req, &segments, &query, body)?;
    if accesses.0.is_empty() {
        // `{"actions": []}`, `{"docs": []}`: OpenSearch refuses them, and a request that needs
        // no access at all would pass with any token.
        return Err(invalid(
            Reason::MissingIndex,
            "the request names no index and nothing else it acts on".to_owned(),
        ));
    }
    if query.has_index && accesses.0.iter().any(|a| a.action != Action::Admin) {
        return Err(invalid(
            Reason::BadQuery,
            "the `index` query parameter is not supported".to_owned(),
        )
        .with_help("name the indices in the path"));
    }
    debug_assert!(
        ENDPOINTS.contains(&endpoint),
        "endpoint {endpoint} is not listed"
    );
    let mut pipelines = accesses.1;
    if let Some(p) = query.pipeline {
        pipelines.insert(p);
    }
    let continuations = continuation::continuations(
        endpoint,
        req.method,
        &segments,
        query.scroll_id.as_deref(),
        body,
    );
    Ok(Classified {
        endpoint,
        continuations,
        pipelines: pipelines.into_iter().collect(),
        accesses: accesses.0.into_iter().collect(),
    })
}

/// The accesses found so far; a set, so duplicates vanish and the order is canonical.
#[derive(Debug, Default)]
struct Accesses(BTreeSet<Access>, BTreeSet<String>);

impl Accesses {
    /// Records an ingest pipeline named for a write.
    fn pipeline(&mut self, name: &str) {
        self.1.insert(name.to_owned());
    }

    fn cluster(&mut self, action: Action) {
        self.0.insert(Access {
            action,
            resource: Resource::Cluster,
        });
    }

    /// Adds already normalised patterns.
    fn patterns(&mut self, action: Action, patterns: impl IntoIterator<Item = String>) {
        self.0.extend(patterns.into_iter().map(|p| Access {
            action,
            resource: Resource::Index(p),
        }));
    }

    /// Adds an index expression (a comma list; see the module docs).
    fn expr(&mut self, action: Action, expr: &str) -> Result<()> {
        self.patterns(action, path::index_expr(expr)?);
        Ok(())
    }

    fn all(&mut self, action: Action) {
        self.patterns(action, [path::ALL.to_owned()]);
    }
}

fn invalid(reason: Reason, message: String) -> Error {
    Error::new(reason, message)
}
