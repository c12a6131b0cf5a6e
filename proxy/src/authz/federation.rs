//! Who the authorization server trusts outside itself, fixed when it is built: the tenants
//! whose tokens can be exchanged (RFC 8693) and the providers that sign users in.

use std::sync::Arc;

use super::exchange::SubjectIssuer;
use super::login::LoginProvider;
use crate::services::policies::LivePolicies;

/// What the authorization server works with from the rest of the proxy, given when it is built.
#[derive(Debug, Default)]
pub struct Peers {
    /// Tenants whose tokens can be exchanged (RFC 8693).
    pub subjects: Vec<SubjectIssuer>,
    /// Providers that sign users in for the authorization-code flow, one per tenant.
    pub logins: Vec<LoginProvider>,
    /// The proxy's live policies and mappings, which the admin API changes.
    pub live: Option<Arc<LivePolicies>>,
    /// The proxy's rate limiter, so that client rates set through the admin API apply at once.
    pub limiter: Option<Arc<oauth4os_core::ratelimit::RateLimiter>>,
}

/// Trusted tenants and login providers.
#[derive(Debug, Default)]
pub(crate) struct Federation {
    pub(crate) subjects: Vec<SubjectIssuer>,
    pub(crate) logins: Vec<Arc<LoginProvider>>,
}

impl Federation {
    pub(crate) fn new(subjects: Vec<SubjectIssuer>, logins: Vec<LoginProvider>) -> Self {
        Self {
            subjects,
            logins: logins.into_iter().map(Arc::new).collect(),
        }
    }
}
