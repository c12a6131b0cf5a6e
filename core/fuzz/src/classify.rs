//! Target `classify`: OpenSearch request classification over arbitrary requests.
//!
//! An input reads like the start of an HTTP request: the first line is `METHOD TARGET` (a line
//! without a space is a `GET` of that target), the target is the raw path with an optional
//! `?query`, and everything after the first `\n` is the body, e.g. an NDJSON `_bulk` body.
//!
//! Invariants: nothing panics; a refusal is `invalid_request` with one of the documented
//! reasons; a classification names a listed endpoint and a non-empty, sorted, deduplicated list
//! of accesses whose indices are all valid patterns, and survives a JSON round trip; and the
//! scope check agrees with an independent reading of the indices: `<action>:logs-*` grants an
//! access exactly when it is that action on a pattern that starts with `logs-`, so a request
//! allowed for `read:logs-*` never names an index outside `logs-*` (nor the cluster).

use oauth4os_core::classify::{Classified, ENDPOINTS, Request, Resource, classify};
use oauth4os_core::{Action, ErrorCode, IndexPattern, Reason, ScopeSet};

/// The reasons `classify` documents for a refusal.
const REFUSALS: &[Reason] = &[
    Reason::Unclassified,
    Reason::BadPath,
    Reason::BadQuery,
    Reason::BadIndex,
    Reason::CrossCluster,
    Reason::BadBody,
    Reason::MissingBody,
    Reason::MissingIndex,
];

/// The actions a scope on `logs-*` is checked for.
const ACTIONS: [Action; 4] = [Action::Read, Action::Write, Action::Manage, Action::Monitor];

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let (line, body) = crate::split_line(data);
    let line = String::from_utf8_lossy(line);
    let line = line.strip_suffix('\r').unwrap_or(&line);
    let (method, target) = line.split_once(' ').unwrap_or(("GET", line));
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let request = Request {
        method,
        path,
        query,
        body,
    };
    match classify(&request) {
        Ok(c) => check(&c),
        Err(e) => {
            assert_eq!(
                e.code,
                ErrorCode::InvalidRequest,
                "{}: {}",
                e.reason,
                e.message
            );
            assert!(
                REFUSALS.contains(&e.reason),
                "undocumented refusal {}: {}",
                e.reason,
                e.message
            );
            assert!(!e.message.is_empty() && !e.message.ends_with('.'));
        }
    }
}

fn check(c: &Classified) {
    assert!(
        ENDPOINTS.contains(&c.endpoint),
        "unlisted endpoint {}",
        c.endpoint
    );
    assert!(!c.accesses.is_empty(), "a classification with no access");
    assert!(
        c.accesses.windows(2).all(|w| matches!(w, [a, b] if a < b)),
        "accesses are not sorted and deduplicated: {:?}",
        c.accesses
    );
    for a in &c.accesses {
        if let Resource::Index(p) = &a.resource {
            assert!(
                IndexPattern::parse(p).is_ok(),
                "invalid index pattern {p:?}"
            );
        }
    }
    let json = serde_json::to_string(c).expect("a classification serializes");
    let back: Classified = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(&back, c, "the JSON round trip changed the classification");

    for action in ACTIONS {
        let scopes = ScopeSet::parse(&format!("{action}:logs-*")).expect("a valid scope");
        let mut all = true;
        for a in &c.accesses {
            // As the decision does: a cluster access needs the scope's pattern to cover `*`.
            let target = match &a.resource {
                Resource::Index(p) => p.as_str(),
                Resource::Cluster => "*",
            };
            let granted = scopes.allows(a.action, target);
            let within = matches!(&a.resource, Resource::Index(p) if p.starts_with("logs-"));
            assert_eq!(
                granted,
                a.action == action && within,
                "`{action}:logs-*` and {:?} on {target:?} disagree",
                a.action
            );
            all &= granted;
        }
        if all {
            assert!(
                c.accesses.iter().all(|a| a.action == action
                    && matches!(&a.resource, Resource::Index(p) if p.starts_with("logs-"))),
                "a request allowed for `{action}:logs-*` reaches beyond it: {:?}",
                c.accesses
            );
        }
    }
}
