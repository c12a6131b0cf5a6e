//! `/admin/sessions` and `/admin/consents`: list, show and revoke interactive sessions (one or
//! all of a user, a client or a tenant), list and withdraw consents. Revoking a session revokes
//! its refresh family and its access tokens; withdrawing a consent ends the sessions that rely
//! on it. A bulk revocation without a filter is refused (400 `missing_filter`) and changes
//! nothing.

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use oauth4os_core::admin::{
    Consent, ConsentList, ConsentWithdrawal, Session, SessionList, SessionRevocation,
};
use oauth4os_core::verify::unix_now;

use super::{AdminResult, Caller, fail, from_core, json, not_found_item, query};
use crate::authz::AuthServer;
use crate::services::store::{ConsentRecord, EndedSessions, SessionFilter, SessionRecord};

fn session(s: &SessionRecord, now: i64) -> Session {
    Session {
        session_id: s.id.clone(),
        user: s.subject.clone(),
        tenant: s.tenant.clone(),
        client_id: s.client_id.clone(),
        created_at: s.created_at,
        last_used_at: s.last_used_at,
        expires_at: s.expires_at,
        user_agent: s.user_agent.clone(),
        address: s.address.clone(),
        family_id: s.family_id.clone(),
        consent_id: s.consent_id.clone(),
        active: s.active(now),
        ended_at: s.ended_at,
        ended_reason: s.ended_reason.clone(),
    }
}

fn consent(c: &ConsentRecord, now: i64) -> Consent {
    Consent {
        consent_id: c.id.clone(),
        user: c.subject.clone(),
        client_id: c.client_id.clone(),
        scope: c.scope.clone(),
        granted_at: c.granted_at,
        expires_at: c.expires_at,
        active: c.expires_at > now,
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn revocation(ended: EndedSessions) -> SessionRevocation {
    SessionRevocation {
        access_tokens: count(ended.revoked.len()),
        sessions: ended.sessions,
    }
}

/// The filter of a `GET` or `DELETE /admin/sessions` query.
fn session_filter(raw: Option<&str>) -> Result<SessionFilter, axum::response::Response> {
    let mut filter = SessionFilter::default();
    for (name, value) in query(raw, &["user", "client_id", "tenant"])? {
        if value.is_empty() {
            return Err(fail(
                Reason::InvalidRequest,
                &format!("`{name}` must not be empty"),
            ));
        }
        match name {
            "user" => filter.subject = Some(value),
            "client_id" => filter.client_id = Some(value),
            _ => filter.tenant = Some(value),
        }
    }
    Ok(filter)
}

fn revoke_failed(e: &oauth4os_core::Error) -> axum::response::Response {
    tracing::error!(error = %e, "admin API: session revocation failed");
    fail(Reason::ServerError, "the sessions could not be revoked")
}

pub(super) async fn list(
    State(server): State<Arc<AuthServer>>,
    RawQuery(raw): RawQuery,
) -> AdminResult {
    let filter = session_filter(raw.as_deref())?;
    let now = unix_now();
    let found = server
        .store()
        .sessions(filter, Some(now))
        .await
        .map_err(from_core)?;
    let sessions = found.iter().map(|s| session(s, now)).collect();
    Ok(json(StatusCode::OK, &SessionList { sessions }))
}

pub(super) async fn show(
    State(server): State<Arc<AuthServer>>,
    Path(id): Path<String>,
) -> AdminResult {
    let found = server.store().session(&id).await.map_err(from_core)?;
    let s = found.ok_or_else(|| not_found_item("session", &id))?;
    Ok(json(StatusCode::OK, &session(&s, unix_now())))
}

pub(super) async fn revoke_one(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
) -> AdminResult {
    let found = server.store().session(&id).await.map_err(from_core)?;
    let Some(found) = found else {
        return Err(not_found_item("session", &id));
    };
    // The client narrows nothing (the id does) but names the client in the audit event.
    let filter = SessionFilter {
        id: Some(id),
        client_id: Some(found.client_id),
        ..SessionFilter::default()
    };
    let ended = server
        .end_sessions(filter, "admin", &by.0)
        .await
        .map_err(|e| revoke_failed(&e))?;
    Ok(json(StatusCode::OK, &revocation(ended)))
}

pub(super) async fn revoke_many(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> AdminResult {
    let filter = session_filter(raw.as_deref())?;
    if filter.is_empty() {
        return Err(fail(
            Reason::MissingFilter,
            "revoking sessions in bulk needs `user`, `client_id` or `tenant`; to revoke one, use DELETE /admin/sessions/{id}",
        ));
    }
    let ended = server
        .end_sessions(filter, "admin", &by.0)
        .await
        .map_err(|e| revoke_failed(&e))?;
    Ok(json(StatusCode::OK, &revocation(ended)))
}

pub(super) async fn consents(
    State(server): State<Arc<AuthServer>>,
    RawQuery(raw): RawQuery,
) -> AdminResult {
    let (mut user, mut client) = (None, None);
    for (name, value) in query(raw.as_deref(), &["user", "client_id"])? {
        match name {
            "user" => user = Some(value),
            _ => client = Some(value),
        }
    }
    let found = server
        .store()
        .consents(user, client)
        .await
        .map_err(from_core)?;
    let now = unix_now();
    let consents = found.iter().map(|c| consent(c, now)).collect();
    Ok(json(StatusCode::OK, &ConsentList { consents }))
}

pub(super) async fn withdraw_consent(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
) -> AdminResult {
    let done = server.withdraw_consent(&id, &by.0).await.map_err(|e| {
        tracing::error!(error = %e, "admin API: consent withdrawal failed");
        fail(Reason::ServerError, "the consent could not be withdrawn")
    })?;
    let (_, ended) = done.ok_or_else(|| not_found_item("consent", &id))?;
    Ok(json(
        StatusCode::OK,
        &ConsentWithdrawal {
            consent_id: id,
            access_tokens: count(ended.revoked.len()),
            sessions: ended.sessions,
        },
    ))
}
