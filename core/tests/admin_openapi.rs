//! The admin API's types and the OpenAPI document derived from them: every route the proxy
//! serves is documented, every reference resolves, and the bodies the proxy sends and accepts
//! (the shapes of its handlers and admin tests) validate against the derived schemas and
//! round-trip through the types, while renamed, missing or unknown fields fail.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::collections::{BTreeSet, HashSet};

use oauth4os_core::admin::{
    self, AuditList, AuditQuery, Client, ClientList, ClientRevocation, ClientSecret, ClientSpec,
    ClientWithSecret, ErrorBody, FamilyQuery, GrantType, MappingSpec, Method, Operation, Policy,
    PolicyList, PolicySpec, ROUTES, RefreshFamilyList, RestoreSummary, RotatedKey, ScopeMapping,
    ScopeMappingList, SigningKeyList, Source, TenantList, WebhookDelivery, WebhookDeliveryList,
};
use oauth4os_core::admin::{
    ConsentList, ConsentWithdrawal, Session, SessionList, SessionQuery, SessionRevocation,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const ISSUER: &str = "https://auth.example";

fn document() -> Value {
    admin::openapi(ISSUER)
}

/// Every `$ref` in a value.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Every object schema with properties and no word on others refuses others: a body with a
/// renamed or an extra field fails.
fn strict(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            m.values_mut().for_each(strict);
        }
        Value::Array(a) => a.iter_mut().for_each(strict),
        _ => {}
    }
}

/// A validator for the named component schema, against the whole document so references
/// resolve; `strict` as above.
fn validator(name: &str, strict_objects: bool) -> jsonschema::Validator {
    let mut components = document()["components"].clone();
    if strict_objects {
        strict(&mut components);
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": components,
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance).map(|e| e.to_string()).collect()
}

/// The (method, path) pairs of the proxy's hand-written document before it was derived from
/// the types (`proxy/src/auth/admin/mod.rs`, `routes()`): all must stay.
const PROXY_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/clients"),
    ("POST", "/admin/clients"),
    ("GET", "/admin/clients/{id}"),
    ("PUT", "/admin/clients/{id}"),
    ("DELETE", "/admin/clients/{id}"),
    ("POST", "/admin/clients/{id}/secret"),
    ("POST", "/admin/clients/{id}/revoke"),
    ("GET", "/admin/families"),
    ("DELETE", "/admin/families/{id}"),
    ("GET", "/admin/sessions"),
    ("DELETE", "/admin/sessions"),
    ("GET", "/admin/sessions/{id}"),
    ("DELETE", "/admin/sessions/{id}"),
    ("GET", "/admin/consents"),
    ("DELETE", "/admin/consents/{id}"),
    ("GET", "/admin/keys"),
    ("POST", "/admin/keys/rotate"),
    ("GET", "/admin/policies"),
    ("GET", "/admin/policies/{id}"),
    ("PUT", "/admin/policies/{id}"),
    ("DELETE", "/admin/policies/{id}"),
    ("GET", "/admin/scope-mappings"),
    ("PUT", "/admin/scope-mappings/{id}"),
    ("DELETE", "/admin/scope-mappings/{id}"),
    ("GET", "/admin/tenants"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/backup"),
    ("POST", "/admin/restore"),
    ("GET", "/admin/openapi.json"),
    ("GET", "/admin/webhooks/deliveries"),
    ("POST", "/admin/webhooks/deliveries/{id}/replay"),
];

#[test]
fn the_document_has_exactly_the_proxys_routes() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], ISSUER);
    let mut documented = BTreeSet::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = PROXY_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, expected);
    assert_eq!(
        ROUTES.len(),
        PROXY_ROUTES.len(),
        "one route per method and path"
    );
}

