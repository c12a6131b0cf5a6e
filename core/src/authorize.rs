//! The authorization step of the pipeline: every access of a classified request must be granted
//! by the token's scopes *and* allowed by the Cedar policies (where a forbid always wins).
//!
//! Scopes are checked first, so the answer to a caller with too little scope is
//! `insufficient_scope` naming a scope that would do; a policy denial is `access_denied` naming
//! the policies that denied.
//!
//! Wildcards: a Cedar condition such as `resource.name like "secret-*"` is false for the text
//! `logs-*,*` or `secret*`, so a wildcard target could slip past a forbid. When custom policies
//! are loaded, every wildcard target must therefore be resolved to the concrete indices it names
//! (the proxy asks OpenSearch's `_resolve/index`); each of them is decided as well. An unresolved
//! wildcard is denied. Without custom policies, scopes alone decide and no resolution is needed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::classify::{Access, Classified, Resource};
use crate::error::Reason;
use crate::error::{Error, Result, quote};
use crate::policy::{Decision, PolicyRequest, PolicySet, SCOPES_POLICY_ID};
use crate::scope::ScopeSet;

/// Who is asking: the verified token's client, tenant and scopes.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    /// The OAuth client id.
    pub client_id: &'a str,
    /// The tenant.
    pub tenant: &'a str,
    /// The token's scopes.
    pub scopes: &'a ScopeSet,
}

/// An allowed request and why: the cross-language `Decision` record. A denial is an [`Error`]
/// (`insufficient_scope` or `access_denied`) naming the refused access and the denying policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDecision {
    /// Allow only if every access is allowed.
    pub decision: Decision,
    /// The endpoint the request was classified as.
    pub endpoint: String,
    /// The permits that allowed the request.
    pub policies: Vec<String>,
}

fn target(access: &Access) -> (&str, Option<&str>) {
    match &access.resource {
        Resource::Index(i) => (i.as_str(), Some(i.as_str())),
        Resource::Cluster => ("*", None),
    }
}

/// The smallest scope that would grant `access`.
pub fn needed_scope(access: &Access) -> String {
    format!("{}:{}", access.action, target(access).0)
}

