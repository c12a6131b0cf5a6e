//! **The decision**: one function that turns a request and a verified token into allow or deny,
//! and why. Every front calls it — the proxy's OpenSearch pipeline, the MCP endpoint, the
//! language server's explainer, the governance UI and the demo — so they cannot disagree.
//!
//! The steps, in order: the token is not revoked (asked of the caller's [`Lookup`]), the request
//! is classified into every (action, index) it touches, every index pattern is resolved to what
//! it reaches — aliases to their indices, data streams, wildcards to everything they match (asked
//! of the [`Lookup`]; see [`crate::catalog`]) —, each access and everything it reaches must be
//! granted by a scope *and* permitted by Cedar (where a forbid wins), and last the client's and
//! scopes' rate limits are counted (only for an otherwise allowed request).

use std::future::Future;
use std::time::Instant;

use serde::Serialize;

use crate::authorize::{Principal, Resolved, authorize, patterns};
use crate::claims::Claims;
use crate::classify::{Access, Classified, Continuation, Request, Resource, classify};
use crate::error::{Error, Result};
use crate::policy::{Decision as Effect, PolicySet};
use crate::ratelimit::RateLimiter;
use crate::scope::{Action, ScopeSet};

/// What the decision needs from its surroundings.
pub trait Lookup: Sync {
    /// What each of `patterns` (index names or wildcards, as classified) reaches now: its judged
    /// names (see [`crate::catalog::Catalog::targets`]; the proxy asks OpenSearch). A name that
    /// exists nowhere reaches itself. `None` when this lookup cannot resolve anything (an offline
    /// explainer): names are then judged as written. An error denies the request.
    fn resolve(&self, patterns: &[&str]) -> impl Future<Output = Result<Option<Resolved>>> + Send;

    /// The first ingest pipeline that may send a document this request writes to another index
    /// than the one written: one of `pipelines` (named by the request), or a default or final
    /// pipeline of what `written` reaches (see [`crate::catalog::Catalog::rerouting`]). The
    /// default knows of no pipeline (an offline explainer).
    fn rerouting(
        &self,
        pipelines: &[String],
        written: &[&str],
    ) -> impl Future<Output = Result<Option<String>>> + Send {
        let _ = (pipelines, written);
        std::future::ready(Ok(None))
    }

    /// Who opened the scroll or point in time `continuation` names, through this front, and what
    /// that request was allowed to read; `None` when unknown (then the continuation needs
    /// `read:*`, as anything may be behind it). The default knows of none.
    fn continuation(&self, continuation: &Continuation) -> Option<Opened> {
        let _ = continuation;
        None
    }

    /// Refuses a token revoked since it was issued. The default knows of no revocation.
    fn check_revoked(&self, claims: &Claims, tenant: &str) -> Result<()> {
        let _ = (claims, tenant);
        Ok(())
    }
}

/// A [`Lookup`] for callers that cannot resolve anything (an offline explainer): names are
/// judged as written, and a wildcard that custom policies must see denies the request
/// (`unresolved_wildcard`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLookup;

impl Lookup for NoLookup {
    async fn resolve(&self, _patterns: &[&str]) -> Result<Option<Resolved>> {
        Ok(None)
    }
}

/// A scroll or point in time as it was opened: by whom, and what it was allowed to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The client that opened it.
    pub client_id: String,
    /// Its tenant.
    pub tenant: String,
    /// The accesses the opening request was allowed.
    pub accesses: Vec<Access>,
}

/// Judges a request continuing scroll or point-in-time contexts by who opened them: contexts
/// the same client opened are judged on what their opening request read (re-checked against
/// the current token); another client's context is refused; an unknown one leaves the
/// classifier's `read:*`.
fn continue_contexts<L: Lookup + ?Sized>(
    classified: &mut Classified,
    client_id: &str,
    tenant: &str,
    lookup: &L,
) -> Result<()> {
    let mut opened = Vec::new();
    for c in &classified.continuations {
        match lookup.continuation(c) {
            Some(o) if o.client_id == client_id && o.tenant == tenant => opened.extend(o.accesses),
            Some(_) => {
                return Err(Error::new(
                    crate::Reason::ForeignContinuation,
                    "the scroll or point in time was opened by another client",
                )
                .with_help("a search context can only be continued by the client that opened it"));
            }
            None => return Ok(()),
        }
    }
    let everything = Resource::Index("*".to_owned());
    classified
        .accesses
        .retain(|a| !(a.action == Action::Read && a.resource == everything));
    classified.accesses.extend(opened);
    classified.accesses.sort();
    classified.accesses.dedup();
    Ok(())
}

