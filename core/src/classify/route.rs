//! The route table: method and path segments to an endpoint and its accesses.
//!
//! Paths are matched positionally, like OpenSearch's router: an optional index segment (any
//! segment that is not a `_keyword`), then literal keywords and parameters.

use super::path::{self, Query, Segment};
use super::{Accesses, Request, body, invalid, ndjson};
use crate::error::Reason;
use crate::error::{Error, Result, quote};
use crate::scope::Action::{self, Admin, Manage, Monitor, Read, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}
use Method::{Delete, Get, Post, Put};

/// Path prefixes whose every route is a cluster-wide admin API, with their endpoint names.
const ADMIN_PREFIXES: &[(&str, &str)] = &[
    ("_snapshot", "snapshot"),
    ("_tasks", "tasks"),
    ("_ingest", "ingest"),
    ("_scripts", "scripts"),
    ("_plugins", "plugins"),
    ("_security", "security"),
    ("_opendistro", "opendistro"),
    ("_template", "template"),
    ("_index_template", "index_template"),
    ("_component_template", "component_template"),
];

/// `_cat` APIs that take an index expression.
const CAT_INDEXED: &[&str] = &["indices", "count", "shards", "segments", "recovery"];

struct Route<'r> {
    req: &'r Request<'r>,
    method: Method,
    /// The path's index expression, normalised; `None` when the path has none.
    index: Option<Vec<String>>,
    acc: Accesses,
}

impl Route<'_> {
    fn unclassified(&self) -> Error {
        invalid(
            Reason::Unclassified,
            format!(
                "no known endpoint for {} {}",
                quote(self.req.method),
                quote(self.req.path)
            ),
        )
        .with_help("only the endpoints listed in the oauth4os documentation are forwarded")
    }

    /// Fails unless the method is one of `methods`.
    fn only(&self, methods: &[Method]) -> Result<()> {
        if methods.contains(&self.method) {
            Ok(())
        } else {
            Err(self.unclassified())
        }
    }

    /// `action` on the path's indices, or on `*` when the path names none.
    fn on_path(&mut self, action: Action) {
        match &self.index {
            Some(patterns) => self.acc.patterns(action, patterns.iter().cloned()),
            None => self.acc.all(action),
        }
    }
}