#[test]
fn operations_are_unique_and_each_documents_the_guard() {
    let doc = document();
    let mut ids = HashSet::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (m, op) in methods.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "duplicate {id}");
            assert_eq!(
                op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{m} {path}"
            );
            assert_eq!(
                op["security"],
                json!([{ "adminToken": ["oauth4os:admin"] }])
            );
            let templated = path.contains("{id}");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let has_id = params
                .iter()
                .any(|p| p["name"] == "id" && p["in"] == "path");
            assert_eq!(templated, has_id, "{m} {path}: path parameter");
        }
    }
    let mut seen = HashSet::new();
    for r in ROUTES {
        assert!(seen.insert(r.operation), "{:?} twice", r.operation);
        assert_eq!(r.operation.route().map(|x| x.path), Some(r.path));
        assert!(r.path.starts_with('/'));
        assert!(!r.errors.contains(&401), "401 is added to every route");
    }
}

#[test]
fn every_reference_resolves_and_every_json_body_has_a_schema() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 40, "{}", all.len());
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r} is not a component reference"));
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
    for r in ROUTES {
        let op = &doc["paths"][format!("/admin{}", r.path)][r.method.as_str().to_lowercase()];
        let ok = &op["responses"][r.status.to_string()];
        match r.response {
            Some(admin::Body::Json(_)) => assert!(
                ok["content"]["application/json"]["schema"].is_object(),
                "{:?}",
                r.operation
            ),
            Some(admin::Body::Binary(t)) => assert!(ok["content"][t].is_object()),
            None => assert!(ok.get("content").is_none(), "{:?}", r.operation),
        }
        match r.request {
            Some(admin::Body::Json(_)) => {
                let s = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
                assert!(s.is_string(), "{:?}", r.operation);
                for status in [400, 415] {
                    assert!(r.errors.contains(&status), "{:?} {status}", r.operation);
                }
            }
            Some(admin::Body::Binary(t)) => {
                assert!(op["requestBody"]["content"][t].is_object());
            }
            None => assert!(op.get("requestBody").is_none()),
        }
    }
    // Each derived schema is a valid JSON Schema 2020-12 (the dialect of OpenAPI 3.1).
    for (name, schema) in schemas {
        let mut s = schema.clone();
        s["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        assert!(jsonschema::meta::is_valid(&s), "{name}: {schema}");
    }
    assert_eq!(
        &admin::schemas(),
        schemas,
        "schemas() is what the document holds"
    );
}

