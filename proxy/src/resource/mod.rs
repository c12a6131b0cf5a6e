//! The resource side: the OpenSearch proxy ([`pipeline`]) and its RFC 9728 metadata
//! ([`metadata`]), over one [`ResourceProxy`] built by the edge.

mod contexts;
pub mod metadata;
pub mod pipeline;

use std::sync::Arc;

use oauth4os_core::ratelimit::RateLimiter;
use oauth4os_core::{ScopeSet, Verifier};

use crate::authz::AuthServer;
use crate::services::indices::IndexResolver;
use crate::services::metrics::Metrics;
use crate::services::policies::LivePolicies;
use crate::services::upstream::Upstream;

/// An external provider's verifier and policies.
#[derive(Debug)]
pub struct TenantRuntime {
    /// Tenant name.
    pub name: String,
    /// Its exact issuer.
    pub issuer: String,
    /// Verifies its tokens through its JWKS.
    pub verifier: Arc<Verifier>,
}

/// Everything a proxied request needs.
#[derive(Debug)]
pub struct ResourceProxy {
    /// The built-in authorization server, which verifies its own tokens.
    pub auth: Arc<AuthServer>,
    /// External providers.
    pub tenants: Vec<TenantRuntime>,
    /// Cedar policies per tenant and scope → roles mappings, changeable through the admin API.
    pub live: Arc<LivePolicies>,
    /// Per-client and per-scope limits.
    pub limiter: Arc<RateLimiter>,
    /// OpenSearch.
    pub upstream: Upstream,
    /// What index names reach (aliases, data streams, wildcards), from a cached snapshot.
    pub indices: IndexResolver,
    /// The scroll and point-in-time contexts opened through the proxy, and by whom.
    pub contexts: crate::services::contexts::Contexts,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Largest request body read.
    pub max_body_bytes: usize,
    /// The RFC 9728 resource identifier.
    pub resource: String,
    /// The MCP endpoint's resource identifier (`<public_url>/mcp`), when it is enabled: tokens
    /// for it are refused here.
    pub mcp_resource: Option<String>,
    /// The RFC 9728 metadata URL, for `WWW-Authenticate`.
    pub resource_metadata_url: String,
    /// The RFC 9728 document (without `resource`, which depends on the path).
    pub resource_metadata: oauth4os_core::protocol::ProtectedResourceMetadata,
}

impl ResourceProxy {
    /// Roles for `x-proxy-roles`: those of every mapping whose scope is covered by a token scope.
    pub fn roles_for(&self, scopes: &ScopeSet) -> Vec<String> {
        let snapshot = self.live.snapshot();
        let mut roles: Vec<String> = snapshot
            .mappings()
            .iter()
            .filter(|(s, _)| scopes.iter().any(|t| s.covers(t) || t.covers(s)))
            .flat_map(|(_, r)| r.iter().cloned())
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }
}
