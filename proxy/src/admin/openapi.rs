//! `/admin/openapi.json`: an OpenAPI 3.1 document built from the route table, so every
//! served route is described and every described route is served.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{AdminResult, PREFIX, json, routes};
use crate::authz::AuthServer;

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema_ref("Error") } },
    })
}

fn schemas() -> Value {
    let client = json!({
        "type": "object",
        "required": ["client_id", "scopes", "grant_types", "tenant", "source"],
        "properties": {
            "client_id": { "type": "string" },
            "scopes": { "type": "array", "items": { "type": "string" } },
            "grant_types": { "type": "array", "items": { "enum": ["authorization_code", "client_credentials", "refresh_token", "token_exchange"] } },
            "tenant": { "type": "string" },
            "access_token_ttl": { "type": ["integer", "null"] },
            "redirect_uris": { "type": "array", "items": { "type": "string" } },
            "rate_limit": { "type": ["string", "null"] },
            "source": { "enum": ["config", "api"] },
        },
    });
    let mut with_secret = client.clone();
    if let Some(obj) = with_secret.as_object_mut() {
        obj.insert(
            "required".into(),
            json!([
                "client_id",
                "scopes",
                "grant_types",
                "tenant",
                "source",
                "client_secret"
            ]),
        );
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert(
                "client_secret".into(),
                json!({ "type": "string", "description": "shown once" }),
            );
        }
    }
    let list = |key: &str, item: &str| json!({ "type": "object", "required": [key], "properties": { key: { "type": "array", "items": schema_ref(item) } } });
    json!({
        "Error": {
            "type": "object",
            "required": ["error", "error_description"],
            "properties": { "error": { "type": "string" }, "error_description": { "type": "string" } },
        },
        "ClientSpec": {
            "type": "object",
            "additionalProperties": false,
            "required": ["scopes"],
            "properties": {
                "client_id": { "type": "string", "pattern": "^[A-Za-z0-9._~-]{1,128}$" },
                "scopes": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
                "grant_types": { "type": "array", "items": { "enum": ["authorization_code", "client_credentials", "refresh_token", "token_exchange"] } },
                "tenant": { "type": "string" },
                "access_token_ttl": { "type": "integer", "minimum": 1 },
                "redirect_uris": { "type": "array", "items": { "type": "string", "format": "uri" }, "maxItems": 10 },
                "rate_limit": { "type": "string", "examples": ["20/s", "100/min burst 20"] },
            },
        },
        "Client": client,
        "ClientWithSecret": with_secret,
        "ClientList": list("clients", "Client"),
        "ClientSecret": {
            "type": "object",
            "required": ["client_id", "client_secret"],
            "properties": { "client_id": { "type": "string" }, "client_secret": { "type": "string" } },
        },
        "Revocation": {
            "type": "object",
            "required": ["client_id", "revoked"],
            "properties": {
                "client_id": { "type": "string" },
                "revoked": { "type": "boolean" },
                "refresh_family_access_tokens": { "type": "integer" },
            },
        },
        "Family": {
            "type": "object",
            "properties": {
                "family_id": { "type": "string" }, "client_id": { "type": "string" },
                "scope": { "type": "string" }, "audience": { "type": "string" },
                "created_at": { "type": "integer" }, "last_issued_at": { "type": "integer" },
                "expires_at": { "type": "integer" },
            },
        },
        "FamilyList": list("families", "Family"),
        "Key": {
            "type": "object",
            "properties": {
                "kid": { "type": "string" }, "alg": { "type": "string" },
                "created_at": { "type": "integer" }, "retired_at": { "type": ["integer", "null"] },
                "active": { "type": "boolean" }, "published": { "type": "boolean" },
            },
        },
        "KeyList": list("keys", "Key"),
        "AuditEvent": {
            "type": "object",
            "properties": {
                "at": { "type": "integer" }, "kind": { "type": "string" },
                "client_id": { "type": ["string", "null"] }, "detail": { "type": "object" },
            },
        },
        "AuditList": list("events", "AuditEvent"),
        "PolicySpec": {
            "type": "object",
            "additionalProperties": false,
            "required": ["policy"],
            "properties": { "tenant": { "type": "string" }, "policy": { "type": "string", "description": "Cedar" } },
        },
        "Policy": {
            "type": "object",
            "properties": { "name": { "type": "string" }, "tenant": { "type": "string" }, "policy": { "type": "string" } },
        },
        "PolicyList": list("policies", "Policy"),
        "MappingSpec": {
            "type": "object",
            "additionalProperties": false,
            "required": ["roles"],
            "properties": { "roles": { "type": "array", "items": { "type": "string" }, "minItems": 1 } },
        },
        "Mapping": {
            "type": "object",
            "properties": {
                "scope": { "type": "string" },
                "roles": { "type": "array", "items": { "type": "string" } },
                "source": { "enum": ["config", "api"] },
            },
        },
        "MappingList": list("mappings", "Mapping"),
        "Tenant": {
            "type": "object",
            "properties": {
                "name": { "type": "string" }, "issuer": { "type": "string" },
                "login": { "type": "boolean" }, "policies": { "type": "integer" },
            },
        },
        "TenantList": list("tenants", "Tenant"),
    })
}

/// The document.
pub fn build(issuer: &str) -> Value {
    let mut paths = Map::new();
    for r in routes() {
        let mut responses = Map::new();
        responses.insert("401".into(), error_response("no valid admin token"));
        let (status, schema) = r.ok;
        let ok = match schema {
            Some(s) => json!({
                "description": "success",
                "content": { "application/json": { "schema": schema_ref(s) } },
            }),
            None => json!({ "description": "success" }),
        };
        responses.insert(status.to_string(), ok);
        let mut op = Map::new();
        op.insert("operationId".into(), json!(r.operation));
        op.insert("summary".into(), json!(r.summary));
        op.insert("security".into(), json!([{ "adminToken": [] }]));
        if r.path.contains("{id}") {
            op.insert(
                "parameters".into(),
                json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]),
            );
            responses.insert("404".into(), error_response("no such item"));
        }
        if let Some(req) = r.request {
            op.insert(
                "requestBody".into(),
                json!({
                    "required": true,
                    "content": { "application/json": { "schema": schema_ref(req) } },
                }),
            );
            responses.insert("400".into(), error_response("invalid body"));
        }
        if r.path.starts_with("/clients") && r.method != axum::http::Method::GET {
            responses.insert(
                "409".into(),
                error_response(
                    "the client is declared in the configuration file, or the id is taken",
                ),
            );
        }
        op.insert("responses".into(), Value::Object(responses));
        let entry = paths
            .entry(format!("{PREFIX}{}", r.path))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(methods) = entry.as_object_mut() {
            methods.insert(r.method.as_str().to_ascii_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "oauth4os admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Obtain an admin token with `POST /oauth/token` (grant_type=client_credentials, the admin client's credentials, scope=oauth4os:admin).",
        },
        "servers": [{ "url": issuer }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "adminToken": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": format!("{issuer}/oauth/token"),
                            "scopes": { "oauth4os:admin": "administer oauth4os" },
                        },
                    },
                },
            },
            "schemas": schemas(),
        },
    })
}

pub(super) async fn document(State(server): State<Arc<AuthServer>>) -> AdminResult {
    Ok(json(StatusCode::OK, &build(server.issuer())))
}
