use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::error::ErrorCode;
use crate::scope::IndexPattern;

/// What a case expects: an endpoint with its accesses, or an error reason.
#[derive(Debug)]
enum Expect {
    Ok(&'static str, &'static [&'static str]),
    Err(&'static str),
}
use Expect::{Err as E, Ok as O};

/// `read:logs` is read on index `logs`; `monitor:@` is monitor on the cluster.
fn access(s: &str) -> Access {
    let (action, resource) = s.split_once(':').unwrap();
    Access {
        action: action.parse().unwrap(),
        resource: match resource {
            "@" => Resource::Cluster,
            index => Resource::Index(index.to_owned()),
        },
    }
}

fn run(method: &str, target: &str, body: &str) -> Result<Classified> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    classify(&Request {
        method,
        path,
        query,
        body: body.as_bytes(),
    })
}

fn check(method: &str, target: &str, body: &str, expect: &Expect) {
    let got = run(method, target, body);
    let case = format!("{method} {target} {body:?}");
    match (expect, got) {
        (O(endpoint, accesses), Ok(c)) => {
            let mut want: Vec<Access> = accesses.iter().map(|a| access(a)).collect();
            want.sort();
            assert_eq!(c.endpoint, *endpoint, "{case}");
            assert_eq!(c.accesses, want, "{case}");
        }
        (E(reason), Err(e)) => {
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{case}");
            assert_eq!(e.reason, *reason, "{case}: {e}");
            assert!(!e.message.ends_with('.'), "{case}: {e}");
            assert!(!e.message.starts_with(char::is_uppercase), "{case}: {e}");
        }
        (want, got) => panic!("{case}: expected {want:?}, got {got:?}"),
    }
}

const LOOKUP: &str =
    r#"{"query":{"terms":{"user":{"index":"secret","id":"1","path":"followers"}}}}"#;

/// (method, path?query, body, expectation)
#[rustfmt::skip]
const CASES: &[(&str, &str, &str, Expect)] = &[
    // Cluster info and monitoring.
    ("GET", "/", "", O("info", &["monitor:@"])),
    ("HEAD", "/", "", O("info", &["monitor:@"])),
    ("POST", "/", "", E("unclassified")),
    ("GET", "/_cluster/health", "", O("cluster_health", &["monitor:@"])),
    ("GET", "/_cluster/health/logs-*,metrics", "", O("cluster_health", &["monitor:logs-*", "monitor:metrics"])),
    ("GET", "/_cluster/health/a/b", "", O("cluster_admin", &["admin:@"])),
    ("GET", "/_cat", "", O("cat", &["monitor:@"])),
    ("GET", "/_cat/indices", "", O("cat", &["monitor:*"])),
    ("GET", "/_cat/indices/logs-*", "", O("cat", &["monitor:logs-*"])),
    ("GET", "/_cat/count/logs", "", O("cat", &["monitor:logs"])),
    ("GET", "/_cat/shards/logs,metrics", "", O("cat", &["monitor:logs", "monitor:metrics"])),
    ("GET", "/_cat/nodes", "", O("cat", &["monitor:@"])),
    ("GET", "/_cat/aliases/secret", "", O("cat", &["monitor:@"])),
    ("GET", "/_cat/indices/LOGS", "", E("bad_index")),
    ("GET", "/_cat/indices/a/b", "", E("unclassified")),
    ("POST", "/_cat/indices", "", E("unclassified")),
    ("GET", "/_stats", "", O("stats", &["monitor:*"])),
    ("GET", "/logs/_stats", "", O("stats", &["monitor:logs"])),
    ("GET", "/logs/_stats/docs,store", "", O("stats", &["monitor:logs"])),
    ("GET", "/logs/_segments", "", O("segments", &["monitor:logs"])),
    ("GET", "/logs/_recovery", "", O("recovery", &["monitor:logs"])),
    ("GET", "/logs/_settings", "", O("settings_get", &["monitor:logs"])),
    ("GET", "/logs/_settings/index.number_*", "", O("settings_get", &["monitor:logs"])),
    ("GET", "/_settings", "", O("settings_get", &["monitor:*"])),
    ("GET", "/_nodes", "", O("nodes", &["monitor:@"])),
    ("GET", "/_nodes/node-1/stats/indices", "", O("nodes", &["monitor:@"])),
    ("POST", "/_nodes/reload_secure_settings", "", O("nodes_admin", &["admin:@"])),
    ("GET", "/_cluster/stats", "", O("cluster_stats", &["monitor:@"])),
    ("GET", "/_cluster/state/metadata/logs", "", O("cluster_state", &["monitor:@"])),
    ("GET", "/_cluster/settings", "", O("cluster_settings_get", &["monitor:@"])),
    ("PUT", "/_cluster/settings", "{}", O("cluster_settings_put", &["admin:@"])),
    ("POST", "/_cluster/reroute", "", O("cluster_admin", &["admin:@"])),
    // Admin.
    ("PUT", "/_snapshot/repo/snap", "", O("snapshot", &["admin:@"])),
    ("GET", "/_tasks", "", O("tasks", &["admin:@"])),
    ("PUT", "/_ingest/pipeline/p", "{}", O("ingest", &["admin:@"])),
    ("POST", "/_scripts/s", "{}", O("scripts", &["admin:@"])),
    ("GET", "/_plugins/_security/api/roles", "", O("plugins", &["admin:@"])),
    ("POST", "/_plugins/_sql?index=x", "", O("plugins", &["admin:@"])),
    ("GET", "/_opendistro/_security/authinfo", "", O("opendistro", &["admin:@"])),
    ("GET", "/_security/user", "", O("security", &["admin:@"])),
    ("PUT", "/_template/t", "{}", O("template", &["admin:@"])),
    ("PUT", "/_index_template/t", "{}", O("index_template", &["admin:@"])),
    ("DELETE", "/_component_template/c", "", O("component_template", &["admin:@"])),
    ("GET", "/logs/_snapshot", "", E("unclassified")),
    // Search and the path grammar.
    ("GET", "/_search", "", O("search", &["read:*"])),
    ("POST", "/logs-*/_search", "{}", O("search", &["read:logs-*"])),
    ("GET", "/logs,metrics/_search", "", O("search", &["read:logs", "read:metrics"])),
    ("GET", "/logs,logs/_search", "", O("search", &["read:logs"])),
    ("GET", "/_all/_search", "", O("search", &["read:*"])),
    ("GET", "/*/_search", "", O("search", &["read:*"])),
    ("GET", "/%5Fall/_search", "", O("search", &["read:*"])),
    ("GET", "/logs-%2A/_search", "", O("search", &["read:logs-*"])),
    ("GET", "/logs%2Cmetrics/_search", "", O("search", &["read:logs", "read:metrics"])),
    ("GET", "/%3Clogs-%7Bnow%2Fd%7D%3E/_search", "", O("search", &["read:logs-*"])),
    ("GET", "/<logs-{now}>/_search", "", O("search", &["read:logs-*"])),
    ("GET", "/<logs-{now/d}>/_search", "", E("bad_index")),
    ("GET", "/%3Clogs-%7Bnow%2Fd%7Byyyy.MM%7C%2B12%3A00%7D%7D%3E/_search", "", O("search", &["read:logs-*"])),
    ("GET", "/%3Cx-%7Bnow%7D-y-%7Bnow%2FM%7D%3E,%3C%7Bnow%7D%3E/_search", "", O("search", &["read:x-*-y-*", "read:*"])),
    ("GET", "/%3Clogs-%7Bnow%2Fd%3E/_search", "", E("bad_index")),
    ("GET", "/%3Clogs-%7D%3E/_search", "", E("bad_index")),
    ("GET", "/%3Clogs-%5C%7B%3E/_search", "", E("bad_index")),
    ("GET", "/%3C%3E/_search", "", E("bad_index")),
    ("GET", "/%3Cother:logs-%7Bnow%7D%3E/_search", "", E("cross_cluster")),
    ("GET", "/logs-*,-logs-secret/_search", "", O("search", &["read:logs-*"])),
    ("GET", "/-logs/_search", "", E("bad_index")),
    ("GET", "/-logs,-metrics/_search", "", E("bad_index")),
    ("GET", "/,/_search", "", O("search", &["read:*"])),
    ("GET", "/other:logs/_search", "", E("cross_cluster")),
    ("GET", "/other%3Alogs/_search", "", E("cross_cluster")),
    ("GET", "/*:*/_search", "", E("cross_cluster")),
    ("GET", "/LOGS/_search", "", E("bad_index")),
    ("GET", "/logs%20x/_search", "", E("bad_index")),
    ("GET", "/_logs,a/_search", "", E("bad_index")),
    ("GET", "/_all,logs/_search", "", O("search", &["read:*", "read:logs"])),
    ("GET", "/_l*/_search", "", E("bad_index")),
    ("GET", "/a,_logs/_search", "", E("bad_index")),
    ("GET", "/%5Fsearch", "", E("bad_index")),
    ("GET", "/logs%2Fx/_search", "", E("bad_path")),
    ("GET", "//_search", "", E("bad_path")),
    ("GET", "/logs//_search", "", E("bad_path")),
    ("GET", "/logs/_search//", "", E("bad_path")),
    ("GET", "/./_search", "", E("bad_path")),
    ("GET", "/%2E%2E/_search", "", E("bad_path")),
    ("GET", "logs/_search", "", E("bad_path")),
    ("GET", "", "", E("bad_path")),
    ("GET", "/logs%zz/_search", "", E("bad_path")),
    ("GET", "/logs%2/_search", "", E("bad_path")),
    ("GET", "/logs%C3/_search", "", E("bad_path")),
    ("GET", "/lögs/_search", "", E("bad_path")),
    ("GET", "/logs x/_search", "", E("bad_path")),
    ("GET", "/logs/_search/", "", O("search", &["read:logs"])),
    ("GET", "/logs/", "", O("index_get", &["read:logs"])),
    ("GET", "/logs/%5Fsearch", "", E("unclassified")),
    // The query string.
    ("GET", "/_search?q=user:kimchy&size=10", "", O("search", &["read:*"])),
    ("GET", "/logs/_search?index=secret", "", E("bad_query")),
    ("GET", "/_search?ind%65x=secret", "", E("bad_query")),
    ("GET", "/_search?a=1;index", "", E("bad_query")),
    ("GET", "/_search?=index", "", E("bad_query")),
    ("GET", "/_search?#&index=secret", "", O("search", &["read:*"])),
    ("GET", "/_search?q=%zz", "", E("bad_query")),
    ("GET", "/_search?q=caf\u{e9}", "", E("bad_query")),
    // Lookups from search bodies into other indices.
    ("GET", "/logs/_search", LOOKUP, O("search", &["read:logs", "read:secret"])),
    ("POST", "/logs/_count", LOOKUP, O("count", &["read:logs", "read:secret"])),
    ("GET", "/logs/_search?source=%7B%22query%22%3A%7B%22terms%22%3A%7B%22u%22%3A%7B%22index%22%3A%22secret%22%2C%22id%22%3A%221%22%7D%7D%7D%7D", "", O("search", &["read:logs", "read:secret"])),
    ("GET", "/logs/_search", r#"{"query":{"terms":{"u":{"index":7,"id":"1","path":"p"}}}}"#, E("bad_body")),
    ("GET", "/logs/_search", r#"{"aggs":{"a":{"terms":{"field":"f","order":{"index":"asc"}}}}}"#, O("search", &["read:logs"])),
    ("GET", "/logs/_search", r#"{"query":{"more_like_this":{"like":[{"_index":"secret","_id":"1"},"text"]}}}"#, O("search", &["read:logs", "read:secret"])),
    ("GET", "/logs/_search", r#"{"query":{"more_like_this":{"unlike":{"_index":"other","_id":"1"}}}}"#, O("search", &["read:logs", "read:other"])),
    ("GET", "/logs/_search", r#"{"query":{"bool":{"filter":[{"geo_shape":{"loc":{"indexed_shape":{"id":"x","path":"p"}}}}]}}}"#, O("search", &["read:logs", "read:shapes"])),
    ("GET", "/logs/_search", r#"{"query":{"geo_shape":{"loc":{"indexed_shape":{"index":"geo","id":"x"}}}}}"#, O("search", &["read:logs", "read:geo"])),
    ("GET", "/logs/_search", r#"{"query":{"percolate":{"field":"q","index":"docs","id":"1"}}}"#, O("search", &["read:docs", "read:logs"])),
    ("GET", "/logs/_search", r#"{"query":{"wrapper":{"query":"eyJtYXRjaF9hbGwiOnt9fQ=="}}}"#, O("search", &["read:*", "read:logs"])),
    ("GET", "/logs/_search", r#"{"suggest":{"s":{"phrase":{"field":"f","collate":{"query":{"source":"{}"}}}}}}"#, O("search", &["read:*", "read:logs"])),
    ("GET", "/logs/_search", r#"{"query":{"terms":{"u":{"index":"BAD","id":"1"}}}}"#, E("bad_index")),
    ("GET", "/logs/_search", "{not json", E("bad_body")),
    ("GET", "/logs/_search", r#"{"query":{},"query":{}}"#, E("bad_body")),
    ("GET", "/logs/_search", "  \r\n", O("search", &["read:logs"])),
    // Multi search.
    ("GET", "/logs/_msearch", "{\"index\":\"a\"}\n{}\n{\"index\":[\"b\",\"c,d\"]}\n{}\n{}\n{}\n", O("msearch", &["read:a", "read:b", "read:c", "read:d", "read:logs"])),
    ("GET", "/logs/_msearch", "{\"index\":\"a\"}\n{}\n", O("msearch", &["read:a"])),
    ("POST", "/_msearch", "{}\n{}\n", O("msearch", &["read:*"])),
    ("POST", "/_msearch", "\r\n{}\r\n", O("msearch", &["read:*"])),
    ("POST", "/logs/_msearch", "{\"index\":\"\"}\n{}\n", O("msearch", &["read:*"])),
    ("POST", "/logs/_msearch", "{\"index\":[]}\n{}\n", O("msearch", &["read:*"])),
    ("POST", "/_msearch", "{\"indices\":\"x\"}\n{}", O("msearch", &["read:x"])),
    ("POST", "/_msearch", "{\"index\":\"x\"}\n{}\n\n", O("msearch", &["read:x"])),
    ("POST", "/_msearch", "{\"index\":\"x\"}\n{}\n{\"index\":\"y\"}\n", E("bad_body")),
    ("POST", "/_msearch", "\n{\"index\":\"x\"}\n{}\n", E("bad_body")),
    ("POST", "/_msearch", "", E("missing_body")),
    ("POST", "/_msearch", "{\"index\":5}\n{}\n", E("bad_body")),
    ("POST", "/_msearch", "{\"index\":null}\n{}\n", E("bad_body")),
    ("POST", "/_msearch", "{\"index\":[\"a\",1]}\n{}\n", E("bad_body")),
    ("POST", "/_msearch", "[]\n{}\n", E("bad_body")),
    ("POST", "/_msearch", "{\"index\":\"A\"}\n{}\n", E("bad_index")),
    ("POST", "/_msearch", "{\"index\":\"a\",\"index\":\"b\"}\n{}\n", E("bad_body")),
    ("POST", "/logs/_msearch", "{\"index\":\"a\"}\n{\"query\":{\"terms\":{\"u\":{\"index\":\"secret\",\"id\":\"1\"}}}}\n", O("msearch", &["read:a", "read:secret"])),
    ("PUT", "/_msearch", "{}\n{}\n", E("unclassified")),
    // Multi get and term vectors.
    ("GET", "/_mget", r#"{"docs":[{"_index":"a","_id":"1"},{"_index":"b","_id":"2"}]}"#, O("mget", &["read:a", "read:b"])),
    ("GET", "/logs/_mget", r#"{"docs":[{"_id":"1"},{"_index":"a","_id":"2"}]}"#, O("mget", &["read:a", "read:logs"])),
    ("GET", "/logs/_mget", r#"{"docs":[{"_index":"a","_id":"2"}]}"#, O("mget", &["read:a"])),
    ("GET", "/logs/_mget", r#"{"docs":[{"_index":null,"_id":"2"}]}"#, O("mget", &["read:logs"])),
    ("GET", "/_mget", r#"{"docs":[{"_id":"1"}]}"#, E("missing_index")),
    ("GET", "/logs/_mget", r#"{"ids":["1","2"]}"#, O("mget", &["read:logs"])),
    ("GET", "/_mget", r#"{"ids":["1","2"]}"#, E("missing_index")),
    ("GET", "/_mget", "", E("missing_body")),
    // Nothing to get: OpenSearch refuses it, and a request needing no access would pass any token.
    ("GET", "/_mget", r#"{"docs":[]}"#, E("missing_index")),
    ("GET", "/logs/_mget", "", O("mget", &["read:logs"])),
    ("GET", "/_mget", r#"{"docs":[{"_index":5,"_id":"1"}]}"#, E("bad_body")),
    ("GET", "/_mget", r#"{"docs":[{"_index":["secret"],"_id":"1"}]}"#, E("bad_body")),
    ("GET", "/logs/_mget", r#"{"docs":[{"_id":"1","x":{"_index":"secret"}}]}"#, E("bad_body")),
    ("GET", "/_mget", r#"{"docs":[{"_index":"a","_id":"1","_source":{"includes":["x"]},"stored_fields":["f"]}]}"#, O("mget", &["read:a"])),
    ("GET", "/_mget", r#"{"docs":{"_index":"a"}}"#, E("bad_body")),
    ("GET", "/_mget", r#"{"docs":["a"]}"#, E("bad_body")),
    ("GET", "/_mtermvectors", r#"{"docs":[{"_index":"a","_id":"1"}]}"#, O("mtermvectors", &["read:a"])),
    ("GET", "/logs/_mtermvectors", r#"{"parameters":{"_index":"secret"},"ids":["1"]}"#, O("mtermvectors", &["read:logs", "read:secret"])),
    ("GET", "/_mtermvectors", r#"{"parameters":{"_index":"secret"},"ids":["1"]}"#, O("mtermvectors", &["read:secret"])),
    // Single documents.
    ("GET", "/logs/_doc/1", "", O("doc_get", &["read:logs"])),
    ("HEAD", "/logs/_doc/1", "", O("doc_get", &["read:logs"])),
    ("GET", "/logs/_doc/%2F..%2F", "", E("bad_path")),
    ("GET", "/logs/_doc/_search", "", O("doc_get", &["read:logs"])),
    ("GET", "/logs/_source/1", "", O("doc_source", &["read:logs"])),
    ("GET", "/logs/_explain/1", LOOKUP, O("explain", &["read:logs", "read:secret"])),
    ("GET", "/logs/_termvectors", "", O("termvectors", &["read:logs"])),
    ("GET", "/logs/_termvectors/1", r#"{"_index":"secret"}"#, O("termvectors", &["read:logs", "read:secret"])),
    ("GET", "/logs/_termvectors/1", r#"{"_index":1}"#, E("bad_body")),
    ("PUT", "/logs/_doc/1", r#"{"a":1}"#, O("doc_index", &["write:logs"])),
    ("POST", "/logs/_doc/1", r#"{"a":1}"#, O("doc_index", &["write:logs"])),
    ("POST", "/logs/_doc", r#"{"a":1}"#, O("doc_index", &["write:logs"])),
    ("PUT", "/logs/_doc", r#"{"a":1}"#, E("unclassified")),
    ("DELETE", "/logs/_doc/1", "", O("doc_delete", &["write:logs"])),
    ("PUT", "/logs/_create/1", "{}", O("doc_create", &["write:logs"])),
    ("POST", "/logs/_update/1", r#"{"doc":{}}"#, O("doc_update", &["write:logs"])),
    ("GET", "/logs/_update/1", "", E("unclassified")),
    ("PUT", "/_doc/1", "{}", E("unclassified")),
    ("GET", "/logs/_doc/1/2", "", E("unclassified")),
    ("PUT", "/%3Clogs-%7Bnow%2Fd%7D%3E/_doc/1", "{}", O("doc_index", &["write:logs-*"])),
    // Other reads.
    ("GET", "/logs/_validate/query", LOOKUP, O("validate_query", &["read:logs", "read:secret"])),
    ("GET", "/_validate/query", "", O("validate_query", &["read:*"])),
    ("GET", "/logs/_field_caps?fields=*", "", O("field_caps", &["read:logs"])),
    ("POST", "/logs/_field_caps", r#"{"index_filter":{"terms":{"u":{"index":"secret","path":"p"}}}}"#, O("field_caps", &["read:logs", "read:secret"])),
    ("POST", "/logs/_rank_eval", r#"{"requests":[]}"#, O("rank_eval", &["read:logs"])),
    ("POST", "/logs/_rank_eval", r#"{"templates":[],"requests":[]}"#, O("rank_eval", &["read:*", "read:logs"])),
    ("GET", "/logs/_search/template", r#"{"id":"t"}"#, O("search_template", &["read:*"])),
    ("POST", "/logs/_msearch/template", "{}\n{\"id\":\"t\"}\n", O("msearch_template", &["read:*"])),
    ("GET", "/logs", "", O("index_get", &["read:logs"])),
    ("HEAD", "/logs,metrics", "", O("index_get", &["read:logs", "read:metrics"])),
    ("GET", "/logs/_mapping", "", O("mapping_get", &["read:logs"])),
    ("GET", "/logs/_mappings", "", O("mapping_get", &["read:logs"])),
    ("GET", "/_mapping", "", O("mapping_get", &["read:*"])),
    ("GET", "/_mapping/field/a,b", "", O("mapping_get", &["read:*"])),
    ("GET", "/logs/_mapping/field/a", "", O("mapping_get", &["read:logs"])),
    ("GET", "/_mapping/field/a?index=secret", "", E("bad_query")),
    ("GET", "/logs/_alias", "", O("alias_get", &["read:logs"])),
    ("GET", "/logs/_alias/x", "", O("alias_get", &["read:logs"])),
    ("GET", "/_alias/x,y*", "", O("alias_get", &["read:x", "read:y*"])),
    ("HEAD", "/_alias/x", "", O("alias_get", &["read:x"])),
    ("GET", "/_alias", "", O("alias_get", &["read:*"])),
    ("GET", "/_aliases", "", O("alias_get", &["read:*"])),
    ("GET", "/_search/scroll", r#"{"scroll_id":"x"}"#, O("scroll", &["read:*"])),
    ("POST", "/_search/scroll/abc", "", O("scroll", &["read:*"])),
    ("DELETE", "/_search/scroll", "", O("scroll", &["read:*"])),
    ("POST", "/logs/_search/scroll", "", E("unclassified")),
    ("PUT", "/_search/scroll", "", E("unclassified")),
    ("POST", "/logs/_search/point_in_time?keep_alive=1m", "", O("pit_create", &["read:logs"])),
    ("POST", "/logs/_pit", "", O("pit_create", &["read:logs"])),
    ("DELETE", "/_search/point_in_time", r#"{"pit_id":["x"]}"#, O("pit", &["read:*"])),
    ("GET", "/_search/point_in_time/_all", "", O("pit", &["read:*"])),
    ("DELETE", "/_pit", "", O("pit", &["read:*"])),
    ("POST", "/_search/point_in_time", "", E("unclassified")),
    // Bulk.
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"f\":1}\n{\"create\":{\"_index\":\"b\"}}\n{}\n{\"update\":{\"_index\":\"c\",\"_id\":\"1\"}}\n{\"doc\":{}}\n{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n", O("bulk", &["write:a", "write:b", "write:c", "write:secret"])),
    ("POST", "/logs/_bulk", "{\"index\":{}}\n{}\n{\"delete\":{\"_index\":\"a\",\"_id\":\"1\"}}\n", O("bulk", &["write:a", "write:logs"])),
    ("POST", "/logs/_bulk", "{\"index\":{\"_index\":\"a\"}}\n{}\n", O("bulk", &["write:a"])),
    ("PUT", "/logs/_bulk", "{\"delete\":{\"_id\":\"1\"}}", O("bulk", &["write:logs"])),
    ("POST", "/_bulk", "{\"index\":{\"_id\":\"1\"}}\n{}\n", E("missing_index")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":null}}\n{}\n", E("missing_index")),
    ("POST", "/logs/_bulk", "{\"index\":{\"_index\":null}}\n{}\n", O("bulk", &["write:logs"])),
    ("POST", "/_bulk", "{\"upsert\":{\"_index\":\"a\"}}\n{}\n", E("bad_body")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\"},\"delete\":{\"_index\":\"b\"}}\n{}\n", E("bad_body")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\"}}\n", E("bad_body")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\"}}", E("bad_body")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\"}}\n{}", O("bulk", &["write:a"])),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\"}}\r\n{}\r\n", O("bulk", &["write:a"])),
    ("POST", "/_bulk", "\n\n{\"index\":{\"_index\":\"a\"}}\n\n{\"index\":{\"_index\":\"b\"}}\n{}\n\n", O("bulk", &["write:a", "write:b"])),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\"}}\n{\"delete\":{\"_index\":\"secret\"}}\n", O("bulk", &["write:a"])),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"lo\\u0067s\"}}\n{}\n", O("bulk", &["write:logs"])),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"a\",\"_index\":\"b\"}}\n{}\n", E("bad_body")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":5}}\n{}\n", E("bad_body")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"LOGS\"}}\n{}\n", E("bad_index")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"r:logs\"}}\n{}\n", E("cross_cluster")),
    ("POST", "/_bulk", "{\"index\":{\"_index\":\"<logs-{now/d}>\"}}\n{}\n", O("bulk", &["write:logs-*"])),
    ("POST", "/_bulk", "{\"index\":null}\n{}\n", E("bad_body")),
    ("POST", "/_bulk", "{\"index\":{}\n{}\n", E("bad_body")),
    ("POST", "/_bulk", "", E("missing_body")),
    ("POST", "/_bulk", "\n \n", E("missing_body")),
    ("GET", "/_bulk", "{\"delete\":{\"_index\":\"a\"}}\n", E("unclassified")),
    // By query and reindex.
    ("POST", "/logs/_delete_by_query", r#"{"query":{"match_all":{}}}"#, O("delete_by_query", &["write:logs"])),
    ("POST", "/logs/_update_by_query", LOOKUP, O("update_by_query", &["read:secret", "write:logs"])),
    ("POST", "/_delete_by_query", "{}", E("unclassified")),
    ("POST", "/_reindex", r#"{"source":{"index":"src"},"dest":{"index":"dst"}}"#, O("reindex", &["read:src", "write:dst"])),
    ("POST", "/_reindex", r#"{"source":{"index":["a","b,c"],"query":{"terms":{"u":{"index":"secret","id":"1"}}}},"dest":{"index":"dst"}}"#, O("reindex", &["read:a", "read:b", "read:c", "read:secret", "write:dst"])),
    ("POST", "/_reindex", r#"{"source":{"index":"src"},"dest":{"index":"dst"},"script":{"source":"ctx._index='x'"}}"#, O("reindex", &["read:src", "write:*", "write:dst"])),
    ("POST", "/_reindex", r#"{"source":{"index":"src","remote":{"host":"http://x:9200"}},"dest":{"index":"dst"}}"#, E("cross_cluster")),
    ("POST", "/_reindex", r#"{"source":{"index":"src"}}"#, E("bad_body")),
    ("POST", "/_reindex", r#"{"source":{},"dest":{"index":"dst"}}"#, E("bad_body")),
    ("POST", "/_reindex", r#"{"source":{"index":null},"dest":{"index":"dst"}}"#, E("bad_body")),
    ("POST", "/_reindex", r#"{"source":{"index":"src"},"dest":{"index":7}}"#, E("bad_body")),
    ("POST", "/_reindex", "", E("missing_body")),
    ("POST", "/logs/_reindex", "{}", E("unclassified")),
    // Index management.
    ("PUT", "/logs", "", O("index_create", &["manage:logs"])),
    ("PUT", "/logs", r#"{"settings":{},"aliases":{"current":{},"<a-{now}>":{"filter":{"terms":{"u":{"index":"secret","id":"1"}}}}}}"#, O("index_create", &["manage:a-*", "manage:current", "manage:logs", "read:secret"])),
    ("PUT", "/logs", r#"{"mappings":{"properties":{"terms":{"properties":{"id":{"type":"keyword"},"index":{"type":"keyword"}}}}}}"#, O("index_create", &["manage:logs"])),
    ("PUT", "/logs", r#"{"aliases":["x"]}"#, E("bad_body")),
    ("PUT", "/logs", "{", E("bad_body")),
    ("DELETE", "/logs", "", O("index_delete", &["manage:logs"])),
    ("DELETE", "/_all", "", O("index_delete", &["manage:*"])),
    ("POST", "/logs", "{}", E("unclassified")),
    ("PUT", "/logs/_mapping", "{}", O("mapping_put", &["manage:logs"])),
    ("POST", "/logs/_mappings", "{}", O("mapping_put", &["manage:logs"])),
    ("PUT", "/_mapping", "{}", E("unclassified")),
    ("PUT", "/logs/_settings", "{}", O("settings_put", &["manage:logs"])),
    ("PUT", "/_settings", "{}", O("settings_put", &["manage:*"])),
    ("POST", "/logs/_refresh", "", O("refresh", &["manage:logs"])),
    ("GET", "/_refresh", "", O("refresh", &["manage:*"])),
    ("POST", "/logs/_flush", "", O("flush", &["manage:logs"])),
    ("POST", "/logs/_forcemerge", "", O("forcemerge", &["manage:logs"])),
    ("GET", "/logs/_forcemerge", "", E("unclassified")),
    ("POST", "/logs/_cache/clear", "", O("cache_clear", &["manage:logs"])),
    ("POST", "/logs/_open", "", O("open", &["manage:logs"])),
    ("POST", "/logs/_close", "", O("close", &["manage:logs"])),
    ("POST", "/_open", "", E("unclassified")),
    // Aliases.
    ("PUT", "/logs/_alias/current", "", O("alias_put", &["manage:current", "manage:logs"])),
    ("POST", "/logs/_aliases/current", "", O("alias_put", &["manage:current", "manage:logs"])),
    ("PUT", "/logs/_alias/current", r#"{"index":"secret"}"#, O("alias_put", &["manage:current", "manage:logs", "manage:secret"])),
    ("PUT", "/logs/_alias", r#"{"alias":"current","filter":{"term":{"a":1}},"is_write_index":true}"#, O("alias_put", &["manage:current", "manage:logs"])),
    ("PUT", "/_alias", r#"{"index":"logs","alias":"current"}"#, O("alias_put", &["manage:current", "manage:logs"])),
    ("PUT", "/_alias/current", "", O("alias_put", &["manage:*", "manage:current"])),
    ("PUT", "/logs/_alias?name=current", "", O("alias_put", &["manage:current", "manage:logs"])),
    ("PUT", "/logs/_alias", "", E("bad_body")),
    ("PUT", "/logs/_alias/current", r#"{"x":{"index":"secret"}}"#, E("bad_body")),
    ("PUT", "/logs/_alias/current", r#"{"index":["secret"]}"#, E("bad_body")),
    ("PUT", "/logs/_alias/current", r#"{"alias":5}"#, E("bad_body")),
    ("DELETE", "/logs/_alias/current", "", O("alias_delete", &["manage:current", "manage:logs"])),
    ("DELETE", "/logs/_aliases/a,b", "", O("alias_delete", &["manage:a", "manage:b", "manage:logs"])),
    ("DELETE", "/logs/_alias", "", E("unclassified")),
    ("POST", "/_aliases", r#"{"actions":[{"add":{"index":"logs-1","alias":"logs"}},{"remove":{"indices":["logs-0"],"aliases":["logs","old"]}},{"remove_index":{"index":"tmp"}}]}"#, O("aliases", &["manage:logs", "manage:logs-0", "manage:logs-1", "manage:old", "manage:tmp"])),
    ("POST", "/_aliases", r#"{"actions":[{"add":{"index":"logs-1","alias":"logs","filter":{"terms":{"u":{"index":"secret","id":"1"}}}}}]}"#, O("aliases", &["manage:logs", "manage:logs-1", "read:secret"])),
    ("POST", "/_aliases", r#"{"actions":[{"rename":{"index":"a","alias":"b"}}]}"#, E("bad_body")),
    ("POST", "/_aliases", r#"{"actions":[{"add":{"alias":"b"}}]}"#, E("missing_index")),
    ("POST", "/_aliases", r#"{"actions":[{"add":{"index":"a","alias":"b"},"remove":{"index":"c","alias":"d"}}]}"#, E("bad_body")),
    ("POST", "/_aliases", r#"{"actions":{}}"#, E("bad_body")),
    ("POST", "/_aliases", "", E("missing_body")),
    ("POST", "/_aliases", r#"{"actions":[]}"#, E("missing_index")),
    // Unknown things.
    ("PATCH", "/logs", "", E("unclassified")),
    ("get", "/logs", "", E("unclassified")),
    ("GET", "/_unknown", "", E("unclassified")),
    ("GET", "/logs/_unknown", "", E("unclassified")),
    ("POST", "/logs/_shrink/small", "", E("unclassified")),
    ("POST", "/_data_stream/x", "", E("unclassified")),
];

#[test]
fn table() {
    for (method, target, body, expect) in CASES {
        check(method, target, body, expect);
    }
}

#[test]
fn every_endpoint_is_covered_by_the_table_and_listed_once() {
    let covered: BTreeSet<&str> = CASES
        .iter()
        .filter_map(|(_, _, _, e)| match e {
            O(endpoint, _) => Some(*endpoint),
            E(_) => None,
        })
        .collect();
    let listed: BTreeSet<&str> = ENDPOINTS.iter().copied().collect();
    assert_eq!(listed.len(), ENDPOINTS.len(), "duplicate endpoint names");
    assert_eq!(covered, listed);
}

#[test]
fn classified_round_trips_through_serde() {
    let c = run("POST", "/_bulk", "{\"delete\":{\"_index\":\"a\"}}\n").unwrap();
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "endpoint": "bulk",
            "accesses": [{"action": "write", "resource": {"index": "a"}}]
        })
    );
    let back: Classified = serde_json::from_value(json).unwrap();
    assert_eq!(back, c);
    let cluster = serde_json::to_value(run("GET", "/", "").unwrap()).unwrap();
    assert_eq!(cluster["accesses"][0]["resource"], "cluster");
    let unknown = serde_json::json!({"endpoint": "nope", "accesses": []});
    assert!(serde_json::from_value::<Classified>(unknown).is_err());
}

#[test]
fn deeply_nested_bodies_are_rejected_not_overflowed() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = run("GET", "/logs/_search", &deep).unwrap_err();
    assert_eq!(e.reason, "bad_body");
    let deep_meta = format!(
        "{{\"index\":{{\"_source\":{}{}}}}}\n{{}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // Skipped metadata is ignored without recursion.
    let c = run("POST", "/logs/_bulk", &deep_meta).unwrap();
    assert_eq!(c.accesses, vec![access("write:logs")]);
}

#[test]
fn request_debug_hides_the_body() {
    let req = Request {
        method: "POST",
        path: "/_bulk",
        query: None,
        body: b"secret document",
    };
    let debug = format!("{req:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("body_len: 15"), "{debug}");
}

#[test]
fn a_large_bulk_body_with_many_indices_is_exact() {
    let mut body = String::new();
    for i in 0..2000 {
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"idx-{}\"}}}}\n{{\"n\":{i}}}\n",
            i % 300
        ));
    }
    let c = run("POST", "/_bulk", &body).unwrap();
    assert_eq!(c.accesses.len(), 300);
    assert!(c.accesses.iter().all(|a| a.action == Action::Write));
}

const ACTIONS: [&str; 4] = ["index", "create", "update", "delete"];

/// Builds a bulk body from (action, index) pairs; `None` leaves `_index` out.
fn bulk_body(items: &[(usize, Option<String>)], crlf: bool, trailing_newline: bool) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut lines = Vec::new();
    for (i, (action, index)) in items.iter().enumerate() {
        let action = ACTIONS[*action];
        let meta = match index {
            Some(index) => format!(r#"{{"_index":"{index}","_id":"{i}"}}"#),
            None => format!(r#"{{"_id":"{i}"}}"#),
        };
        lines.push(format!(r#"{{"{action}":{meta}}}"#));
        if action != "delete" {
            // Sources that look like actions must not be read as actions.
            lines.push(r#"{"delete":{"_index":"must-not-appear"}}"#.to_owned());
        }
    }
    let mut body = lines.join(nl);
    if trailing_newline {
        body.push_str(nl);
    }
    body
}

fn arb_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("_search".to_owned()),
        Just("_bulk".to_owned()),
        Just("_msearch".to_owned()),
        Just("_mget".to_owned()),
        Just("_doc".to_owned()),
        Just("_alias".to_owned()),
        Just("_aliases".to_owned()),
        Just("_cat".to_owned()),
        Just("_cluster".to_owned()),
        Just("_all".to_owned()),
        Just("*".to_owned()),
        Just("%3Clogs-%7Bnow%2Fd%7D%3E".to_owned()),
        Just("%2F".to_owned()),
        Just("%".to_owned()),
        Just("..".to_owned()),
        "[a-z][a-z0-9*,-]{0,8}",
        "[a-zA-Z0-9%_.:<>{}\\-]{0,6}",
    ]
}

fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just("{\"index\":{\"_index\":\"a\"}}".to_owned()),
        Just("{\"delete\":{}}".to_owned()),
        Just("{\"index\":[\"b\",\"c\"]}".to_owned()),
        Just("{}".to_owned()),
        Just("{\"docs\":[{\"_index\":\"d\"}],\"ids\":[1]}".to_owned()),
        Just("{\"actions\":[{\"add\":{\"index\":\"e\",\"alias\":\"f\"}}]}".to_owned()),
        Just("{\"source\":{\"index\":\"g\"},\"dest\":{\"index\":\"h\"}}".to_owned()),
        Just(LOOKUP.to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        "\\PC{0,12}",
    ];
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        prop::collection::vec(fragment, 0..8).prop_map(|f| f.join("\n").into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Classification never panics, and every index it names is a valid pattern.
    #[test]
    fn never_panics_and_names_only_valid_patterns(
        method in prop_oneof![
            Just("GET".to_owned()),
            Just("POST".to_owned()),
            Just("PUT".to_owned()),
            Just("DELETE".to_owned()),
            Just("HEAD".to_owned()),
            "\\PC{0,6}",
        ],
        segments in prop::collection::vec(arb_segment(), 0..5),
        trailing in any::<bool>(),
        query in prop::option::of("[a-z=&;%+#]{0,12}"),
        body in arb_body(),
    ) {
        let mut path = format!("/{}", segments.join("/"));
        if trailing {
            path.push('/');
        }
        let req = Request { method: &method, path: &path, query: query.as_deref(), body: &body };
        match classify(&req) {
            Ok(c) => {
                prop_assert!(ENDPOINTS.contains(&c.endpoint));
                prop_assert!(!c.accesses.is_empty());
                prop_assert!(c.accesses.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
                for a in &c.accesses {
                    if let Resource::Index(p) = &a.resource {
                        prop_assert!(IndexPattern::parse(p).is_ok(), "{p}");
                    }
                }
            }
            Err(e) => prop_assert_eq!(e.code, ErrorCode::InvalidRequest),
        }
    }

    /// Arbitrary paths and bodies: no panic, whatever the bytes.
    #[test]
    fn arbitrary_input_never_panics(
        method in "\\PC{0,8}",
        path in "\\PC{0,40}",
        query in prop::option::of("\\PC{0,20}"),
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let _ = classify(&Request { method: &method, path: &path, query: query.as_deref(), body: &body });
    }

    /// A bulk body yields write on exactly the indices its actions name (plus the path's
    /// index when an action names none), whatever the mix of actions and line endings.
    #[test]
    fn bulk_names_exactly_its_indices(
        items in prop::collection::vec((0usize..4, prop::option::of("[a-z][a-z0-9.-]{0,10}")), 1..40),
        default in prop::option::of("[a-z][a-z0-9-]{0,6}"),
        crlf in any::<bool>(),
        trailing_newline in any::<bool>(),
    ) {
        let body = bulk_body(&items, crlf, trailing_newline);
        let path = match &default {
            Some(d) => format!("/{d}/_bulk"),
            None => "/_bulk".to_owned(),
        };
        let got = run("POST", &path, &body);
        let mut want: BTreeSet<String> = items.iter().filter_map(|(_, i)| i.clone()).collect();
        let needs_default = items.iter().any(|(_, i)| i.is_none());
        match (&default, needs_default) {
            (None, true) => {
                let e = got.unwrap_err();
                prop_assert_eq!(e.reason, "missing_index");
            }
            _ => {
                if needs_default {
                    want.extend(default.clone());
                }
                let c = got.unwrap();
                let names: BTreeSet<String> = c.accesses.iter().map(|a| {
                    assert_eq!(a.action, Action::Write);
                    match &a.resource {
                        Resource::Index(i) => i.clone(),
                        Resource::Cluster => panic!("cluster access in bulk"),
                    }
                }).collect();
                prop_assert_eq!(names, want);
            }
        }
    }

    /// An msearch body's headers are read, its search lines are not.
    #[test]
    fn msearch_reads_only_headers(
        indices in prop::collection::vec(prop::option::of("[a-z][a-z0-9-]{0,6}"), 1..10),
    ) {
        let mut body = String::new();
        for index in &indices {
            match index {
                Some(i) => body.push_str(&format!("{{\"index\":\"{i}\"}}\n")),
                None => body.push_str("{}\n"),
            }
            body.push_str("{\"index\":\"not-a-header\"}\n");
        }
        let c = run("GET", "/dflt/_msearch", &body);
        // The search lines hold an unknown key, but that is OpenSearch's business.
        let c = c.unwrap();
        let mut want: BTreeSet<String> = indices.iter().flatten().cloned().collect();
        if indices.iter().any(Option::is_none) {
            want.insert("dflt".to_owned());
        }
        let names: BTreeSet<String> = c.accesses.iter().filter_map(|a| match &a.resource {
            Resource::Index(i) => Some(i.clone()),
            Resource::Cluster => None,
        }).collect();
        prop_assert_eq!(names, want);
    }
}

#[test]
fn the_ingest_pipelines_a_write_names_are_collected_wherever_they_are_named() {
    let c = |m: &str, t: &str, b: &str| run(m, t, b).unwrap().pipelines;
    assert_eq!(c("PUT", "/logs-a/_doc/1?pipeline=enrich", "{}"), ["enrich"]);
    assert_eq!(
        c(
            "POST",
            "/_bulk?pipeline=outer",
            "{\"index\":{\"_index\":\"logs-a\",\"pipeline\":\"inner\"}}\n{}\n{\"delete\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n"
        ),
        ["inner", "outer"]
    );
    assert_eq!(
        c(
            "POST",
            "/_reindex",
            r#"{"source":{"index":"logs-a"},"dest":{"index":"logs-b","pipeline":"p"}}"#
        ),
        ["p"]
    );
    assert!(c("PUT", "/logs-a/_doc/1", "{}").is_empty());
    let e = run(
        "POST",
        "/_reindex",
        r#"{"source":{"index":"logs-a"},"dest":{"index":"logs-b","pipeline":1}}"#,
    )
    .unwrap_err();
    assert_eq!(e.reason, Reason::BadBody);
}
