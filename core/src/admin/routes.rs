//! The admin API's route table: for each path and method, its operation, its bodies (as types)
//! and its status codes. [`super::openapi`] builds the OpenAPI document from it, and the proxy
//! builds its router from it, one handler per [`Operation`]: a route added here and not served
//! there fails to compile (the match over `Operation` is exhaustive).

use percent_encoding::utf8_percent_encode;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::UNRESERVED_KEPT;
use super::backup::{BACKUP_MEDIA_TYPE, RestoreSummary};
use super::clients::{
    Client, ClientList, ClientRevocation, ClientSecret, ClientSpec, ClientWithSecret,
};
use super::policies::{
    MappingSpec, Policy, PolicyList, PolicySpec, ScopeMapping, ScopeMappingList, TenantList,
};
use super::sessions::{
    ConsentList, ConsentQuery, ConsentWithdrawal, Session, SessionList, SessionQuery,
    SessionRevocation,
};
use super::tokens::{
    AuditList, AuditQuery, FamilyQuery, RefreshFamilyList, RotatedKey, SigningKeyList,
};
use super::webhooks::{DeliveryQuery, WebhookDelivery, WebhookDeliveryList};

/// An HTTP method the admin API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method as sent on the wire (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Every admin operation, one per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET /clients`.
    ListClients,
    /// `POST /clients`.
    CreateClient,
    /// `GET /clients/{id}`.
    GetClient,
    /// `PUT /clients/{id}`.
    UpdateClient,
    /// `DELETE /clients/{id}`.
    DeleteClient,
    /// `POST /clients/{id}/secret`.
    RotateClientSecret,
    /// `POST /clients/{id}/revoke`.
    RevokeClientTokens,
    /// `GET /families`.
    ListRefreshFamilies,
    /// `DELETE /families/{id}`.
    RevokeRefreshFamily,
    /// `GET /sessions`.
    ListSessions,
    /// `DELETE /sessions`.
    RevokeSessions,
    /// `GET /sessions/{id}`.
    GetSession,
    /// `DELETE /sessions/{id}`.
    RevokeSession,
    /// `GET /consents`.
    ListConsents,
    /// `DELETE /consents/{id}`.
    WithdrawConsent,
    /// `GET /keys`.
    ListSigningKeys,
    /// `POST /keys/rotate`.
    RotateSigningKey,
    /// `GET /policies`.
    ListPolicies,
    /// `GET /policies/{id}`.
    GetPolicy,
    /// `PUT /policies/{id}`.
    PutPolicy,
    /// `DELETE /policies/{id}`.
    DeletePolicy,
    /// `GET /scope-mappings`.
    ListScopeMappings,
    /// `PUT /scope-mappings/{id}`.
    PutScopeMapping,
    /// `DELETE /scope-mappings/{id}`.
    DeleteScopeMapping,
    /// `GET /tenants`.
    ListTenants,
    /// `GET /audit`.
    QueryAudit,
    /// `GET /backup`.
    BackupStore,
    /// `POST /restore`.
    RestoreStore,
    /// `GET /openapi.json`.
    OpenApi,
    /// `GET /webhooks/deliveries`.
    ListWebhookDeliveries,
    /// `POST /webhooks/deliveries/{id}/replay`.
    ReplayWebhookDelivery,
}

impl Operation {
    /// The OpenAPI `operationId`.
    pub fn id(self) -> &'static str {
        match self {
            Operation::ListClients => "listClients",
            Operation::CreateClient => "createClient",
            Operation::GetClient => "getClient",
            Operation::UpdateClient => "updateClient",
            Operation::DeleteClient => "deleteClient",
            Operation::RotateClientSecret => "rotateClientSecret",
            Operation::RevokeClientTokens => "revokeClientTokens",
            Operation::ListRefreshFamilies => "listRefreshFamilies",
            Operation::RevokeRefreshFamily => "revokeRefreshFamily",
            Operation::ListSessions => "listSessions",
            Operation::RevokeSessions => "revokeSessions",
            Operation::GetSession => "getSession",
            Operation::RevokeSession => "revokeSession",
            Operation::ListConsents => "listConsents",
            Operation::WithdrawConsent => "withdrawConsent",
            Operation::ListSigningKeys => "listSigningKeys",
            Operation::RotateSigningKey => "rotateSigningKey",
            Operation::ListPolicies => "listPolicies",
            Operation::GetPolicy => "getPolicy",
            Operation::PutPolicy => "putPolicy",
            Operation::DeletePolicy => "deletePolicy",
            Operation::ListScopeMappings => "listScopeMappings",
            Operation::PutScopeMapping => "putScopeMapping",
            Operation::DeleteScopeMapping => "deleteScopeMapping",
            Operation::ListTenants => "listTenants",
            Operation::QueryAudit => "queryAudit",
            Operation::BackupStore => "backupStore",
            Operation::RestoreStore => "restoreStore",
            Operation::OpenApi => "openapi",
            Operation::ListWebhookDeliveries => "listWebhookDeliveries",
            Operation::ReplayWebhookDelivery => "replayWebhookDelivery",
        }
    }

    /// Its route.
    pub fn route(self) -> Option<&'static Route> {
        ROUTES.iter().find(|r| r.operation == self)
    }
}

