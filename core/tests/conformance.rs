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

use oauth4os_core::classify::{ENDPOINTS, Request, classify};
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
            Err(e) => json!({"ok": false, "code": e.code, "reason": e.reason.as_str()}),
        };
        assert_eq!(got, case["expect"], "vector {}", case["name"]);
        // A second verification is served from the cache with the same answer.
        if got["ok"] == true {
            assert!(verifier.cached(token, now).is_some());
        }
    }
}

/// `{"ok": true, "value": ..}` or `{"ok": false, "code": .., "reason": ..}`, as the vectors state it.
fn outcome<T: serde::Serialize>(r: oauth4os_core::Result<T>) -> Value {
    match r {
        Ok(v) => json!({"ok": true, "value": v}),
        Err(e) => json!({"ok": false, "code": e.code, "reason": e.reason.as_str()}),
    }
}

fn text<'v>(case: &'v Value, key: &str) -> &'v str {
    case[key].as_str().unwrap()
}

#[test]
fn scope_vectors_replay() {
    let v = vectors();
    let s = &v["scopes"];
    let mut total = 0;
    for case in s["parse"].as_array().unwrap() {
        let got = outcome(ScopeSet::parse(text(case, "input")).map(|s| s.to_string()));
        assert_eq!(got, case["expect"], "parse {case}");
        total += 1;
    }
    for case in s["allows"].as_array().unwrap() {
        let got = outcome((|| {
            let granted = ScopeSet::parse(text(case, "granted"))?;
            let action: Action = text(case, "action").parse()?;
            Ok(granted.allows(action, text(case, "target")))
        })());
        assert_eq!(got, case["expect"], "allows {case}");
        total += 1;
    }
    for case in s["covers"].as_array().unwrap() {
        let got = outcome((|| {
            let granted = ScopeSet::parse(text(case, "granted"))?;
            Ok(granted.covers(&Scope::parse(text(case, "scope"))?))
        })());
        assert_eq!(got, case["expect"], "covers {case}");
        total += 1;
    }
    for case in s["is_within"].as_array().unwrap() {
        let got = outcome((|| {
            let scopes = ScopeSet::parse(text(case, "scopes"))?;
            Ok(scopes.is_within(&ScopeSet::parse(text(case, "ceiling"))?))
        })());
        assert_eq!(got, case["expect"], "is_within {case}");
        total += 1;
    }
    for case in s["attenuate"].as_array().unwrap() {
        let got = outcome((|| {
            let requested = ScopeSet::parse(text(case, "requested"))?;
            let allowed = ScopeSet::parse(text(case, "allowed"))?;
            Ok(ScopeSet::attenuate(&requested, &allowed)?.to_string())
        })());
        assert_eq!(got, case["expect"], "attenuate {case}");
        total += 1;
    }
    assert!(total >= 60, "only {total} scope cases");
}

#[test]
fn classification_vectors_replay() {
    let v = vectors();
    let cases = v["classification"].as_array().unwrap();
    assert!(
        cases.len() >= 90,
        "only {} classification cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in cases {
        let req = Request {
            method: text(case, "method"),
            path: text(case, "path"),
            query: case["query"].as_str(),
            body: text(case, "body").as_bytes(),
        };
        let got = match classify(&req) {
            Ok(c) => {
                let mut got = serde_json::to_value(&c).unwrap();
                got["ok"] = json!(true);
                got
            }
            Err(e) => json!({"ok": false, "code": e.code, "reason": e.reason.as_str()}),
        };
        if got != case["expect"] {
            failures.push(format!(
                "{} {}{}\n  want {}\n  got  {}\n  why  {}",
                case["method"].as_str().unwrap_or_default(),
                case["path"].as_str().unwrap_or_default(),
                case["query"]
                    .as_str()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default(),
                case["expect"],
                got,
                case["why"].as_str().unwrap_or_default(),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every endpoint, every action and the cluster resource appear in some expected answer, and
/// every refusal reason of `classify` is exercised.
#[test]
fn classification_vectors_cover_the_ground() {
    let v = vectors();
    let cases = v["classification"].as_array().unwrap();
    let mut actions = std::collections::BTreeSet::new();
    let mut reasons = std::collections::BTreeSet::new();
    let mut endpoints = std::collections::BTreeSet::new();
    let mut cluster = false;
    for case in cases {
        let expect = &case["expect"];
        if expect["ok"] == true {
            endpoints.insert(expect["endpoint"].as_str().unwrap().to_owned());
            for a in expect["accesses"].as_array().unwrap() {
                actions.insert(a["action"].as_str().unwrap().to_owned());
                cluster |= a["resource"] == "cluster";
            }
        } else {
            reasons.insert(expect["reason"].as_str().unwrap().to_owned());
        }
    }
    for a in Action::ALL {
        assert!(actions.contains(a.as_str()), "no case needs {a}");
    }
    assert!(cluster, "no case needs the cluster");
    for e in ENDPOINTS {
        assert!(endpoints.contains(*e), "no case reaches the endpoint {e}");
    }
    for r in [
        "unclassified",
        "bad_path",
        "bad_query",
        "bad_index",
        "cross_cluster",
        "bad_body",
        "missing_body",
        "missing_index",
    ] {
        assert!(reasons.contains(r), "no case is refused with {r}");
    }
}
