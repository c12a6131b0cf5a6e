//! The admin API under `/admin/*`: clients, refresh families and per-client revocation,
//! signing keys, the audit log, and `/admin/openapi.json` describing all of it.
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
mod tokens;

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post, put};
use oauth4os_core::Error;
use oauth4os_core::error::quote;

use crate::authz::AuthServer;
use crate::services::web::error::no_store;
pub(crate) use crate::services::web::json::{body, fail, from_core, json, query};

/// Where the admin API is mounted.
pub const PREFIX: &str = "/admin";

/// One admin route: what the router serves and what the OpenAPI document says of it.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path below [`PREFIX`], in OpenAPI/axum template syntax (`/clients/{id}`).
    pub path: &'static str,
    /// The OpenAPI `operationId`.
    pub operation: &'static str,
    /// One line for humans.
    pub summary: &'static str,
    /// The request body schema (in `components/schemas`), if the route takes one.
    pub request: Option<&'static str>,
    /// The success status and its body schema, if any.
    pub ok: (u16, Option<&'static str>),
    handler: MethodRouter<Arc<AuthServer>>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}{}", self.method, PREFIX, self.path)
    }
}

fn route(
    method: Method,
    path: &'static str,
    operation: &'static str,
    summary: &'static str,
    request: Option<&'static str>,
    ok: (u16, Option<&'static str>),
    handler: MethodRouter<Arc<AuthServer>>,
) -> Route {
    Route {
        method,
        path,
        operation,
        summary,
        request,
        ok,
        handler,
    }
}

/// Every admin route.
#[rustfmt::skip]
pub fn routes() -> Vec<Route> {
    use Method as M;
    vec![
        route(M::GET, "/clients", "listClients", "List every client", None, (200, Some("ClientList")), get(clients::list)),
        route(M::POST, "/clients", "createClient", "Create a client; its secret is answered once", Some("ClientSpec"), (201, Some("ClientWithSecret")), post(clients::create)),
        route(M::GET, "/clients/{id}", "getClient", "Get one client", None, (200, Some("Client")), get(clients::show)),
        route(M::PUT, "/clients/{id}", "updateClient", "Replace a client's scopes, grants, tenant and lifetime", Some("ClientSpec"), (200, Some("Client")), put(clients::update)),
        route(M::DELETE, "/clients/{id}", "deleteClient", "Delete a client and revoke every token it holds", None, (204, None), delete(clients::remove)),
        route(M::POST, "/clients/{id}/secret", "rotateClientSecret", "Replace a client's secret; the new one is answered once", None, (200, Some("ClientSecret")), post(clients::rotate_secret)),
        route(M::POST, "/clients/{id}/revoke", "revokeClientTokens", "Revoke every token issued to a client so far", None, (200, Some("Revocation")), post(clients::revoke_tokens)),
        route(M::GET, "/families", "listRefreshFamilies", "List active refresh-token families (filter: client_id)", None, (200, Some("FamilyList")), get(tokens::families)),
        route(M::DELETE, "/families/{id}", "revokeRefreshFamily", "Revoke a refresh-token family and its access tokens", None, (204, None), delete(tokens::revoke_family)),
        route(M::GET, "/keys", "listSigningKeys", "List signing keys", None, (200, Some("KeyList")), get(tokens::keys)),
        route(M::POST, "/keys/rotate", "rotateSigningKey", "Start signing with a new key; the old one stays published", None, (200, Some("Key")), post(tokens::rotate_key)),
        route(M::GET, "/policies", "listPolicies", "List the Cedar policies added through this API", None, (200, Some("PolicyList")), get(policies::list_policies)),
        route(M::GET, "/policies/{id}", "getPolicy", "Get one policy", None, (200, Some("Policy")), get(policies::show_policy)),
        route(M::PUT, "/policies/{id}", "putPolicy", "Create or replace a Cedar policy; validated first, live on the next request", Some("PolicySpec"), (200, Some("Policy")), put(policies::put_policy)),
        route(M::DELETE, "/policies/{id}", "deletePolicy", "Delete a policy", None, (204, None), delete(policies::delete_policy)),
        route(M::GET, "/scope-mappings", "listScopeMappings", "List scope → role mappings (configuration and API)", None, (200, Some("MappingList")), get(policies::list_mappings)),
        route(M::PUT, "/scope-mappings/{id}", "putScopeMapping", "Create or replace the roles of a scope", Some("MappingSpec"), (200, Some("Mapping")), put(policies::put_mapping)),
        route(M::DELETE, "/scope-mappings/{id}", "deleteScopeMapping", "Delete a scope mapping made through this API", None, (204, None), delete(policies::delete_mapping)),
        route(M::GET, "/tenants", "listTenants", "List tenants: the built-in issuer and each OpenID provider", None, (200, Some("TenantList")), get(policies::tenants)),
        route(M::GET, "/audit", "queryAudit", "Audit events, newest first (filters: kind, client_id, since, limit)", None, (200, Some("AuditList")), get(tokens::audit)),
        route(M::GET, "/backup", "backupStore", "The whole store as one SQLite file (application/vnd.sqlite3)", None, (200, None), get(backup::backup)),
        route(M::POST, "/restore", "restoreStore", "Replace the store with a backup file (body: the SQLite file); a backup whose keys do not decrypt or whose policies do not build is refused", None, (200, None), post(backup::restore).layer(axum::extract::DefaultBodyLimit::max(backup::MAX_BACKUP))),
        route(M::GET, "/openapi.json", "openapi", "This document", None, (200, None), get(openapi::document)),
    ]
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
                "duplicate operation {}",
                r.operation
            );
            assert!(keys.insert((r.method.clone(), r.path)), "duplicate {r:?}");
            assert!(r.path.starts_with('/'));
        }
    }
}
