//! The checked-in conformance vectors are current, and the core replays them through its public
//! API exactly as every SDK does.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/conformance.rs"]
mod conformance;

use oauth4os_core::classify::{Request, classify};
use oauth4os_core::jwk::KeySet;
use oauth4os_core::{Action, Scope, ScopeSet, Verifier, VerifierConfig};
use serde_json::{Value, json};

const FILE: &str = include_str!("../conformance/vectors.json");

fn vectors() -> Value {
    serde_json::from_str(FILE).unwrap()
}

#[test]
fn vectors_file_is_regenerated_bit_identically() {
    assert!(
        conformance::generate() == FILE,
        "core/conformance/vectors.json is stale: run `make vectors` and commit the result"
    );
}

#[tokio::test]
async fn verification_vectors_replay() {
    let v = vectors();
    let cfg: VerifierConfig = serde_json::from_value(v["verifier"].clone()).unwrap();
    let keys = KeySet::from_jwks(v["jwks"].to_string().as_bytes(), &cfg.algorithms).unwrap();
    let verifier = Verifier::with_keys(cfg, keys).unwrap();
    let now = v["now"].as_i64().unwrap();
    let cases = v["verification"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let token = case["token"].as_str().unwrap();
        let got = match verifier.verify_at(token, now).await {
            Ok(c) => json!({"ok": true, "claims": *c}),
            Err(e) => json!({"ok": false, "code": e.code, "reason": e.reason}),
        };
        assert_eq!(got, case["expect"], "vector {}", case["name"]);
        // A second verification is served from the cache with the same answer.
        if got["ok"] == true {
            assert!(verifier.cached(token, now).is_some());
        }
    }
}

#[test]
fn scope_vectors_replay() {
    let v = vectors();
    for case in v["scopes"]["parse"].as_array().unwrap() {
        let got = match ScopeSet::parse(case["input"].as_str().unwrap()) {
            Ok(s) => json!({"input": case["input"], "ok": true, "normalized": s.to_string()}),
            Err(e) => {
                json!({"input": case["input"], "ok": false, "code": e.code, "reason": e.reason})
            }
        };
        assert_eq!(got, *case);
    }
    for case in v["scopes"]["allows"].as_array().unwrap() {
        let s = Scope::parse(case["granted"].as_str().unwrap()).unwrap();
        let a: Action = case["action"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            json!(s.allows(a, case["target"].as_str().unwrap())),
            case["allowed"],
            "{case}"
        );
    }
    for case in v["scopes"]["attenuate"].as_array().unwrap() {
        let r = ScopeSet::parse(case["requested"].as_str().unwrap()).unwrap();
        let a = ScopeSet::parse(case["allowed"].as_str().unwrap()).unwrap();
        match ScopeSet::attenuate(&r, &a) {
            Ok(s) => assert_eq!(json!(s.to_string()), case["granted"], "{case}"),
            Err(e) => assert_eq!(json!(e.reason), case["reason"], "{case}"),
        }
    }
}

#[test]
fn classification_vectors_replay() {
    let v = vectors();
    let cases = v["classification"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let req = Request {
            method: case["method"].as_str().unwrap(),
            path: case["path"].as_str().unwrap(),
            query: case["query"].as_str(),
            body: case["body"].as_str().unwrap().as_bytes(),
        };
        let got = match classify(&req) {
            Ok(c) => json!({"ok": true, "endpoint": c.endpoint, "accesses": c.accesses}),
            Err(e) => json!({"ok": false, "code": e.code, "reason": e.reason}),
        };
        assert_eq!(got, case["expect"], "{} {}", case["method"], case["path"]);
    }
}