#[test]
fn the_routes_that_name_a_body_use_the_expected_schemas() {
    let doc = document();
    let schema_of = |op: &str, status: &str| -> String {
        for methods in doc["paths"].as_object().unwrap().values() {
            for o in methods.as_object().unwrap().values() {
                if o["operationId"] == op {
                    let v = if status == "request" {
                        &o["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    } else {
                        &o["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                    };
                    return v
                        .as_str()
                        .unwrap_or("")
                        .replace("#/components/schemas/", "");
                }
            }
        }
        panic!("no {op}")
    };
    for (op, status, schema) in [
        ("createClient", "request", "ClientSpec"),
        ("createClient", "201", "ClientWithSecret"),
        ("updateClient", "request", "ClientSpec"),
        ("updateClient", "200", "Client"),
        ("getClient", "200", "Client"),
        ("listClients", "200", "ClientList"),
        ("rotateClientSecret", "200", "ClientSecret"),
        ("revokeClientTokens", "200", "ClientRevocation"),
        ("listRefreshFamilies", "200", "RefreshFamilyList"),
        ("listSigningKeys", "200", "SigningKeyList"),
        ("rotateSigningKey", "200", "RotatedKey"),
        ("listPolicies", "200", "PolicyList"),
        ("getPolicy", "200", "Policy"),
        ("putPolicy", "request", "PolicySpec"),
        ("putPolicy", "200", "Policy"),
        ("listScopeMappings", "200", "ScopeMappingList"),
        ("putScopeMapping", "request", "MappingSpec"),
        ("putScopeMapping", "200", "ScopeMapping"),
        ("listTenants", "200", "TenantList"),
        ("queryAudit", "200", "AuditList"),
        ("restoreStore", "200", "RestoreSummary"),
        ("listSessions", "200", "SessionList"),
        ("getSession", "200", "Session"),
        ("revokeSession", "200", "SessionRevocation"),
        ("revokeSessions", "200", "SessionRevocation"),
        ("revokeSessions", "400", "ErrorBody"),
        ("listConsents", "200", "ConsentList"),
        ("withdrawConsent", "200", "ConsentWithdrawal"),
        ("listWebhookDeliveries", "200", "WebhookDeliveryList"),
        ("replayWebhookDelivery", "200", "WebhookDelivery"),
        ("createClient", "409", "ErrorBody"),
        ("deletePolicy", "501", "ErrorBody"),
    ] {
        assert_eq!(schema_of(op, status), schema, "{op} {status}");
    }
}

#[test]
fn query_parameters_are_derived_from_the_query_types() {
    let doc = document();
    let params = |path: &str| doc["paths"][path]["get"]["parameters"].clone();
    let audit = params("/admin/audit");
    let names: BTreeSet<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["kind", "client_id", "since", "limit"])
    );
    for p in audit.as_array().unwrap() {
        assert_eq!(p["in"], "query");
        assert_eq!(p["required"], false);
        assert!(p["description"].is_string(), "{p}");
        assert!(p["schema"]["type"].is_string(), "no null in a query: {p}");
    }
    let limit = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 1000);
    let families = params("/admin/families");
    assert_eq!(families.as_array().unwrap().len(), 1);
    assert_eq!(families[0]["name"], "client_id");

    let q = AuditQuery {
        kind: Some("client_created".into()),
        client_id: Some("a b&c".into()),
        since: Some(5),
        limit: Some(10),
    };
    assert_eq!(
        q.to_query_string(),
        "kind=client_created&client_id=a%20b%26c&since=5&limit=10"
    );
    assert_eq!(AuditQuery::default().to_query_string(), "");
    let f = FamilyQuery {
        client_id: Some("agent".into()),
    };
    assert_eq!(f.to_query_string(), "client_id=agent");
    // The session filters are documented on the list and on the bulk revocation alike.
    for method in ["get", "delete"] {
        let names: BTreeSet<&str> = doc["paths"]["/admin/sessions"][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            BTreeSet::from(["user", "client_id", "tenant"]),
            "{method}"
        );
    }
    let q = SessionQuery {
        user: Some("alice@example".into()),
        ..SessionQuery::default()
    };
    assert_eq!(q.to_query_string(), "user=alice%40example");
    assert!(!q.is_empty() && SessionQuery::default().is_empty());
    let hooks = params("/admin/webhooks/deliveries");
    let status = hooks
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap();
    assert_eq!(status["schema"]["type"], "string", "{status}");
    assert_eq!(
        status["schema"]["enum"],
        json!(["pending", "delivered", "dead"])
    );
    let q = admin::DeliveryQuery {
        status: Some(admin::DeliveryStatus::Dead),
        limit: Some(5),
    };
    assert_eq!(q.to_query_string(), "status=dead&limit=5");
    assert_eq!(admin::AUDIT_DEFAULT_LIMIT, 100);
    assert_eq!(admin::AUDIT_MAX_LIMIT, 1000);
}

/// Deserializes into `T` and serializes back: the JSON must come out as it went in.
fn round_trip<T: DeserializeOwned + Serialize>(v: &Value) -> Result<Value, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&t).map_err(|e| e.to_string())
}

type RoundTrip = fn(&Value) -> Result<Value, String>;

fn round_trip_for(schema: &str) -> RoundTrip {
    match schema {
        "ClientSpec" => round_trip::<ClientSpec>,
        "Client" => round_trip::<Client>,
        "ClientWithSecret" => round_trip::<ClientWithSecret>,
        "ClientList" => round_trip::<ClientList>,
        "ClientSecret" => round_trip::<ClientSecret>,
        "ClientRevocation" => round_trip::<ClientRevocation>,
        "RefreshFamilyList" => round_trip::<RefreshFamilyList>,
        "SigningKeyList" => round_trip::<SigningKeyList>,
        "RotatedKey" => round_trip::<RotatedKey>,
        "PolicySpec" => round_trip::<PolicySpec>,
        "Policy" => round_trip::<Policy>,
        "PolicyList" => round_trip::<PolicyList>,
        "MappingSpec" => round_trip::<MappingSpec>,
        "ScopeMapping" => round_trip::<ScopeMapping>,
        "ScopeMappingList" => round_trip::<ScopeMappingList>,
        "TenantList" => round_trip::<TenantList>,
        "AuditList" => round_trip::<AuditList>,
        "RestoreSummary" => round_trip::<RestoreSummary>,
        "Session" => round_trip::<Session>,
        "SessionList" => round_trip::<SessionList>,
        "SessionRevocation" => round_trip::<SessionRevocation>,
        "ConsentList" => round_trip::<ConsentList>,
        "ConsentWithdrawal" => round_trip::<ConsentWithdrawal>,
        "ErrorBody" => round_trip::<ErrorBody>,
        "WebhookDelivery" => round_trip::<WebhookDelivery>,
        "WebhookDeliveryList" => round_trip::<WebhookDeliveryList>,
        other => panic!("no type for {other}"),
    }
}

