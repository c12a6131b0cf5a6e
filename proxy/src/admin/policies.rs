//! `/admin/policies`, `/admin/scope-mappings` and `/admin/tenants`: Cedar policies and scope
//! mappings that take effect on the next request, validated before anything is stored.

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use oauth4os_core::verify::unix_now;
use serde_json::{Value, json};

use oauth4os_core::admin::{
    MappingSpec, Policy, PolicyList, PolicySpec, ScopeMapping, ScopeMappingList, Source, Tenant,
    TenantList,
};

use super::{AdminResult, Caller, body, fail, from_core, json, not_found_item};
use crate::authz::AuthServer;
use crate::services::policies::{
    AdminPolicy, Change, DEFAULT_TENANT, LivePolicies, validate_roles,
};
use crate::services::store::AuditEvent;

fn live(server: &AuthServer) -> Result<Arc<LivePolicies>, Response> {
    server.live_policies().ok_or_else(|| {
        fail(
            Reason::PoliciesNotManaged,
            "this server has no policies to manage",
        )
    })
}

fn event(kind: &str, by: &Caller, detail: Value) -> AuditEvent {
    let mut d = json!({ "by": by.0 });
    if let (Some(m), Some(extra)) = (d.as_object_mut(), detail.as_object()) {
        m.extend(extra.clone());
    }
    AuditEvent::new(unix_now(), kind, None, d)
}

pub(super) async fn list_policies(State(server): State<Arc<AuthServer>>) -> AdminResult {
    let snap = live(&server)?.snapshot();
    let policies = snap
        .admin_policies
        .iter()
        .map(|(name, p)| Policy {
            name: name.clone(),
            tenant: p.tenant.clone(),
            policy: p.text.clone(),
        })
        .collect();
    Ok(json(StatusCode::OK, &PolicyList { policies }))
}

pub(super) async fn show_policy(
    State(server): State<Arc<AuthServer>>,
    Path(name): Path<String>,
) -> AdminResult {
    let snap = live(&server)?.snapshot();
    let p = snap
        .admin_policies
        .get(&name)
        .ok_or_else(|| not_found_item("policy", &name))?;
    Ok(json(
        StatusCode::OK,
        &Policy {
            name,
            tenant: p.tenant.clone(),
            policy: p.text.clone(),
        },
    ))
}

pub(super) async fn put_policy(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(name): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> AdminResult {
    let spec: PolicySpec = body(&headers, &bytes)?;
    let live = live(&server)?;
    let tenant = spec.tenant.unwrap_or_else(|| DEFAULT_TENANT.to_owned());
    let policy = AdminPolicy {
        tenant: tenant.clone(),
        text: spec.policy,
    };
    let _one = live.change_lock.lock().await;
    let change = Change::PutPolicy {
        name: name.clone(),
        policy: policy.clone(),
    };
    let next = live.propose(&change).map_err(from_core)?;
    let e = event("policy_put", &by, json!({ "name": name, "tenant": tenant }));
    server
        .store()
        .put_admin_policy(name.clone(), tenant.clone(), policy.text.clone(), e)
        .await
        .map_err(from_core)?;
    live.install(next);
    tracing::info!(%name, %tenant, by = %by.0, "admin policy installed");
    Ok(json(
        StatusCode::OK,
        &Policy {
            name,
            tenant,
            policy: policy.text,
        },
    ))
}

pub(super) async fn delete_policy(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(name): Path<String>,
) -> AdminResult {
    let live = live(&server)?;
    let _one = live.change_lock.lock().await;
    if !live.snapshot().admin_policies.contains_key(&name) {
        return Err(not_found_item("policy", &name));
    }
    let next = live
        .propose(&Change::DeletePolicy(name.clone()))
        .map_err(from_core)?;
    let e = event("policy_deleted", &by, json!({ "name": name }));
    server
        .store()
        .delete_admin_policy(name, e)
        .await
        .map_err(from_core)?;
    live.install(next);
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn list_mappings(State(server): State<Arc<AuthServer>>) -> AdminResult {
    let snap = live(&server)?.snapshot();
    let admin = &snap.admin_mappings;
    let mappings = snap
        .mappings()
        .iter()
        .map(|(scope, roles)| {
            let scope = scope.to_string();
            let source = if admin.get(&scope) == Some(roles) {
                Source::Api
            } else {
                Source::Config
            };
            ScopeMapping {
                scope,
                roles: roles.clone(),
                source,
            }
        })
        .collect();
    Ok(json(StatusCode::OK, &ScopeMappingList { mappings }))
}

pub(super) async fn put_mapping(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(scope): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> AdminResult {
    let spec: MappingSpec = body(&headers, &bytes)?;
    validate_roles(&spec.roles).map_err(from_core)?;
    let live = live(&server)?;
    let _one = live.change_lock.lock().await;
    let change = Change::PutMapping {
        scope: scope.clone(),
        roles: spec.roles.clone(),
    };
    let next = live.propose(&change).map_err(from_core)?;
    let canonical = oauth4os_core::Scope::parse(&scope)
        .map_err(from_core)?
        .to_string();
    let e = event(
        "scope_mapping_put",
        &by,
        json!({ "scope": canonical, "roles": spec.roles }),
    );
    server
        .store()
        .put_admin_mapping(canonical.clone(), spec.roles.clone(), e)
        .await
        .map_err(from_core)?;
    live.install(next);
    Ok(json(
        StatusCode::OK,
        &ScopeMapping {
            scope: canonical,
            roles: spec.roles,
            source: Source::Api,
        },
    ))
}

pub(super) async fn delete_mapping(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(scope): Path<String>,
) -> AdminResult {
    let live = live(&server)?;
    let _one = live.change_lock.lock().await;
    let next = match live.propose(&Change::DeleteMapping(scope.clone())) {
        Ok(n) => n,
        Err(e) if e.reason == Reason::NotFound => {
            return Err(not_found_item("admin scope mapping", &scope));
        }
        Err(e) => return Err(from_core(e)),
    };
    let canonical = oauth4os_core::Scope::parse(&scope)
        .map_err(from_core)?
        .to_string();
    let e = event("scope_mapping_deleted", &by, json!({ "scope": canonical }));
    server
        .store()
        .delete_admin_mapping(canonical, e)
        .await
        .map_err(from_core)?;
    live.install(next);
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn tenants(State(server): State<Arc<AuthServer>>) -> AdminResult {
    let snap = server.live_policies().map(|l| l.snapshot());
    let count = |t: &str| {
        snap.as_ref()
            .and_then(|s| s.set_for(t))
            .map_or(0, |p| u64::try_from(p.len()).unwrap_or(u64::MAX))
    };
    let mut tenants = vec![Tenant {
        name: DEFAULT_TENANT.to_owned(),
        issuer: server.issuer().to_owned(),
        login: false,
        policies: count(DEFAULT_TENANT),
    }];
    for s in server.subject_issuers() {
        tenants.push(Tenant {
            name: s.tenant.clone(),
            issuer: s.issuer.clone(),
            login: server.has_login(&s.tenant),
            policies: count(&s.tenant),
        });
    }
    Ok(json(StatusCode::OK, &TenantList { tenants }))
}
