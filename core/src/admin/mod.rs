//! The admin API's contract: every request and response body served under `/admin/*`, as
//! serde types shared by the proxy (which serves them), the Terraform provider, the CLI and the
//! governance UI (which send and read them), and the OpenAPI 3.1 document derived from them.
//!
//! - [`clients`]: create (the secret is answered once), list, get, replace, rotate the secret,
//!   revoke every token.
//! - [`policies`]: Cedar policies, scope → role mappings and tenants.
//! - [`tokens`]: refresh-token families, signing keys and the audit log.
//! - [`sessions`]: interactive sessions and consents, listed and revoked per user or client.
//! - [`backup`]: what a restore answers.
//! - [`webhooks`]: the outbox of signed webhook events, dead letters and replay.
//! - [`ErrorBody`]: what every failed call answers.
//! - [`routes`]: the table of paths, methods, status codes and body types, from which
//!   [`openapi`] builds the document served at `/admin/openapi.json`.
//!
//! Request bodies refuse unknown fields (`deny_unknown_fields`), as the proxy does; response
//! bodies accept them, so a client keeps working when the server adds a field. Types that carry
//! a client secret print it as `<redacted>` in `Debug`.

pub mod backup;
pub mod clients;
mod openapi;
pub mod policies;
pub mod routes;
pub mod sessions;
pub mod tokens;
pub mod webhooks;

pub use backup::RestoreSummary;
pub use clients::{
    Client, ClientList, ClientRevocation, ClientSecret, ClientSpec, ClientWithSecret, GrantType,
    Source,
};
pub use openapi::{openapi, schemas};
pub use policies::{
    MappingSpec, Policy, PolicyList, PolicySpec, ScopeMapping, ScopeMappingList, Tenant, TenantList,
};
pub use routes::{Body, Method, Operation, ROUTES, Route};
pub use sessions::{
    Consent, ConsentList, ConsentQuery, ConsentWithdrawal, Session, SessionList, SessionQuery,
    SessionRevocation,
};
pub use tokens::{
    AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, AuditEvent, AuditList, AuditQuery, FamilyQuery,
    RefreshFamily, RefreshFamilyList, RotatedKey, SigningKey, SigningKeyList,
};
pub use webhooks::{
    DeliveryQuery, DeliveryStatus, WebhookDelivery, WebhookDeliveryList, WebhookEventType,
};

/// Where the admin API is mounted; every [`Route::path`] is below it.
pub const PREFIX: &str = "/admin";

/// The scope an admin token carries (`POST /oauth/token`, `client_credentials`, the admin
/// client's credentials).
pub const ADMIN_SCOPE: &str = "oauth4os:admin";

/// What every failed admin call answers: the one error body of every front, with the
/// error's code and stable reason.
pub use crate::protocol::ErrorBody;

/// Percent-encodes everything but the unreserved characters of RFC 3986: for a path segment
/// or a query value.
pub(crate) const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Writes `<redacted>` for a secret in `Debug` output.
pub(crate) struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}