pub(super) fn route(
    req: &Request<'_>,
    segments: &[Segment<'_>],
    query: &Query,
    body: &[u8],
) -> Result<(&'static str, Accesses)> {
    let method = match req.method {
        "GET" | "HEAD" => Get,
        "POST" => Post,
        "PUT" => Put,
        "DELETE" => Delete,
        _ => return Err(unknown(req)),
    };
    let (index, rest) = match segments.split_first() {
        Some((first, rest)) if !first.is_keyword() => (Some(path::index_expr(&first.text)?), rest),
        _ => (None, segments),
    };
    let mut r = Route {
        req,
        method,
        index,
        acc: Accesses::default(),
    };
    let keywords: Vec<&str> = rest.iter().map(|s| s.raw).collect();
    // A parameter segment, decoded.
    let param = |i: usize| rest.get(i).map(|s| s.text.as_ref());
    let has_index = r.index.is_some();

    let endpoint = match (has_index, keywords.as_slice()) {
        (false, []) => {
            r.only(&[Get])?;
            r.acc.cluster(Monitor);
            "info"
        }
        (true, []) => match method {
            Get => {
                r.on_path(Read);
                "index_get"
            }
            Put => {
                r.on_path(Manage);
                body::index_create(body, &mut r.acc)?;
                "index_create"
            }
            Delete => {
                r.on_path(Manage);
                "index_delete"
            }
            Post => return Err(r.unclassified()),
        },

        // Read.
        (_, ["_search"]) => search_like(&mut r, body, "search")?,
        (_, ["_count"]) => search_like(&mut r, body, "count")?,
        (_, ["_validate", "query"]) => search_like(&mut r, body, "validate_query")?,
        (_, ["_field_caps"]) => search_like(&mut r, body, "field_caps")?,
        (true, ["_explain", _]) => search_like(&mut r, body, "explain")?,
        (_, ["_msearch"]) => {
            r.only(&[Get, Post])?;
            ndjson::msearch(body, r.index.as_deref(), &mut r.acc)?;
            "msearch"
        }
        (_, [endpoint @ ("_mget" | "_mtermvectors")]) => {
            r.only(&[Get, Post])?;
            body::multi_get(body, endpoint, r.index.as_deref(), &mut r.acc)?;
            if *endpoint == "_mget" {
                "mget"
            } else {
                "mtermvectors"
            }
        }
        (_, ["_rank_eval"]) => {
            r.only(&[Get, Post])?;
            r.on_path(Read);
            body::rank_eval(body, &mut r.acc)?;
            "rank_eval"
        }
        (_, [search @ ("_search" | "_msearch"), "template"]) => {
            r.only(&[Get, Post])?;
            r.acc.all(Read);
            if *search == "_search" {
                "search_template"
            } else {
                "msearch_template"
            }
        }
        (true, ["_source", _]) => {
            r.only(&[Get])?;
            r.on_path(Read);
            "doc_source"
        }
        (true, ["_termvectors"] | ["_termvectors", _]) => {
            r.only(&[Get, Post])?;
            r.on_path(Read);
            body::termvectors(body, &mut r.acc)?;
            "termvectors"
        }
        (_, ["_mapping" | "_mappings"]) if method == Get => {
            r.on_path(Read);
            "mapping_get"
        }
        (_, ["_mapping" | "_mappings", "field", _]) => {
            r.only(&[Get])?;
            r.on_path(Read);
            "mapping_get"
        }
        (false, ["_search", "scroll"] | ["_search", "scroll", _]) => {
            r.only(&[Get, Post, Delete])?;
            r.acc.all(Read);
            "scroll"
        }
        (true, ["_search", "point_in_time"] | ["_pit"]) => {
            r.only(&[Post])?;
            r.on_path(Read);
            "pit_create"
        }
        (false, ["_search", "point_in_time"] | ["_search", "point_in_time", "_all"] | ["_pit"]) => {
            r.only(&[Get, Delete])?;
            r.acc.all(Read);
            "pit"
        }

        // Documents.
        (true, ["_doc", _]) => match method {
            Get => {
                r.on_path(Read);
                "doc_get"
            }
            Put | Post => {
                r.on_path(Write);
                "doc_index"
            }
            Delete => {
                r.on_path(Write);
                "doc_delete"
            }
        },
        (true, ["_doc"]) => {
            r.only(&[Post])?;
            r.on_path(Write);
            "doc_index"
        }
        (true, ["_create", _]) => {
            r.only(&[Put, Post])?;
            r.on_path(Write);
            "doc_create"
        }
        (true, ["_update", _]) => {
            r.only(&[Post])?;
            r.on_path(Write);
            "doc_update"
        }
        (_, ["_bulk"]) => {
            r.only(&[Post, Put])?;
            ndjson::bulk(body, r.index.as_deref(), &mut r.acc)?;
            "bulk"
        }
        (true, [by_query @ ("_delete_by_query" | "_update_by_query")]) => {
            r.only(&[Post])?;
            r.on_path(Write);
            body::query(body, &mut r.acc)?;
            if *by_query == "_delete_by_query" {
                "delete_by_query"
            } else {
                "update_by_query"
            }
        }
        (false, ["_reindex"]) => {
            r.only(&[Post])?;
            body::reindex(body, &mut r.acc)?;
            "reindex"
        }

        // Index management and monitoring.
        (_, ["_mapping" | "_mappings"]) if has_index => {
            r.only(&[Put, Post])?;
            r.on_path(Manage);
            "mapping_put"
        }
        (_, ["_settings"]) if method == Put => {
            r.on_path(Manage);
            "settings_put"
        }
        (_, ["_settings"] | ["_settings", _]) => simple(&mut r, &[Get], Monitor, "settings_get")?,
        (_, ["_refresh"]) => simple(&mut r, &[Get, Post], Manage, "refresh")?,
        (_, ["_flush"]) => simple(&mut r, &[Get, Post], Manage, "flush")?,
        (_, ["_forcemerge"]) => simple(&mut r, &[Post], Manage, "forcemerge")?,
        (_, ["_cache", "clear"]) => simple(&mut r, &[Post], Manage, "cache_clear")?,
        (true, ["_open"]) => simple(&mut r, &[Post], Manage, "open")?,
        (true, ["_close"]) => simple(&mut r, &[Post], Manage, "close")?,
        (_, ["_stats"] | ["_stats", _]) => simple(&mut r, &[Get], Monitor, "stats")?,
        (_, ["_segments"]) => simple(&mut r, &[Get], Monitor, "segments")?,
        (_, ["_recovery"]) => simple(&mut r, &[Get], Monitor, "recovery")?,
        (false, ["_aliases"]) if method == Post => {
            body::aliases(body, &mut r.acc)?;
            "aliases"
        }
        (_, ["_alias" | "_aliases"] | ["_alias" | "_aliases", _]) => {
            alias(&mut r, param(1), query, body)?
        }

        // Cluster.
        (false, ["_cluster", "health"]) => {
            r.only(&[Get])?;
            r.acc.cluster(Monitor);
            "cluster_health"
        }
        (false, ["_cluster", "health", _]) => {
            r.only(&[Get])?;
            r.acc.expr(Monitor, param(2).unwrap_or_default())?;
            "cluster_health"
        }
        (false, ["_cluster", "stats", ..]) if method == Get => {
            cluster(&mut r, Monitor, "cluster_stats")
        }
        (false, ["_cluster", "state", ..]) if method == Get => {
            cluster(&mut r, Monitor, "cluster_state")
        }
        (false, ["_cluster", "settings"]) if method == Get => {
            cluster(&mut r, Monitor, "cluster_settings_get")
        }
        (false, ["_cluster", "settings"]) if method == Put => {
            cluster(&mut r, Admin, "cluster_settings_put")
        }
        (false, ["_cluster", ..]) => cluster(&mut r, Admin, "cluster_admin"),
        (false, ["_nodes", ..]) if method == Get => cluster(&mut r, Monitor, "nodes"),
        (false, ["_nodes", ..]) => cluster(&mut r, Admin, "nodes_admin"),
        (false, ["_cat", what @ ..]) => {
            r.only(&[Get])?;
            match what {
                [] | [_] | [_, _] => {}
                _ => return Err(r.unclassified()),
            }
            match what.first() {
                Some(kind) if CAT_INDEXED.contains(kind) => {
                    r.acc.expr(Monitor, param(2).unwrap_or_default())?;
                }
                _ => r.acc.cluster(Monitor),
            }
            "cat"
        }
        (false, [prefix, ..]) => match ADMIN_PREFIXES.iter().find(|(p, _)| p == prefix) {
            Some((_, endpoint)) => cluster(&mut r, Admin, endpoint),
            None => return Err(r.unclassified()),
        },
        _ => return Err(r.unclassified()),
    };
    Ok((endpoint, r.acc))
}

fn unknown(req: &Request<'_>) -> Error {
    invalid(
        Reason::Unclassified,
        format!("http method {} is not supported", quote(req.method)),
    )
}

/// An endpoint whose only access is `action` on the path's indices (or `*`).
fn simple(
    r: &mut Route<'_>,
    methods: &[Method],
    action: Action,
    endpoint: &'static str,
) -> Result<&'static str> {
    r.only(methods)?;
    r.on_path(action);
    Ok(endpoint)
}

