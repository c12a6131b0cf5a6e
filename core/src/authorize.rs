//! The authorization step of the pipeline: every access of a classified request must be granted
//! by the token's scopes *and* allowed by the Cedar policies (where a forbid always wins).
//!
//! Scopes are checked first, so the answer to a caller with too little scope is
//! `insufficient_scope` naming a scope that would do; a policy denial is `access_denied` naming
//! the policies that denied.
//!
//! What OpenSearch will touch: a name as written may be an alias of other indices, a data stream
//! or a wildcard reaching both. The caller resolves every pattern to its *judged names* (see
//! [`crate::catalog`]) and each of them must be granted by a scope and allowed by Cedar, so
//! `read:logs-*` does not read `secret` through an alias named `logs-x`. A caller that cannot
//! resolve (an offline explainer) passes no resolution: names are then judged as written, and a
//! wildcard is denied when custom policies are loaded (a Cedar condition such as
//! `resource.name like "secret-*"` is false for the text `secret*`, so a wildcard could slip past
//! a forbid).

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

/// What each index pattern of a request reaches: pattern → its judged names.
pub type Resolved = HashMap<String, Vec<String>>;

/// The index patterns of a request, sorted and deduplicated: what the caller resolves.
pub fn patterns(classified: &Classified) -> Vec<&str> {
    let mut out: Vec<&str> = classified
        .accesses
        .iter()
        .filter_map(|a| match &a.resource {
            Resource::Index(i) => Some(i.as_str()),
            Resource::Cluster => None,
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn not_granted(access: &Access, pattern: &str, name: &str) -> Error {
    let needed = format!("{}:{name}", access.action);
    Error::new(
        Reason::TargetNotGranted,
        format!(
            "{} reaches {}, and the token's scopes do not grant {}",
            quote(pattern),
            quote(name),
            quote(&needed)
        ),
    )
    .with_help(format!(
        "{} is an alias, data stream or wildcard that reaches {}; request a token with scope `{needed}`, or name only indices the token may use",
        quote(pattern),
        quote(name)
    ))
    .with_scope(needed)
}

/// Decides a classified request. `resolved`, when given, maps every pattern from [`patterns`]
/// to the names it reaches right now (a pattern missing from it is denied); `None` judges names
/// as written. `Err` carries the OAuth error for the caller: `insufficient_scope` (with the
/// scope needed) or `access_denied`.
pub fn authorize(
    classified: &Classified,
    who: &Principal<'_>,
    policies: &PolicySet,
    method: &str,
    resolved: Option<&Resolved>,
) -> Result<RequestDecision> {
    let custom_policies = policies.len() > 1;
    let mut permits: Vec<String> = Vec::new();
    for access in &classified.accesses {
        let (pattern, index) = target(access);
        if !who.scopes.allows(access.action, pattern) {
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
        // The names this access reaches, each of which must be granted as well.
        let reached: &[String] = match (index, resolved) {
            (None, _) | (Some(_), None) => &[],
            (Some(i), Some(r)) => r.get(i).map(Vec::as_slice).ok_or_else(|| {
                Error::new(
                    Reason::UnresolvedWildcard,
                    format!("{} could not be resolved to what it reaches", quote(i)),
                )
            })?,
        };
        for name in reached {
            if !who.scopes.allows(access.action, name) {
                return Err(not_granted(access, pattern, name));
            }
        }
        if !custom_policies {
            // Only the built-in policy: it permits exactly when the scopes grant, which they
            // just did. Cedar would say the same; skip its fixed cost (~5 µs).
            if !permits.iter().any(|p| p == SCOPES_POLICY_ID) {
                permits.push(SCOPES_POLICY_ID.to_owned());
            }
            continue;
        }
        if resolved.is_none() && pattern.contains('*') && index.is_some() {
            return Err(Error::new(
                Reason::UnresolvedWildcard,
                format!(
                    "{} could not be resolved to concrete indices for the policy check",
                    quote(pattern)
                ),
            ));
        }
        let names = std::iter::once(index).chain(reached.iter().map(|n| Some(n.as_str())));
        for name in names {
            let d = policies.decide(&PolicyRequest {
                client_id: who.client_id,
                tenant: who.tenant,
                action: access.action,
                index: name,
                scope_granted: true,
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
        // What the cluster holds in this test.
        let catalog = crate::catalog::Catalog::from_resolve_answer(
            200,
            br#"{"indices":[{"name":"logs-app"},{"name":"logs-pii-2026"},{"name":"secret-payroll"}]}"#,
        )
        .unwrap();
        let resolved = catalog.resolve(&patterns(&c));
        authorize(
            &c,
            &Principal {
                client_id: "my-agent",
                tenant: "default",
                scopes: &scopes,
            },
            &set,
            method,
            Some(&resolved),
        )
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
        let e = authorize(&c, &who, &set, "GET", None).unwrap_err();
        assert_eq!(e.reason, "unresolved_wildcard");
        // So is a resolution that leaves the pattern out.
        let e = authorize(&c, &who, &set, "GET", Some(&Resolved::new())).unwrap_err();
        assert_eq!(e.reason, "unresolved_wildcard");
        // Without custom policies, scopes alone decide.
        assert!(authorize(&c, &who, &PolicySet::new().unwrap(), "GET", None).is_ok());
    }
}