/// Who asks and under which rules.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The verified token's claims.
    pub claims: &'a Claims,
    /// The tenant whose issuer signed the token.
    pub tenant: &'a str,
    /// The tenant's Cedar policies.
    pub policies: &'a PolicySet,
}

impl Subject<'_> {
    /// The client a token speaks for: `client_id`, else `sub`.
    pub fn client_id(&self) -> &str {
        self.claims
            .client_id
            .as_deref()
            .or(self.claims.sub.as_deref())
            .unwrap_or("unknown")
    }
}

/// One access of an allowed request and what allowed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessGrant {
    /// The action.
    pub action: Action,
    /// The index pattern, or `None` for the cluster.
    pub index: Option<String>,
    /// The first of the token's scopes that grants it.
    pub scope: Option<String>,
}

/// The outcome and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow only when every access is allowed and no limit is exceeded.
    pub decision: Effect,
    /// The endpoint the request was classified as (`None` when it could not be classified).
    pub endpoint: Option<&'static str>,
    /// For an allowed request: every access and the scope that grants it.
    pub accesses: Vec<AccessGrant>,
    /// For an allowed request: the Cedar permits that allowed it (`oauth4os/scopes` is the
    /// built-in one that permits what the scopes grant).
    pub policies: Vec<String>,
    /// The token's scopes, as the decision read them.
    pub scopes: ScopeSet,
    /// For a denied request: why, as the error the front answers (`insufficient_scope` with the
    /// scope needed, `access_denied` naming the policies, `invalid_request` for what cannot be
    /// classified, `rate_limited` with `retry_after`, `invalid_token` for a revoked token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

impl Decision {
    fn deny(endpoint: Option<&'static str>, scopes: ScopeSet, error: Error) -> Self {
        Self {
            decision: Effect::Deny,
            endpoint,
            accesses: Vec::new(),
            policies: Vec::new(),
            scopes,
            error: Some(error),
        }
    }

    /// Whether the request may go on.
    pub fn is_allowed(&self) -> bool {
        self.decision == Effect::Allow
    }

    /// `Ok` with the decision when allowed, else the denial.
    pub fn into_result(self) -> Result<Self> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

/// Decides `request` for `subject`. `limiter`, when given, counts the request against the
/// client's and scopes' rate limits (the explainer passes `None`, so explaining costs nothing).
pub async fn decide<L: Lookup + ?Sized>(
    request: &Request<'_>,
    subject: &Subject<'_>,
    lookup: &L,
    limiter: Option<(&RateLimiter, Instant)>,
) -> Decision {
    let scopes = ScopeSet::parse_claim(subject.claims.scope.as_deref().unwrap_or(""));
    if let Err(e) = lookup.check_revoked(subject.claims, subject.tenant) {
        return Decision::deny(None, scopes, e);
    }
    let mut classified = match classify(request) {
        Ok(c) => c,
        Err(e) => return Decision::deny(None, scopes, e),
    };
    let endpoint = Some(classified.endpoint);
    let client_id = subject.client_id();
    if !classified.continuations.is_empty()
        && let Err(e) = continue_contexts(&mut classified, client_id, subject.tenant, lookup)
    {
        return Decision::deny(endpoint, scopes, e);
    }
    let wanted = patterns(&classified);
    let resolved = if wanted.is_empty() {
        None
    } else {
        match lookup.resolve(&wanted).await {
            Ok(r) => r,
            Err(e) => return Decision::deny(endpoint, scopes, e),
        }
    };
    let who = Principal {
        client_id,
        tenant: subject.tenant,
        scopes: &scopes,
    };
    let allowed = match authorize(
        &classified,
        &who,
        subject.policies,
        request.method,
        resolved.as_ref(),
    ) {
        Ok(d) => d,
        Err(e) => return Decision::deny(endpoint, scopes, e),
    };
    let written: Vec<&str> = classified
        .accesses
        .iter()
        .filter(|a| a.action == crate::scope::Action::Write)
        .filter_map(|a| match &a.resource {
            Resource::Index(i) => Some(i.as_str()),
            Resource::Cluster => None,
        })
        .collect();
    if !written.is_empty() {
        match lookup.rerouting(&classified.pipelines, &written).await {
            Ok(None) => {}
            Ok(Some(p)) => {
                let e = Error::new(
                    crate::Reason::PipelineReroutes,
                    format!(
                        "the write goes through ingest pipeline {}, which may send documents to another index than the one written",
                        crate::error::quote(&p)
                    ),
                )
                .with_help(
                    "a pipeline that sets `_index`, runs a script or calls another pipeline can move a document anywhere; write without it or through a pipeline that does not",
                );
                return Decision::deny(endpoint, scopes, e);
            }
            Err(e) => return Decision::deny(endpoint, scopes, e),
        }
    }
    if let Some((limiter, now)) = limiter {
        let names: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        if let Err(limited) = limiter.check(client_id, &refs, now) {
            return Decision::deny(endpoint, scopes, limited.into());
        }
    }
    let accesses = classified
        .accesses
        .into_iter()
        .map(|a| {
            let index = match a.resource {
                Resource::Index(i) => Some(i),
                Resource::Cluster => None,
            };
            let target = index.as_deref().unwrap_or("*");
            let scope = scopes
                .iter()
                .find(|s| s.allows(a.action, target))
                .map(ToString::to_string);
            AccessGrant {
                action: a.action,
                index,
                scope,
            }
        })
        .collect();
    Decision {
        decision: Effect::Allow,
        endpoint,
        accesses,
        policies: allowed.policies,
        scopes,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::error::{ErrorCode, Reason};

    /// A cluster of three indices; `revoked` lists revoked token ids.
    struct Cluster {
        revoked: Vec<&'static str>,
    }

    impl Lookup for Cluster {
        async fn resolve(&self, patterns: &[&str]) -> Result<Option<Resolved>> {
            // Three indices, and an alias `logs-x` onto one of them.
            let catalog = crate::catalog::Catalog::from_resolve_answer(
                200,
                br#"{"indices":[{"name":"logs-app"},{"name":"logs-pii-2026"},{"name":"secret-payroll"}],
                     "aliases":[{"name":"logs-x","indices":["secret-payroll"]}],"data_streams":[]}"#,
            )?;
            Ok(Some(catalog.resolve(patterns)))
        }

        fn check_revoked(&self, claims: &Claims, _tenant: &str) -> Result<()> {
            if claims
                .jti
                .as_deref()
                .is_some_and(|j| self.revoked.contains(&j))
            {
                return Err(Error::new(Reason::Revoked, "the token has been revoked"));
            }
            Ok(())
        }
    }

    fn claims(scope: &str, jti: &str) -> Claims {
        serde_json::from_value(serde_json::json!({
            "iss": "https://idp.example", "sub": "my-agent", "aud": ["https://proxy.example"],
            "exp": 2_000_000_000i64, "client_id": "my-agent", "scope": scope, "jti": jti
        }))
        .unwrap()
    }

    fn get(path: &str) -> Request<'_> {
        Request {
            method: "GET",
            path,
            query: None,
            body: b"",
        }
    }