/// The wildcard index patterns of a request that must be resolved to concrete indices before
/// [`authorize`] can decide it under `policies` (empty when only scopes decide).
pub fn wildcards_to_resolve<'c>(classified: &'c Classified, policies: &PolicySet) -> Vec<&'c str> {
    if policies.len() <= 1 {
        return Vec::new();
    }
    let mut out: Vec<&str> = classified
        .accesses
        .iter()
        .filter_map(|a| match &a.resource {
            Resource::Index(i) if i.contains('*') => Some(i.as_str()),
            _ => None,
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Concrete indices for wildcard patterns, as resolved by the caller.
pub type Resolved = HashMap<String, Vec<String>>;

/// The OpenSearch path that lists what `pattern` names now (indices, aliases, data streams,
/// hidden ones included).
pub fn resolve_path(pattern: &str) -> String {
    format!("/_resolve/index/{pattern}?expand_wildcards=all")
}

/// Reads the names out of OpenSearch's answer to [`resolve_path`]. Anything but a well-formed
/// 200 answer is an error, so a failed resolution denies instead of resolving to nothing.
pub fn resolved_names(status: u16, body: &[u8]) -> Result<Vec<String>> {
    let failed = || {
        Error::new(
            Reason::ResolveFailed,
            "OpenSearch could not resolve an index pattern",
        )
    };
    if status != 200 {
        return Err(failed());
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| failed())?;
    if v.get("indices").and_then(|i| i.as_array()).is_none() {
        return Err(failed());
    }
    let mut names = Vec::new();
    for kind in ["indices", "aliases", "data_streams"] {
        for item in v.get(kind).and_then(|k| k.as_array()).into_iter().flatten() {
            let name = item
                .get("name")
                .and_then(|n| n.as_str())
                .ok_or_else(failed)?;
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Decides a classified request. `resolved` maps each pattern from [`wildcards_to_resolve`] to
/// the indices it names right now. `Err` carries the OAuth error for the caller:
/// `insufficient_scope` (with the scope needed in `help`) or `access_denied`.
pub fn authorize(
    classified: &Classified,
    who: &Principal<'_>,
    policies: &PolicySet,
    method: &str,
    resolved: &Resolved,
) -> Result<RequestDecision> {
    let needs_resolution = policies.len() > 1;
    let mut permits: Vec<String> = Vec::new();
    for access in &classified.accesses {
        let (pattern, index) = target(access);
        let scope_granted = who.scopes.allows(access.action, pattern);
        if !scope_granted {
            let needed = needed_scope(access);
            return Err(Error::new(
                Reason::InsufficientScope,
                format!("the token's scopes do not grant {}", quote(&needed)),
            )
            .with_help(format!(
                "request a token with scope `{needed}` or one that covers it"
            ))
            .with_scope(needed));
        }
        if !needs_resolution {
            // Only the built-in policy: it permits exactly when the scopes grant, which they
            // just did. Cedar would say the same; skip its fixed cost (~5 µs).
            if !permits.iter().any(|p| p == SCOPES_POLICY_ID) {
                permits.push(SCOPES_POLICY_ID.to_owned());
            }
            continue;
        }
        let mut names: Vec<Option<&str>> = vec![index];
        if needs_resolution && pattern.contains('*') && index.is_some() {
            let Some(concrete) = resolved.get(pattern) else {
                return Err(Error::new(
                    Reason::UnresolvedWildcard,
                    format!(
                        "{} could not be resolved to concrete indices for the policy check",
                        quote(pattern)
                    ),
                ));
            };
            names.extend(concrete.iter().map(|c| Some(c.as_str())));
        }
        for name in names {
            let d = policies.decide(&PolicyRequest {
                client_id: who.client_id,
                tenant: who.tenant,
                action: access.action,
                index: name,
                scope_granted,
                scopes: who.scopes,
                endpoint: classified.endpoint,
                method,
            });
            if d.decision == Decision::Deny {
                let by = if d.policies.is_empty() {
                    "no policy permits it".to_owned()
                } else {
                    format!(
                        "denied by policy {}",
                        d.policies
                            .iter()
                            .map(|p| quote(p))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                return Err(Error::new(
                    Reason::PolicyDenied,
                    format!(
                        "{} on {} is not allowed: {by}",
                        access.action,
                        quote(name.unwrap_or("the cluster"))
                    ),
                ));
            }
            for p in d.policies {
                if !permits.contains(&p) {
                    permits.push(p);
                }
            }
        }
    }
    permits.sort();
    Ok(RequestDecision {
        decision: Decision::Allow,
        endpoint: classified.endpoint.to_owned(),
        policies: permits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Request, classify};
    use crate::error::ErrorCode;

    fn run(
        scopes: &str,
        policies: &[(&str, &str)],
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<RequestDecision> {
        let scopes = ScopeSet::parse(scopes).unwrap();
        let set = PolicySet::from_sources(policies).unwrap();
        let c = classify(&Request {
            method,
            path,
            query: None,
            body: body.as_bytes(),
        })
        .unwrap();
        let mut resolved = Resolved::new();
        for w in wildcards_to_resolve(&c, &set) {
            // What the cluster holds in this test.
            let all = ["logs-app", "logs-pii-2026", "secret-payroll"];
            let p = crate::IndexPattern::parse(w).unwrap();
            resolved.insert(
                w.to_owned(),
                all.iter()
                    .filter(|i| p.matches(i))
                    .map(|i| (*i).to_owned())
                    .collect(),
            );
        }
        authorize(
            &c,
            &Principal {
                client_id: "my-agent",
                tenant: "default",
                scopes: &scopes,
            },
            &set,
            method,
            &resolved,
        )
    }

    #[test]
    fn resolution_answers_are_read_strictly() {
        let body =
            br#"{"indices":[{"name":"logs-a"}],"aliases":[{"name":"current"}],"data_streams":[]}"#;
        assert_eq!(
            resolved_names(200, body).unwrap(),
            vec!["logs-a", "current"]
        );
        assert_eq!(
            resolved_names(200, br#"{"indices":[],"aliases":[],"data_streams":[]}"#).unwrap(),
            Vec::<String>::new()
        );
        for (status, body) in [
            (403, &b"{\"indices\":[]}"[..]),
            (200, b"{\"error\":{}}"),
            (200, b"not json"),
            (200, b"{\"indices\":[{}]}"),
        ] {
            assert_eq!(
                resolved_names(status, body).unwrap_err().reason,
                "resolve_failed"
            );
        }
        assert_eq!(
            resolve_path("logs-*"),
            "/_resolve/index/logs-*?expand_wildcards=all"
        );
    }

    #[test]
    fn allowed_when_every_index_is_granted() {
        let d = run("read:logs-*", &[], "GET", "/logs-a,logs-b/_search", "").unwrap();
        assert_eq!(d.decision, Decision::Allow);
        assert_eq!(d.policies, vec!["oauth4os/scopes".to_owned()]);
        // The same through Cedar, with a custom policy that does not apply.
        let other = (
            "o.cedar",
            r#"@id("o") forbid(principal, action, resource is OAuth4os::Index) when { resource.name like "zzz*" };"#,
        );
        let d = run("read:logs-*", &[other], "GET", "/logs-a,logs-b/_search", "").unwrap();
        assert_eq!(d.policies, vec!["oauth4os/scopes".to_owned()]);
    }

    #[test]
    fn one_forbidden_index_denies_the_whole_request_naming_the_scope() {
        let e = run("read:logs-*", &[], "GET", "/logs-a,secret/_search", "").unwrap_err();
        assert_eq!(e.code, ErrorCode::InsufficientScope);
        assert!(e.message.contains("read:secret"), "{}", e.message);
        let bulk =
            "{\"index\":{\"_index\":\"logs-a\"}}\n{}\n{\"index\":{\"_index\":\"secret\"}}\n{}\n";
        let e = run("write:logs-*", &[], "POST", "/_bulk", bulk).unwrap_err();
        assert!(e.message.contains("write:secret"));
        let e = run("read:logs-*", &[], "GET", "/_search", "").unwrap_err();
        assert!(e.message.contains("read:*"));
        let e = run("read:logs-*", &[], "GET", "/_cluster/health", "").unwrap_err();
        assert!(e.message.contains("monitor:*"));
    }

    #[test]
    fn a_forbid_policy_wins_over_the_scope() {
        let forbid = (
            "deny.cedar",
            r#"@id("no-pii") forbid(principal, action, resource is OAuth4os::Index) when { resource.name like "logs-pii*" };"#,
        );
        let e = run(
            "read:logs-*",
            &[forbid],
            "GET",
            "/logs-pii-2026/_search",
            "",
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::AccessDenied);
        assert!(e.message.contains("no-pii"));
        assert!(run("read:logs-*", &[forbid], "GET", "/logs-app/_search", "").is_ok());
        // A wildcard that covers a forbidden index is denied once resolved.
        let e = run("read:logs-*", &[forbid], "GET", "/logs-*/_search", "").unwrap_err();
        assert!(e.message.contains("logs-pii-2026"), "{}", e.message);
        let e = run("read:*", &[forbid], "GET", "/_search", "").unwrap_err();
        assert_eq!(e.reason, "policy_denied");
        // Unresolved wildcards are denied when custom policies exist.
        let scopes = ScopeSet::parse("read:logs-*").unwrap();
        let set = PolicySet::from_sources(&[forbid]).unwrap();
        let c = classify(&Request {
            method: "GET",
            path: "/logs-*/_search",
            query: None,
            body: b"",
        })
        .unwrap();
        let who = Principal {
            client_id: "a",
            tenant: "t",
            scopes: &scopes,
        };
        let e = authorize(&c, &who, &set, "GET", &Resolved::new()).unwrap_err();
        assert_eq!(e.reason, "unresolved_wildcard");
        // Without custom policies, scopes alone decide.
        assert!(
            authorize(
                &c,
                &who,
                &PolicySet::new().unwrap(),
                "GET",
                &Resolved::new()
            )
            .is_ok()
        );
    }
}