fn session() -> Value {
    json!({
        "session_id": "s-1", "user": "alice", "tenant": "acme", "client_id": "web-app",
        "created_at": 1_764_700_000, "last_used_at": 1_764_700_600, "expires_at": 1_767_292_600,
        "user_agent": "Mozilla/5.0", "address": "192.0.2.7", "family_id": "f-1",
        "consent_id": "c-1", "active": true, "ended_at": null, "ended_reason": null,
    })
}

const SECRET: &str = "q3yC5T2n9mA0bX7kR4vW1zL8pE6sD3fG2hJ5kM9nQ0w";

fn dead_letter() -> Value {
    json!({
        "id": "msg_9a8b7c6d5e4f30211203f4e5d6c7b8a9", "endpoint": "https://hooks.example/oauth4os",
        "event_type": "refresh.reuse_detected", "status": "dead", "attempts": 8,
        "next_attempt_at_ms": 1_764_703_600_000_i64, "last_error": "the endpoint answered 503",
        "created_at": 1_764_700_000, "delivered_at": null,
        "payload": {"type": "refresh.reuse_detected", "timestamp": "2025-12-02T18:26:40Z", "data": {"client_id": "agent", "family_id": "f-1"}},
    })
}

fn ci_client() -> Value {
    json!({
        "client_id": "ci", "scopes": ["read:logs-*", "write:logs-app"],
        "grant_types": ["client_credentials"], "tenant": "default", "access_token_ttl": null,
        "redirect_uris": [], "rate_limit": null, "source": "config",
        "token_endpoint_auth_method": "client_secret_basic",
        "tls_client_certificate_bound_access_tokens": true, "allowed_ips": [],
        "public": false, "audiences": [],
    })
}