    const NO_PII: (&str, &str) = (
        "no-pii.cedar",
        r#"@id("no-pii") forbid(principal, action, resource is OAuth4os::Index) when { resource.name like "logs-pii*" };"#,
    );

    async fn run(scope: &str, policies: &[(&str, &str)], req: Request<'_>) -> Decision {
        let set = PolicySet::from_sources(policies).unwrap();
        let c = claims(scope, "t-1");
        let subject = Subject {
            claims: &c,
            tenant: "default",
            policies: &set,
        };
        decide(&req, &subject, &Cluster { revoked: vec![] }, None).await
    }

    #[tokio::test]
    async fn an_allowed_request_names_the_scope_and_policy_that_allow_it() {
        let d = run("read:logs-* monitor:*", &[], get("/logs-app/_search")).await;
        assert!(d.is_allowed());
        assert_eq!(d.endpoint, Some("search"));
        assert_eq!(
            d.accesses,
            vec![AccessGrant {
                action: Action::Read,
                index: Some("logs-app".into()),
                scope: Some("read:logs-*".into()),
            }]
        );
        assert_eq!(d.policies, vec!["oauth4os/scopes".to_owned()]);
        let d = run("read:logs-* monitor:*", &[], get("/_cluster/health")).await;
        assert_eq!(d.accesses[0].scope.as_deref(), Some("monitor:*"));
        assert_eq!(d.accesses[0].index, None);
    }

    #[tokio::test]
    async fn too_little_scope_is_insufficient_scope_with_the_scope_needed() {
        let d = run("read:logs-*", &[], get("/logs-app,metrics/_search")).await;
        assert!(!d.is_allowed());
        let e = d.error.unwrap();
        assert_eq!(
            (e.code, e.reason),
            (ErrorCode::InsufficientScope, Reason::InsufficientScope)
        );
        assert_eq!(e.scope.as_deref(), Some("read:metrics"));
    }