/// A search-shaped endpoint: read on the path, plus whatever lookups the body makes.
fn search_like(r: &mut Route<'_>, body: &[u8], endpoint: &'static str) -> Result<&'static str> {
    r.only(&[Get, Post])?;
    r.on_path(Read);
    body::query(body, &mut r.acc)?;
    Ok(endpoint)
}

fn cluster(r: &mut Route<'_>, action: Action, endpoint: &'static str) -> &'static str {
    r.acc.cluster(action);
    endpoint
}

/// `[/{index}]/_alias[/{name}]` (and `_aliases`) for every method.
fn alias(
    r: &mut Route<'_>,
    name: Option<&str>,
    query: &Query,
    body: &[u8],
) -> Result<&'static str> {
    match r.method {
        Get => {
            match (&r.index, name) {
                (None, Some(name)) => r.acc.expr(Read, name)?,
                _ => r.on_path(Read),
            }
            Ok("alias_get")
        }
        Put | Post => {
            // OpenSearch reads the path's `{name}` (or else `?name=`), then lets the body's
            // `index` and `alias` replace them; we take the union.
            let from_body = body::alias_put(body, &mut r.acc)?;
            let mut named = false;
            if let Some(name) = name.or(query.name.as_deref()) {
                r.acc.expr(Manage, name)?;
                named = true;
            }
            if let Some(alias) = &from_body.alias {
                r.acc.expr(Manage, alias)?;
                named = true;
            }
            if !named {
                return Err(invalid(
                    Reason::BadBody,
                    "the request names no alias".to_owned(),
                ));
            }
            match (&r.index, &from_body.index) {
                (None, Some(index)) => r.acc.expr(Manage, index)?,
                (Some(_), Some(index)) => {
                    r.on_path(Manage);
                    r.acc.expr(Manage, index)?;
                }
                (_, None) => r.on_path(Manage),
            }
            Ok("alias_put")
        }
        Delete => {
            let Some(name) = name else {
                return Err(r.unclassified());
            };
            r.on_path(Manage);
            r.acc.expr(Manage, name)?;
            Ok("alias_delete")
        }
    }
}