/// Bodies as the proxy sends and accepts them today (its handlers and its admin tests).
fn real_bodies() -> Vec<(&'static str, Value)> {
    let bot = json!({
        "client_id": "bot-1", "scopes": ["read:logs-*", "write:logs-bot"],
        "grant_types": ["client_credentials", "refresh_token"], "tenant": "acme",
        "access_token_ttl": 120, "redirect_uris": [], "rate_limit": null, "source": "api",
        "token_endpoint_auth_method": "client_secret_basic",
        "tls_client_certificate_bound_access_tokens": true, "allowed_ips": [],
        "public": false, "audiences": [],
    });
    let mut created = bot.clone();
    created["client_secret"] = json!(SECRET);
    let ui = json!({
        "client_id": "ui", "scopes": ["read:dash-*"],
        "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"],
        "tenant": "okta", "access_token_ttl": 300,
        "redirect_uris": ["https://ui.example/callback", "http://127.0.0.1:8765/cb"],
        "rate_limit": "100/min burst 20", "source": "api",
        "token_endpoint_auth_method": "client_secret_basic",
        "tls_client_certificate_bound_access_tokens": true, "allowed_ips": [],
        "public": false, "audiences": [],
    });
    let forbid = "forbid (principal, action, resource is OAuth4os::Index) when { resource.name like \"xp-secret*\" };";
    vec![
        (
            "ClientSpec",
            json!({"client_id": "bot-1", "scopes": ["read:logs-*", "write:logs-bot"], "grant_types": ["client_credentials", "refresh_token"], "tenant": "acme", "access_token_ttl": 120}),
        ),
        ("ClientSpec", json!({"scopes": ["monitor:*"]})),
        (
            "ClientSpec",
            json!({"client_id": "edge", "scopes": ["read:logs-*"], "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=edge,O=Example", "allowed_ips": ["10.0.0.0/8", "2001:db8::/32"]}),
        ),
        (
            "Client",
            json!({"client_id": "edge", "scopes": ["read:logs-*"], "grant_types": ["client_credentials"], "tenant": "default", "access_token_ttl": null, "redirect_uris": [], "rate_limit": null, "source": "api", "token_endpoint_auth_method": "self_signed_tls_client_auth", "tls_client_certificate_thumbprints": ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], "tls_client_certificate_bound_access_tokens": true, "allowed_ips": ["10.0.0.0/8"], "public": false, "audiences": []}),
        ),
        (
            "ClientSpec",
            json!({"client_id": "slow", "scopes": ["read:xp-logs-a"], "rate_limit": "1/min"}),
        ),
        (
            "ClientSpec",
            json!({"client_id": "ui", "scopes": ["read:dash-*"], "grant_types": ["authorization_code", "token_exchange"], "redirect_uris": ["https://ui.example/callback"]}),
        ),
        ("ClientWithSecret", created),
        (
            "ClientSpec",
            json!({"client_id": "claude-code", "scopes": ["read:logs-*"], "grant_types": ["authorization_code", "refresh_token"], "redirect_uris": ["http://127.0.0.1/callback"], "public": true, "audiences": ["https://proxy.example:8443/mcp"]}),
        ),
        (
            "ClientWithSecret",
            json!({"client_id": "claude-code", "scopes": ["read:logs-*"], "grant_types": ["authorization_code", "refresh_token"], "tenant": "default", "access_token_ttl": null, "redirect_uris": ["http://127.0.0.1/callback"], "rate_limit": null, "source": "api", "token_endpoint_auth_method": "none", "public": true, "tls_client_certificate_bound_access_tokens": true, "allowed_ips": [], "audiences": ["https://proxy.example:8443/mcp"]}),
        ),
        ("Client", bot.clone()),
        ("Client", ci_client()),
        ("Client", ui.clone()),
        ("ClientList", json!({"clients": [ci_client(), bot, ui]})),
        ("ClientList", json!({"clients": []})),
        (
            "ClientSecret",
            json!({"client_id": "bot-1", "client_secret": SECRET}),
        ),
        (
            "ClientRevocation",
            json!({"client_id": "ci", "revoked": true, "refresh_family_access_tokens": 2}),
        ),
        (
            "RefreshFamilyList",
            json!({"families": [{
                "family_id": "f-6Jq2", "client_id": "agent", "scope": "read:logs-*",
                "audience": "https://search.example", "created_at": 1_764_700_000,
                "last_issued_at": 1_764_700_060, "expires_at": 1_767_292_060,
            }]}),
        ),
        (
            "SigningKeyList",
            json!({"keys": [
                {"kid": "k-old", "alg": "ES256", "created_at": 1_764_000_000, "retired_at": 1_764_700_000, "active": false, "published": true},
                {"kid": "k-new", "alg": "ES256", "created_at": 1_764_700_000, "retired_at": null, "active": true, "published": true},
            ]}),
        ),
        (
            "RotatedKey",
            json!({"kid": "k-new", "alg": "ES256", "active": true, "published": true}),
        ),
        ("PolicySpec", json!({"policy": forbid})),
        ("PolicySpec", json!({"tenant": "acme", "policy": forbid})),
        (
            "Policy",
            json!({"name": "no-secret", "tenant": "default", "policy": forbid}),
        ),
        (
            "PolicyList",
            json!({"policies": [{"name": "no-secret", "tenant": "default", "policy": forbid}]}),
        ),
        ("MappingSpec", json!({"roles": ["app_reader"]})),
        (
            "ScopeMapping",
            json!({"scope": "read:xp-logs-a", "roles": ["app_reader"], "source": "api"}),
        ),
        (
            "ScopeMappingList",
            json!({"mappings": [
                {"scope": "read:xp-logs-a", "roles": ["app_reader"], "source": "api"},
                {"scope": "read:xp-*", "roles": ["logs_reader"], "source": "config"},
            ]}),
        ),
        (
            "TenantList",
            json!({"tenants": [
                {"name": "default", "issuer": ISSUER, "login": false, "policies": 1},
                {"name": "okta", "issuer": "https://okta.example", "login": true, "policies": 0},
            ]}),
        ),
        (
            "AuditList",
            json!({"events": [
                {"at": 1_764_700_100, "kind": "client_created", "client_id": "aud-2", "detail": {"by": "oauth4os-admin"}},
                {"at": 1_764_700_000, "kind": "admin_token_issued", "client_id": null, "detail": {}},
                {"at": 1_764_699_000, "kind": "scope_mapping_put", "client_id": null, "detail": {"by": "oauth4os-admin", "scope": "read:x", "roles": ["r"]}},
            ]}),
        ),
        ("AuditList", json!({"events": []})),
        ("Session", session()),
        ("SessionList", json!({"sessions": [session()]})),
        ("SessionList", json!({"sessions": []})),
        (
            "SessionRevocation",
            json!({"sessions": ["s-1", "s-2"], "access_tokens": 3}),
        ),
        (
            "ConsentList",
            json!({"consents": [{
                "consent_id": "c-1", "user": "alice", "client_id": "web-app",
                "scope": "read:logs-*", "granted_at": 1_764_700_000, "expires_at": 1_767_292_000,
                "active": true,
            }]}),
        ),
        (
            "ConsentWithdrawal",
            json!({"consent_id": "c-1", "sessions": ["s-1"], "access_tokens": 2}),
        ),
        ("WebhookDelivery", dead_letter()),
        (
            "WebhookDeliveryList",
            json!({"deliveries": [dead_letter(), {
                "id": "msg_0f1e2d3c4b5a69788796a5b4c3d2e1f0", "endpoint": "https://hooks.example/oauth4os",
                "event_type": "token.issued", "status": "delivered", "attempts": 1,
                "next_attempt_at_ms": 1_764_700_000_000_i64, "last_error": null,
                "created_at": 1_764_700_000, "delivered_at": 1_764_700_001,
                "payload": {"type": "token.issued", "timestamp": "2025-12-02T18:26:40Z", "data": {"client_id": "agent", "jti": "j-1", "scope": "read:logs-*"}},
            }]}),
        ),
        ("WebhookDeliveryList", json!({"deliveries": []})),
        (
            "RestoreSummary",
            json!({"restored": true, "schema_version": 4, "clients": 3, "signing_keys": 1}),
        ),
        (
            "ErrorBody",
            json!({"error": "invalid_request", "error_description": "invalid body: unknown field `colour`, expected one of `client_id`, `scopes`", "reason": "bad_body"}),
        ),
        (
            "ErrorBody",
            json!({"error": "not_found", "error_description": "no client `bot-1`", "reason": "not_found"}),
        ),
        (
            "ErrorBody",
            json!({"error": "invalid_token", "error_description": "the token was revoked", "reason": "revoked"}),
        ),
        (
            "ErrorBody",
            json!({"error": "rate_limited", "error_description": "too many requests", "reason": "client_rate_limit", "retry_after": 3}),
        ),
    ]
}