/// Adds a type's schema to the generator and answers a reference to it (or the schema itself,
/// for types that are not referenceable).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// A request or response body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// JSON, described by a type's schema.
    Json(SchemaFn),
    /// Raw bytes of this media type.
    Binary(&'static str),
}

/// One admin route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path below [`super::PREFIX`], in OpenAPI (and axum) template syntax:
    /// `/clients/{id}`.
    pub path: &'static str,
    /// The operation.
    pub operation: Operation,
    /// One line for people.
    pub summary: &'static str,
    /// What `{id}` in the path is, when the path has it.
    pub id: Option<&'static str>,
    /// The query parameters: a struct whose fields are the parameters.
    pub query: Option<SchemaFn>,
    /// The request body.
    pub request: Option<Body>,
    /// The success status.
    pub status: u16,
    /// The success body.
    pub response: Option<Body>,
    /// The error statuses the route answers besides 401 (no valid admin token), each with an
    /// [`ErrorBody`](super::ErrorBody).
    pub errors: &'static [u16],
}

impl Route {
    /// The path below [`super::PREFIX`] with `{id}` replaced by `id`, percent-encoded as one
    /// path segment (`/scope-mappings/read%3Alogs-%2A`).
    pub fn path_with(&self, id: &str) -> String {
        let segment = utf8_percent_encode(id, UNRESERVED_KEPT).to_string();
        self.path.replace("{id}", &segment)
    }

    /// The OpenAPI tag: what the route works on.
    pub fn tag(&self) -> &'static str {
        match self.path.split('/').nth(1) {
            Some("backup" | "restore") => "store",
            Some("openapi.json") | None => "openapi",
            Some(first) => first,
        }
    }
}

fn reference<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

fn inline<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    T::json_schema(g)
}

fn openapi_document(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "description": "an OpenAPI 3.1 document",
        "required": ["openapi", "info", "paths"],
    })
}

const fn json(f: SchemaFn) -> Option<Body> {
    Some(Body::Json(f))
}

/// What an error status means, for the document.
pub fn error_description(status: u16) -> &'static str {
    match status {
        400 => {
            "the body, the path or the query is invalid (or a bulk delete names no filter); nothing changed"
        }
        401 => "no valid admin token",
        404 => "no such item",
        409 => {
            "the client is declared in the configuration file (change it there), or the id is taken"
        }
        413 => "the body is too large (answered as plain text)",
        415 => "the body is not `application/json`",
        501 => "this server has no policies to manage",
        500 => "the server could not handle the request; details are in its log",
        503 => {
            "the store is locked or its disk is full (`store_busy`, `store_full`); nothing changed, retry after `Retry-After`"
        }
        _ => "an error",
    }
}

const CLIENT_ID: Option<&str> = Some("the client id");
const POLICY_NAME: Option<&str> = Some("the policy name");
const SESSION_ID: Option<&str> = Some("the session id");
const CONSENT_ID: Option<&str> = Some("the consent id");
const SCOPE: Option<&str> = Some("the scope (`read:logs-*`), percent-encoded as a path segment");

