//! The admin API under `/admin/*`: clients, refresh families and per-client revocation,
//! interactive sessions and consents, signing keys, the audit log, the webhook outbox, and
//! `/admin/openapi.json` describing all of it.
//!
//! Every route, the OpenAPI document and unknown `/admin/*` paths alike, sits behind one guard:
//! a bearer token that [`AuthServer::verify_admin`] accepts (issued by `/oauth/token` to the
//! configured admin client, scope `oauth4os:admin`, audience `<issuer>/admin`, 15 minutes).
//! Anything else answers 401 before a handler runs. Resource routes refuse admin tokens.
//!
//! The route table ([`routes`]) builds both the router and the OpenAPI document, so the two
//! cannot drift. Bodies are JSON with unknown fields refused; errors are
//! `{"error","error_description"}` and never echo a secret.

#![allow(
    clippy::result_large_err,
    reason = "handlers answer errors as ready responses, built once per failed admin call"
)]

mod backup;
mod clients;
mod openapi;
mod policies;
mod sessions;
mod tokens;
mod webhooks;

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post, put};
use oauth4os_core::Error;
use oauth4os_core::admin::{self, Operation};
use oauth4os_core::error::quote;

use crate::authz::AuthServer;
use crate::services::web::error::no_store;
pub(crate) use crate::services::web::json::{body, fail, from_core, json, query};

/// Where the admin API is mounted.
pub const PREFIX: &str = admin::PREFIX;

/// One admin route of [`admin::ROUTES`](oauth4os_core::admin::ROUTES), with its handler.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path below [`PREFIX`], in OpenAPI/axum template syntax (`/clients/{id}`).
    pub path: &'static str,
    /// The operation.
    pub operation: Operation,
    handler: MethodRouter<Arc<AuthServer>>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}{}", self.method, PREFIX, self.path)
    }
}

/// The handler of each operation: exhaustive, so a route added to core's table and not served
/// here fails to compile.
fn handler(op: Operation) -> MethodRouter<Arc<AuthServer>> {
    use Operation as O;
    match op {
        O::ListClients => get(clients::list),
        O::CreateClient => post(clients::create),
        O::GetClient => get(clients::show),
        O::UpdateClient => put(clients::update),
        O::DeleteClient => delete(clients::remove),
        O::RotateClientSecret => post(clients::rotate_secret),
        O::RevokeClientTokens => post(clients::revoke_tokens),
        O::ListRefreshFamilies => get(tokens::families),
        O::RevokeRefreshFamily => delete(tokens::revoke_family),
        O::ListSessions => get(sessions::list),
        O::RevokeSessions => delete(sessions::revoke_many),
        O::GetSession => get(sessions::show),
        O::RevokeSession => delete(sessions::revoke_one),
        O::ListConsents => get(sessions::consents),
        O::WithdrawConsent => delete(sessions::withdraw_consent),
        O::ListSigningKeys => get(tokens::keys),
        O::RotateSigningKey => post(tokens::rotate_key),
        O::ListPolicies => get(policies::list_policies),
        O::GetPolicy => get(policies::show_policy),
        O::PutPolicy => put(policies::put_policy),
        O::DeletePolicy => delete(policies::delete_policy),
        O::ListScopeMappings => get(policies::list_mappings),
        O::PutScopeMapping => put(policies::put_mapping),
        O::DeleteScopeMapping => delete(policies::delete_mapping),
        O::ListTenants => get(policies::tenants),
        O::QueryAudit => get(tokens::audit),
        O::BackupStore => get(backup::backup),
        O::RestoreStore => {
            post(backup::restore).layer(axum::extract::DefaultBodyLimit::max(backup::MAX_BACKUP))
        }
        O::OpenApi => get(openapi::document),
        O::ListWebhookDeliveries => get(webhooks::deliveries),
        O::ReplayWebhookDelivery => post(webhooks::replay),
    }
}

fn method(m: admin::Method) -> Method {
    match m {
        admin::Method::Get => Method::GET,
        admin::Method::Post => Method::POST,
        admin::Method::Put => Method::PUT,
        admin::Method::Delete => Method::DELETE,
    }
}

/// Every admin route: core's table, each with its handler.
pub fn routes() -> Vec<Route> {
    admin::ROUTES
        .iter()
        .map(|r| Route {
            method: method(r.method),
            path: r.path,
            operation: r.operation,
            handler: handler(r.operation),
        })
        .collect()
}

/// The admin API mounted at [`PREFIX`], state applied, ready to merge into the edge's router.
pub fn service(server: &Arc<AuthServer>) -> Router {
    Router::new()
        .nest(PREFIX, router(server))
        .layer(axum::extract::DefaultBodyLimit::max(crate::authz::MAX_BODY))
        .with_state(server.clone())
}

/// The admin router (mounted at [`PREFIX`]), every route and the fallback behind the guard.
pub fn router(server: &Arc<AuthServer>) -> Router<Arc<AuthServer>> {
    let mut r = Router::new();
    for route in routes() {
        r = r.route(route.path, route.handler);
    }
    r.fallback(not_found)
        .layer(from_fn_with_state(server.clone(), guard))
}

/// Who made an admin call, for the audit log.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub String);

async fn guard(State(server): State<Arc<AuthServer>>, mut req: Request, next: Next) -> Response {
    let token = match bearer(req.headers()) {
        Ok(t) => t,
        Err(e) => return unauthorized(&e),
    };
    match server.verify_admin(token).await {
        Ok(claims) => {
            let caller = claims.client_id.clone().unwrap_or_default();
            req.extensions_mut().insert(Caller(caller));
            no_store(next.run(req).await)
        }
        Err(e) => {
            tracing::info!(reason = %e.reason, "admin API: token refused");
            unauthorized(&e)
        }
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, Error> {
    crate::services::web::bearer(headers)
        .ok_or_else(|| Error::new(Reason::MissingToken, "an admin bearer token is required"))
}

fn unauthorized(e: &Error) -> Response {
    from_core(e.clone())
}

async fn not_found() -> Response {
    fail(
        Reason::NotFound,
        "no such admin route; see /admin/openapi.json",
    )
}

/// What admin handlers return.
pub(crate) type AdminResult = Result<Response, Response>;

pub(crate) fn not_found_item(what: &str, id: &str) -> Response {
    fail(Reason::NotFound, &format!("no {what} {}", quote(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_has_unique_operations_and_method_paths() {
        let all = routes();
        let mut ops = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for r in &all {
            assert!(
                ops.insert(r.operation),
                "duplicate operation {:?}",
                r.operation
            );
            assert!(keys.insert((r.method.clone(), r.path)), "duplicate {r:?}");
            assert!(r.path.starts_with('/'));
        }
    }
}