#[test]
fn real_bodies_validate_and_round_trip_through_the_types() {
    let names: BTreeSet<&str> = real_bodies().iter().map(|(n, _)| *n).collect();
    let mut validators = std::collections::HashMap::new();
    for name in &names {
        validators.insert(*name, validator(name, true));
    }
    for (name, body) in real_bodies() {
        let errs = errors(&validators[name], &body);
        assert!(errs.is_empty(), "{name} {body}: {errs:?}");
        assert_eq!(round_trip_for(name)(&body).as_ref(), Ok(&body), "{name}");
    }
    // Every JSON body a route names has a real example above.
    let doc = document();
    let mut used = Vec::new();
    refs(&doc["paths"], &mut used);
    for r in used {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(names.contains(name), "no example of {name}");
    }
}

/// Bodies that must fail the schema: renamed, missing, extra or ill-typed fields, and values
/// the server refuses. `serde` says whether the type itself refuses them too.
fn bad_bodies() -> Vec<(&'static str, Value, bool)> {
    let mut renamed = ci_client();
    let id = renamed
        .as_object_mut()
        .unwrap()
        .remove("client_id")
        .unwrap();
    renamed["clientId"] = id;
    let mut missing = ci_client();
    missing.as_object_mut().unwrap().remove("rate_limit");
    let mut bad_source = ci_client();
    bad_source["source"] = json!("file");
    let mut bad_grant = ci_client();
    bad_grant["grant_types"] = json!(["token_exchange"]);
    let mut no_secret = ci_client();
    no_secret["secret"] = json!(SECRET);
    vec![
        ("ClientSpec", json!({"scopes": ["read:x"], "colour": "hunter2"}), true),
        ("ClientSpec", json!({"scopes": "read:x"}), true),
        ("ClientSpec", json!({"scopes": ["read:x"], "access_token_ttl": "hunter2"}), true),
        ("ClientSpec", json!({}), true),
        ("ClientSpec", json!({"scopes": []}), false),
        ("ClientSpec", json!({"scopes": ["read:a read:b"]}), false),
        ("ClientSpec", json!({"scopes": ["read:x"], "grant_types": ["password"]}), false),
        ("ClientSpec", json!({"scopes": ["read:x"], "client_id": "bad id!"}), false),
        ("ClientSpec", json!({"scopes": ["read:x"], "access_token_ttl": 0}), false),
        ("ClientSpec", json!({"scopes": ["read:x"], "tenant": ""}), false),
        ("Client", renamed, false),
        ("Client", missing, false),
        ("Client", bad_source, true),
        // A public client's answer has no `client_secret`, so the type cannot refuse this one;
        // the schema does.
        ("ClientWithSecret", no_secret, false),
        ("ClientSecret", json!({"client_id": "x"}), true),
        ("ClientRevocation", json!({"client_id": "ci", "revoked": true}), true),
        ("RotatedKey", json!({"kid": "k", "alg": "ES256", "active": "yes", "published": true}), true),
        ("SigningKeyList", json!({"keys": [{"kid": "k", "alg": "ES256", "created_at": 1, "active": true, "published": true}]}), false),
        ("PolicySpec", json!({"policy": "permit(principal, action, resource);", "name": "x"}), true),
        ("PolicySpec", json!({"tenant": "acme"}), true),
        ("MappingSpec", json!({"roles": ["a,all_access"]}), false),
        ("MappingSpec", json!({"roles": []}), false),
        ("MappingSpec", json!({"roles": ["r"], "scope": "read:x"}), true),
        ("ScopeMapping", json!({"scope": "read:x", "roles": ["r"], "source": "both"}), true),
        ("AuditList", json!({"events": [{"at": 1, "kind": "k", "client_id": null, "detail": "by admin"}]}), false),
        ("AuditList", json!({"events": [{"at": 1, "kind": "k", "detail": {}}]}), false),
        ("RestoreSummary", json!({"restored": true, "schema_version": 4, "clients": -1, "signing_keys": 1}), true),
        ("WebhookDelivery", json!({"id": "msg_1", "endpoint": "https://h.example", "event_type": "token.minted", "status": "dead", "attempts": 1, "next_attempt_at_ms": 1, "last_error": null, "created_at": 1, "delivered_at": null, "payload": {}}), true),
        ("WebhookDelivery", json!({"id": "msg_1", "endpoint": "https://h.example", "event_type": "token.issued", "status": "lost", "attempts": 1, "next_attempt_at_ms": 1, "last_error": null, "created_at": 1, "delivered_at": null, "payload": {}}), true),
        ("ErrorBody", json!({"error": "not_found"}), true),
        ("ErrorBody", json!({"error": "not_found", "error_description": "no client `x`"}), true),
        ("ErrorBody", json!({"error": "not_found", "error_description": "x", "reason": "no_such_reason"}), true),
        ("ErrorBody", json!({"error": "made_up", "error_description": "x", "reason": "not_found"}), true),
    ]
    .into_iter()
    .chain(std::iter::once(("Client", bad_grant, false)))
    .collect()
}