/// Every admin route.
#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    Route { method: Method::Get, path: "/clients", operation: Operation::ListClients, summary: "List every client", id: None, query: None, request: None, status: 200, response: json(reference::<ClientList>), errors: &[500] },
    Route { method: Method::Post, path: "/clients", operation: Operation::CreateClient, summary: "Create a client; its secret is answered once", id: None, query: None, request: json(reference::<ClientSpec>), status: 201, response: json(reference::<ClientWithSecret>), errors: &[400, 409, 415, 500] },
    Route { method: Method::Get, path: "/clients/{id}", operation: Operation::GetClient, summary: "Get one client", id: CLIENT_ID, query: None, request: None, status: 200, response: json(reference::<Client>), errors: &[404, 500] },
    Route { method: Method::Put, path: "/clients/{id}", operation: Operation::UpdateClient, summary: "Replace a client's scopes, grants, tenant and lifetime", id: CLIENT_ID, query: None, request: json(reference::<ClientSpec>), status: 200, response: json(reference::<Client>), errors: &[400, 404, 409, 415, 500] },
    Route { method: Method::Delete, path: "/clients/{id}", operation: Operation::DeleteClient, summary: "Delete a client and revoke every token it holds", id: CLIENT_ID, query: None, request: None, status: 204, response: None, errors: &[404, 409, 500] },
    Route { method: Method::Post, path: "/clients/{id}/secret", operation: Operation::RotateClientSecret, summary: "Replace a client's secret; the new one is answered once", id: CLIENT_ID, query: None, request: None, status: 200, response: json(reference::<ClientSecret>), errors: &[404, 409, 500] },
    Route { method: Method::Post, path: "/clients/{id}/revoke", operation: Operation::RevokeClientTokens, summary: "Revoke every token issued to a client so far", id: CLIENT_ID, query: None, request: None, status: 200, response: json(reference::<ClientRevocation>), errors: &[404, 500] },
    Route { method: Method::Get, path: "/families", operation: Operation::ListRefreshFamilies, summary: "List active refresh-token families (filter: client_id)", id: None, query: Some(inline::<FamilyQuery>), request: None, status: 200, response: json(reference::<RefreshFamilyList>), errors: &[400, 500] },
    Route { method: Method::Delete, path: "/families/{id}", operation: Operation::RevokeRefreshFamily, summary: "Revoke a refresh-token family and its access tokens", id: Some("the family id"), query: None, request: None, status: 204, response: None, errors: &[404, 500] },
    Route { method: Method::Get, path: "/sessions", operation: Operation::ListSessions, summary: "List active interactive sessions (filters: user, client_id, tenant)", id: None, query: Some(inline::<SessionQuery>), request: None, status: 200, response: json(reference::<SessionList>), errors: &[400, 500] },
    Route { method: Method::Delete, path: "/sessions", operation: Operation::RevokeSessions, summary: "Revoke every session of a user, a client or a tenant (at least one filter), with their refresh families and access tokens", id: None, query: Some(inline::<SessionQuery>), request: None, status: 200, response: json(reference::<SessionRevocation>), errors: &[400, 500] },
    Route { method: Method::Get, path: "/sessions/{id}", operation: Operation::GetSession, summary: "Get one session, ended or not", id: SESSION_ID, query: None, request: None, status: 200, response: json(reference::<Session>), errors: &[404, 500] },
    Route { method: Method::Delete, path: "/sessions/{id}", operation: Operation::RevokeSession, summary: "Revoke a session: its refresh family and its access tokens", id: SESSION_ID, query: None, request: None, status: 200, response: json(reference::<SessionRevocation>), errors: &[404, 500] },
    Route { method: Method::Get, path: "/consents", operation: Operation::ListConsents, summary: "List remembered consents (filters: user, client_id)", id: None, query: Some(inline::<ConsentQuery>), request: None, status: 200, response: json(reference::<ConsentList>), errors: &[400, 500] },
    Route { method: Method::Delete, path: "/consents/{id}", operation: Operation::WithdrawConsent, summary: "Withdraw a consent: the sessions relying on it end, the next sign-in asks again", id: CONSENT_ID, query: None, request: None, status: 200, response: json(reference::<ConsentWithdrawal>), errors: &[404, 500] },
    Route { method: Method::Get, path: "/keys", operation: Operation::ListSigningKeys, summary: "List signing keys", id: None, query: None, request: None, status: 200, response: json(reference::<SigningKeyList>), errors: &[500] },
    Route { method: Method::Post, path: "/keys/rotate", operation: Operation::RotateSigningKey, summary: "Start signing with a new key; the old one stays published", id: None, query: None, request: None, status: 200, response: json(reference::<RotatedKey>), errors: &[500] },
    Route { method: Method::Get, path: "/policies", operation: Operation::ListPolicies, summary: "List the Cedar policies added through this API", id: None, query: None, request: None, status: 200, response: json(reference::<PolicyList>), errors: &[501] },
    Route { method: Method::Get, path: "/policies/{id}", operation: Operation::GetPolicy, summary: "Get one policy", id: POLICY_NAME, query: None, request: None, status: 200, response: json(reference::<Policy>), errors: &[404, 501] },
    Route { method: Method::Put, path: "/policies/{id}", operation: Operation::PutPolicy, summary: "Create or replace a Cedar policy; validated first, live on the next request", id: POLICY_NAME, query: None, request: json(reference::<PolicySpec>), status: 200, response: json(reference::<Policy>), errors: &[400, 415, 500, 501] },
    Route { method: Method::Delete, path: "/policies/{id}", operation: Operation::DeletePolicy, summary: "Delete a policy", id: POLICY_NAME, query: None, request: None, status: 204, response: None, errors: &[404, 500, 501] },
    Route { method: Method::Get, path: "/scope-mappings", operation: Operation::ListScopeMappings, summary: "List scope → role mappings (configuration and API)", id: None, query: None, request: None, status: 200, response: json(reference::<ScopeMappingList>), errors: &[501] },
    Route { method: Method::Put, path: "/scope-mappings/{id}", operation: Operation::PutScopeMapping, summary: "Create or replace the roles of a scope", id: SCOPE, query: None, request: json(reference::<MappingSpec>), status: 200, response: json(reference::<ScopeMapping>), errors: &[400, 415, 500, 501] },
    Route { method: Method::Delete, path: "/scope-mappings/{id}", operation: Operation::DeleteScopeMapping, summary: "Delete a scope mapping made through this API", id: SCOPE, query: None, request: None, status: 204, response: None, errors: &[400, 404, 500, 501] },
    Route { method: Method::Get, path: "/tenants", operation: Operation::ListTenants, summary: "List tenants: the built-in issuer and each OpenID provider", id: None, query: None, request: None, status: 200, response: json(reference::<TenantList>), errors: &[] },
    Route { method: Method::Get, path: "/audit", operation: Operation::QueryAudit, summary: "Audit events, newest first (filters: kind, client_id, since, limit)", id: None, query: Some(inline::<AuditQuery>), request: None, status: 200, response: json(reference::<AuditList>), errors: &[400, 500] },
    Route { method: Method::Get, path: "/backup", operation: Operation::BackupStore, summary: "The whole store as one SQLite file (application/vnd.sqlite3)", id: None, query: None, request: None, status: 200, response: Some(Body::Binary(BACKUP_MEDIA_TYPE)), errors: &[500] },
    Route { method: Method::Post, path: "/restore", operation: Operation::RestoreStore, summary: "Replace the store with a backup file (body: the SQLite file); a backup whose keys do not decrypt or whose policies do not build is refused", id: None, query: None, request: Some(Body::Binary(BACKUP_MEDIA_TYPE)), status: 200, response: json(reference::<RestoreSummary>), errors: &[400, 413, 500] },
    Route { method: Method::Get, path: "/webhooks/deliveries", operation: Operation::ListWebhookDeliveries, summary: "Webhook deliveries, newest first (filters: status, limit); `status=dead` lists the dead letters", id: None, query: Some(inline::<DeliveryQuery>), request: None, status: 200, response: json(reference::<WebhookDeliveryList>), errors: &[400, 500] },
    Route { method: Method::Post, path: "/webhooks/deliveries/{id}/replay", operation: Operation::ReplayWebhookDelivery, summary: "Deliver a dead or delivered webhook event again, with the same webhook-id; a pending one is left as it is", id: Some("the delivery's webhook-id"), query: None, request: None, status: 200, response: json(reference::<WebhookDelivery>), errors: &[404, 500] },
    Route { method: Method::Get, path: "/openapi.json", operation: Operation::OpenApi, summary: "This document", id: None, query: None, request: None, status: 200, response: json(openapi_document), errors: &[] },
];
