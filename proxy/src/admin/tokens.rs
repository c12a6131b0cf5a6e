//! `/admin/families`, `/admin/keys` and `/admin/audit`.

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use oauth4os_core::error::quote;
use oauth4os_core::verify::unix_now;
use serde_json::{Value, json};

use oauth4os_core::admin::{
    self, AuditList, RefreshFamily, RefreshFamilyList, RotatedKey, SigningKey, SigningKeyList,
};

use super::{AdminResult, Caller, fail, from_core, json, not_found_item, query};
use crate::authz::AuthServer;
use crate::services::store::{AuditEvent, AuditQuery};

/// Default and largest page of audit events.
const AUDIT_DEFAULT: usize = 100;
const AUDIT_MAX: usize = 1000;
const _: () = assert!(
    AUDIT_DEFAULT as u64 == admin::AUDIT_DEFAULT_LIMIT
        && AUDIT_MAX as u64 == admin::AUDIT_MAX_LIMIT
);

pub(super) async fn families(
    State(server): State<Arc<AuthServer>>,
    RawQuery(raw): RawQuery,
) -> AdminResult {
    let params = query(raw.as_deref(), &["client_id"])?;
    let client = params.into_iter().next().map(|(_, v)| v);
    let list = server
        .store()
        .refresh_families(client, unix_now())
        .await
        .map_err(from_core)?;
    let families = list
        .iter()
        .map(|f| RefreshFamily {
            family_id: f.family.id.clone(),
            client_id: f.family.client_id.clone(),
            scope: f.family.scope.clone(),
            audience: f.family.audience.clone(),
            created_at: f.family.created_at,
            last_issued_at: f.last_issued_at,
            expires_at: f.expires_at,
        })
        .collect();
    Ok(json(StatusCode::OK, &RefreshFamilyList { families }))
}

pub(super) async fn revoke_family(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
) -> AdminResult {
    let active = server
        .store()
        .refresh_families(None, unix_now())
        .await
        .map_err(from_core)?;
    let Some(f) = active.iter().find(|f| f.family.id == id) else {
        return Err(not_found_item("active refresh family", &id));
    };
    let event = AuditEvent::new(
        unix_now(),
        "refresh_family_revoked",
        Some(&f.family.client_id),
        json!({ "family_id": id, "by": by.0 }),
    );
    server
        .revoke_family(&id, "admin", event)
        .await
        .map_err(|e| {
            tracing::error!(error = %e.0, "admin API: family revocation failed");
            fail(Reason::ServerError, "the family could not be revoked")
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn keys(State(server): State<Arc<AuthServer>>) -> AdminResult {
    let stored = server.store().signing_keys().await.map_err(from_core)?;
    let jwks = server.jwks();
    let published: Vec<&str> = jwks
        .get("keys")
        .and_then(Value::as_array)
        .map(|ks| ks.iter().filter_map(|k| k.get("kid")?.as_str()).collect())
        .unwrap_or_default();
    let keys = stored
        .iter()
        .map(|k| SigningKey {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            created_at: k.created_at,
            retired_at: k.retired_at,
            active: k.retired_at.is_none(),
            published: published.contains(&k.kid.as_str()),
        })
        .collect();
    Ok(json(StatusCode::OK, &SigningKeyList { keys }))
}

pub(super) async fn rotate_key(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
) -> AdminResult {
    let kid = server.rotate_signing_key().await.map_err(from_core)?;
    tracing::info!(%kid, by = %by.0, "signing key rotated through the admin API");
    Ok(json(
        StatusCode::OK,
        &RotatedKey {
            kid,
            alg: "ES256".to_owned(),
            active: true,
            published: true,
        },
    ))
}

pub(super) async fn audit(
    State(server): State<Arc<AuthServer>>,
    RawQuery(raw): RawQuery,
) -> AdminResult {
    let mut q = AuditQuery {
        limit: AUDIT_DEFAULT,
        ..AuditQuery::default()
    };
    for (name, value) in query(raw.as_deref(), &["kind", "client_id", "since", "limit"])? {
        let number = || {
            value.parse::<i64>().map_err(|_| {
                fail(
                    Reason::InvalidRequest,
                    &format!("`{name}` must be a whole number, not {}", quote(&value)),
                )
            })
        };
        match name {
            "kind" => q.kind = Some(value.clone()),
            "client_id" => q.client_id = Some(value.clone()),
            "since" => q.since = Some(number()?),
            _ => {
                let n = number()?;
                q.limit = usize::try_from(n)
                    .ok()
                    .filter(|n| (1..=AUDIT_MAX).contains(n))
                    .ok_or_else(|| {
                        fail(
                            Reason::InvalidRequest,
                            &format!("`limit` must be between 1 and {AUDIT_MAX}"),
                        )
                    })?;
            }
        }
    }
    let events = server.store().audit_query(q).await.map_err(from_core)?;
    let events = events
        .into_iter()
        .map(|e| admin::AuditEvent {
            at: e.at,
            kind: e.kind,
            client_id: e.client_id,
            detail: e.detail,
        })
        .collect();
    Ok(json(StatusCode::OK, &AuditList { events }))
}