#[test]
fn renamed_missing_unknown_or_ill_typed_fields_fail() {
    for (name, body, serde_refuses) in bad_bodies() {
        let v = validator(name, true);
        assert!(!v.is_valid(&body), "{name} accepted {body}");
        if serde_refuses {
            assert!(
                round_trip_for(name)(&body).is_err(),
                "{name}: the type accepted {body}"
            );
        }
    }
}

#[test]
fn request_bodies_refuse_unknown_fields_in_the_published_schema() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for name in ["ClientSpec", "PolicySpec", "MappingSpec"] {
        assert_eq!(schemas[name]["additionalProperties"], false, "{name}");
        // Also without the test's strictness: what a client reading the document sees.
        let v = validator(name, false);
        let mut body = real_bodies()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1;
        assert!(v.is_valid(&body));
        body["unknown"] = json!(1);
        assert!(!v.is_valid(&body), "{name}");
    }
    // Response bodies stay open, so a client keeps working when the server adds a field.
    let v = validator("Client", false);
    let mut c = ci_client();
    c["added_later"] = json!(true);
    assert!(v.is_valid(&c));
    let parsed: Client = serde_json::from_value(c).unwrap();
    assert_eq!(parsed.client_id, "ci");
    assert_eq!(parsed.source, Source::Config);
}

