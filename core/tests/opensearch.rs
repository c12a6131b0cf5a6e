//! The classifier against the real OpenSearch: for each request, every index OpenSearch reports
//! having touched must be covered by an index pattern the classifier returned. Run by
//! `.ci/harness/smoke.sh` (part of `make test`) with `OAUTH4OS_OPENSEARCH_URL` set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::collections::BTreeSet;

use oauth4os_core::IndexPattern;
use oauth4os_core::classify::{Request, Resource, classify};
use serde_json::{Value, json};

fn base() -> String {
    std::env::var("OAUTH4OS_OPENSEARCH_URL")
        .expect("set OAUTH4OS_OPENSEARCH_URL (run through `make test` or .ci/harness/smoke.sh)")
}

async fn send(method: &str, path: &str, body: &str) -> Value {
    let client = reqwest::Client::new();
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let ct = if path.contains("_bulk") || path.contains("_msearch") {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    let mut req = client
        .request(m, format!("{}{path}", base()))
        .header("content-type", ct);
    if !body.is_empty() {
        req = req.body(body.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path} -> {status}: {v}");
    v
}

/// Classifies the request, sends it to OpenSearch, and checks coverage of what OpenSearch touched.
async fn check(method: &str, path: &str, body: &str, touched: fn(&Value) -> Vec<String>) -> usize {
    let (raw_path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let c = classify(&Request {
        method,
        path: raw_path,
        query,
        body: body.as_bytes(),
    })
    .unwrap_or_else(|e| panic!("{method} {path} not classified: {e}"));
    let patterns: Vec<IndexPattern> = c
        .accesses
        .iter()
        .filter_map(|a| match &a.resource {
            Resource::Index(i) => Some(IndexPattern::parse(i).unwrap()),
            Resource::Cluster => None,
        })
        .collect();
    let resp = send(method, path, body).await;
    let real: BTreeSet<String> = touched(&resp).into_iter().collect();
    assert!(
        !real.is_empty(),
        "{method} {path}: OpenSearch touched nothing: {resp}"
    );
    for name in &real {
        assert!(
            patterns.iter().any(|p| p.matches(name)),
            "{method} {path}: OpenSearch touched `{name}` but the classifier said {patterns:?}"
        );
    }
    real.len()
}

fn hits(v: &Value) -> Vec<String> {
    v["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["_index"].as_str().unwrap().to_owned())
        .collect()
}

fn bulk_items(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            item.as_object().unwrap().values().next().unwrap()["_index"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn classified_indices_cover_what_opensearch_touches() {
    for idx in ["xlogs-a", "xlogs-b", "xsecret"] {
        let _ = reqwest::Client::new()
            .delete(format!("{}/{idx}", base()))
            .send()
            .await;
        send(
            "PUT",
            &format!("/{idx}"),
            r#"{"settings":{"number_of_shards":1,"number_of_replicas":0}}"#,
        )
        .await;
    }

    // _bulk: action lines with and without _index, a default index from the path.
    let bulk = concat!(
        "{\"index\":{\"_id\":\"1\"}}\n{\"level\":\"error\",\"service\":\"api\"}\n",
        "{\"create\":{\"_index\":\"xlogs-b\",\"_id\":\"2\"}}\n{\"level\":\"info\"}\n",
        "{\"index\":{\"_index\":\"xsecret\",\"_id\":\"3\"}}\n{\"level\":\"error\"}\n",
        "{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{\"seen\":true}}\n",
        "{\"delete\":{\"_index\":\"xlogs-b\",\"_id\":\"404\"}}\n",
    );
    assert_eq!(
        check("POST", "/xlogs-a/_bulk?refresh=true", bulk, bulk_items).await,
        3
    );

    // Searches over comma lists, _all, *, exclusions.
    check(
        "POST",
        "/xlogs-a,xlogs-b/_search",
        r#"{"query":{"match_all":{}}}"#,
        hits,
    )
    .await;
    check("GET", "/_all/_search", "", hits).await;
    check("GET", "/*/_search", "", hits).await;
    check("GET", "/_search", "", hits).await;
    check("GET", "/xlogs-*,-xlogs-b/_search", "", hits).await;

    // _mget with per-doc indices and a default.
    check(
        "POST",
        "/xlogs-a/_mget",
        r#"{"docs":[{"_id":"1"},{"_index":"xlogs-b","_id":"2"},{"_index":"xsecret","_id":"3"}]}"#,
        |v| {
            v["docs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["_index"].as_str().unwrap().to_owned())
                .collect()
        },
    )
    .await;

    // _msearch header lines.
    check(
        "POST",
        "/xlogs-a/_msearch",
        "{}\n{\"query\":{\"match_all\":{}}}\n{\"index\":[\"xsecret\",\"xlogs-b\"]}\n{\"query\":{\"match_all\":{}}}\n",
        |v| v["responses"].as_array().unwrap().iter().flat_map(hits).collect(),
    )
    .await;

    // Date math: create through the encoded name, then resolve it.
    let dm = "/%3Cxdm-%7Bnow%2Fd%7D%3E";
    check(
        "PUT",
        &format!("{dm}/_doc/1?refresh=true"),
        r#"{"a":1}"#,
        |v| vec![v["_index"].as_str().unwrap().to_owned()],
    )
    .await;
    check("GET", &format!("{dm}/_search"), "", hits).await;

    // Deletes report the index they removed from.
    check("DELETE", "/xsecret/_doc/3", "", |v| {
        vec![v["_index"].as_str().unwrap().to_owned()]
    })
    .await;
    let _ = json!(null);
}