    #[tokio::test]
    async fn a_forbid_wins_also_behind_a_wildcard_resolved_through_the_lookup() {
        // (`read:secret-*` too, since `logs-*` also reaches the alias `logs-x` → `secret-payroll`.)
        let d = run(
            "read:logs-* read:secret-*",
            &[NO_PII],
            get("/logs-*/_search"),
        )
        .await;
        let e = d.error.unwrap();
        assert_eq!(e.reason, Reason::PolicyDenied);
        assert!(
            e.message.contains("logs-pii-2026") && e.message.contains("no-pii"),
            "{}",
            e.message
        );
        assert!(
            run("read:logs-*", &[NO_PII], get("/logs-app/_search"))
                .await
                .is_allowed()
        );
    }

    #[tokio::test]
    async fn without_a_cluster_a_wildcard_under_custom_policies_is_denied() {
        let set = PolicySet::from_sources(&[NO_PII]).unwrap();
        let c = claims("read:logs-*", "t-1");
        let subject = Subject {
            claims: &c,
            tenant: "default",
            policies: &set,
        };
        let d = decide(&get("/logs-*/_search"), &subject, &NoLookup, None).await;
        assert_eq!(d.error.unwrap().reason, Reason::UnresolvedWildcard);
        // A concrete name is judged as written.
        let d = decide(&get("/logs-app/_search"), &subject, &NoLookup, None).await;
        assert!(d.is_allowed());
    }

    #[tokio::test]
    async fn an_alias_is_judged_by_what_it_reaches_not_by_its_name() {
        // `logs-x` matches `read:logs-*` as text, but it is an alias of `secret-payroll`.
        let d = run("read:logs-*", &[], get("/logs-x/_search")).await;
        let e = d.error.unwrap();
        assert_eq!(
            (e.code, e.reason),
            (ErrorCode::InsufficientScope, Reason::TargetNotGranted)
        );
        assert_eq!(e.scope.as_deref(), Some("read:secret-payroll"));
        assert!(
            e.message.contains("`logs-x` reaches `secret-payroll`"),
            "{}",
            e.message
        );
        // The wildcard `logs-*` reaches the alias too, so it is refused as well; naming the
        // indices themselves is fine.
        let d = run("read:logs-*", &[], get("/logs-*/_search")).await;
        assert_eq!(d.error.unwrap().reason, Reason::TargetNotGranted);
        assert!(
            run("read:logs-*", &[], get("/logs-app/_search"))
                .await
                .is_allowed()
        );
        // A token granted the target may use the alias.
        assert!(
            run("read:logs-* read:secret-*", &[], get("/logs-x/_search"))
                .await
                .is_allowed()
        );
        // A name that exists nowhere is judged as written (an index about to be created).
        assert!(
            run("read:logs-*", &[], get("/logs-new/_search"))
                .await
                .is_allowed()
        );
    }

    #[tokio::test]
    async fn a_revoked_token_is_denied_before_anything_else() {
        let set = PolicySet::new().unwrap();
        let c = claims("admin:*", "gone");
        let subject = Subject {
            claims: &c,
            tenant: "default",
            policies: &set,
        };
        let lookup = Cluster {
            revoked: vec!["gone"],
        };
        let d = decide(&get("/logs-app/_search"), &subject, &lookup, None).await;
        assert_eq!(d.error.unwrap().reason, Reason::Revoked);
    }

    #[tokio::test]
    async fn what_cannot_be_classified_is_denied_as_invalid_request() {
        let d = run("admin:*", &[], get("/logs-app/_not_an_endpoint")).await;
        assert_eq!(d.error.unwrap().code, ErrorCode::InvalidRequest);
        assert_eq!(d.endpoint, None);
    }

    #[tokio::test]
    async fn the_rate_limit_counts_only_allowed_requests_and_says_when_to_retry() {
        let limiter = RateLimiter::new(Some("2/minute".parse().unwrap()));
        let set = PolicySet::new().unwrap();
        let c = claims("read:logs-*", "t-1");
        let subject = Subject {
            claims: &c,
            tenant: "default",
            policies: &set,
        };
        let now = Instant::now();
        let lookup = Cluster { revoked: vec![] };
        // A denied request does not use up the budget.
        let denied = decide(
            &get("/metrics/_search"),
            &subject,
            &lookup,
            Some((&limiter, now)),
        )
        .await;
        assert_eq!(denied.error.unwrap().code, ErrorCode::InsufficientScope);
        let mut reasons = HashMap::new();
        for _ in 0..3 {
            let d = decide(
                &get("/logs-app/_search"),
                &subject,
                &lookup,
                Some((&limiter, now)),
            )
            .await;
            *reasons
                .entry(d.error.map(|e| (e.reason, e.retry_after.is_some())))
                .or_insert(0) += 1;
        }
        assert_eq!(reasons.get(&None), Some(&2));
        assert_eq!(
            reasons.get(&Some((Reason::ClientRateLimit, true))),
            Some(&1)
        );
    }
}