#[test]
fn grant_types_use_their_wire_forms() {
    for g in GrantType::ALL {
        assert_eq!(serde_json::to_value(g).unwrap(), json!(g.as_str()));
        let back: GrantType = serde_json::from_value(json!(g.as_str())).unwrap();
        assert_eq!(back, g);
    }
    assert_eq!(
        GrantType::TokenExchange.as_str(),
        "urn:ietf:params:oauth:grant-type:token-exchange"
    );
    let short: GrantType = serde_json::from_value(json!("token_exchange")).unwrap();
    assert_eq!(short, GrantType::TokenExchange);
    assert!(serde_json::from_value::<GrantType>(json!("password")).is_err());
    assert_eq!(Source::Api.as_str(), "api");
    assert_eq!(serde_json::to_value(Source::Config).unwrap(), "config");
}

#[test]
fn a_spec_serializes_only_what_it_sets() {
    let spec = ClientSpec::new(["read:logs-*"]);
    assert_eq!(
        serde_json::to_value(&spec).unwrap(),
        json!({"scopes": ["read:logs-*"]})
    );
    let p = PolicySpec {
        tenant: None,
        policy: "permit(principal, action, resource);".into(),
    };
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"policy": "permit(principal, action, resource);"})
    );
    // The server reads an explicit null as absent, as it does today.
    let spec: ClientSpec =
        serde_json::from_value(json!({"scopes": ["read:x"], "tenant": null, "client_id": null}))
            .unwrap();
    assert_eq!(spec, ClientSpec::new(["read:x"]));
    let e = ErrorBody {
        error: oauth4os_core::ErrorCode::NotFound,
        error_description: "no client `x`".into(),
        reason: oauth4os_core::Reason::NotFound,
        help: None,
        retry_after: None,
        scope: None,
    };
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"error": "not_found", "error_description": "no client `x`", "reason": "not_found"})
    );
}

#[test]
fn secrets_never_reach_debug_output() {
    let created: ClientWithSecret = serde_json::from_value({
        let mut c = ci_client();
        c["client_secret"] = json!(SECRET);
        c
    })
    .unwrap();
    let rotated = ClientSecret {
        client_id: "ci".into(),
        client_secret: SECRET.into(),
    };
    for text in [format!("{created:?}"), format!("{rotated:?}")] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("<redacted>") && text.contains("ci"), "{text}");
    }
}

#[test]
fn methods_and_operations_read_as_on_the_wire() {
    assert_eq!(Method::Delete.as_str(), "DELETE");
    assert_eq!(Operation::CreateClient.id(), "createClient");
    let r = Operation::RestoreStore.route().unwrap();
    assert_eq!(
        (r.method, r.path, r.status),
        (Method::Post, "/restore", 200)
    );
}
