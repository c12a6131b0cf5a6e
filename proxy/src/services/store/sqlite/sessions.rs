//! Interactive sessions and the consents they rely on.

use oauth4os_core::{Error, Reason, Result};
use rusqlite::{Connection, OptionalExtension, params};

use super::tokens::{insert_audit, insert_revocation};
use super::{db_err, immediate};
use crate::services::store::{
    AuditEvent, ConsentRecord, EndedSessions, RevokedJti, SessionFilter, SessionRecord,
};

pub(super) fn create(conn: &Connection, s: &SessionRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (id, subject, tenant, client_id, created_at, last_used_at,
             expires_at, user_agent, address, family_id, consent_id, access_jti, access_exp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )
    .and_then(|mut st| {
        st.execute(params![
            s.id,
            s.subject,
            s.tenant,
            s.client_id,
            s.created_at,
            s.last_used_at,
            s.expires_at,
            s.user_agent,
            s.address,
            s.family_id,
            s.consent_id,
            s.access.jti,
            s.access.exp
        ])
    })
    .map(|_| ())
    .map_err(db_err("write session"))
}

/// A session counts as ended when it was ended itself or its refresh family was revoked.
const SELECT: &str = "SELECT s.id, s.subject, s.tenant, s.client_id, s.created_at,
        s.last_used_at, s.expires_at, s.user_agent, s.address, s.family_id, s.consent_id,
        s.access_jti, s.access_exp, coalesce(s.ended_at, f.revoked_at),
        CASE WHEN s.ended_at IS NOT NULL THEN s.ended_reason ELSE f.revoked_reason END
     FROM sessions s LEFT JOIN refresh_families f ON f.id = s.family_id
     WHERE (?1 IS NULL OR s.id = ?1) AND (?2 IS NULL OR s.subject = ?2)
       AND (?3 IS NULL OR s.client_id = ?3) AND (?4 IS NULL OR s.tenant = ?4)
       AND (?5 IS NULL OR s.consent_id = ?5)
       AND (?6 IS NULL OR (s.ended_at IS NULL AND f.revoked_at IS NULL AND s.expires_at > ?6))
     ORDER BY s.created_at DESC, s.rowid DESC";

pub(super) fn select(
    conn: &Connection,
    f: &SessionFilter,
    active_at: Option<i64>,
) -> Result<Vec<SessionRecord>> {
    conn.prepare_cached(SELECT)
        .and_then(|mut st| {
            st.query_map(
                params![
                    f.id,
                    f.subject,
                    f.client_id,
                    f.tenant,
                    f.consent_id,
                    active_at
                ],
                |r| {
                    Ok(SessionRecord {
                        id: r.get(0)?,
                        subject: r.get(1)?,
                        tenant: r.get(2)?,
                        client_id: r.get(3)?,
                        created_at: r.get(4)?,
                        last_used_at: r.get(5)?,
                        expires_at: r.get(6)?,
                        user_agent: r.get(7)?,
                        address: r.get(8)?,
                        family_id: r.get(9)?,
                        consent_id: r.get(10)?,
                        access: RevokedJti {
                            jti: r.get(11)?,
                            exp: r.get(12)?,
                        },
                        ended_at: r.get(13)?,
                        ended_reason: r.get(14)?,
                    })
                },
            )?
            .collect()
        })
        .map_err(db_err("read sessions"))
}

/// Ends the unended sessions matching `filter` inside the caller's transaction.
fn end_in(
    tx: &Connection,
    filter: &SessionFilter,
    reason: &str,
    now: i64,
) -> Result<EndedSessions> {
    let open: Vec<SessionRecord> = select(tx, filter, None)?
        .into_iter()
        .filter(|s| s.ended_at.is_none())
        .collect();
    let mut out = EndedSessions::default();
    for s in open {
        tx.execute(
            "UPDATE sessions SET ended_at = ?1, ended_reason = ?2 WHERE id = ?3 AND ended_at IS NULL",
            params![now, reason, s.id],
        )
        .map_err(db_err("end session"))?;
        if let Some(family) = &s.family_id {
            tx.execute(
                "UPDATE refresh_families SET revoked_at = ?1, revoked_reason = ?2
                 WHERE id = ?3 AND revoked_at IS NULL",
                params![now, reason, family],
            )
            .map_err(db_err("revoke refresh family"))?;
            let jtis: Vec<RevokedJti> = tx
                .prepare_cached(
                    "SELECT access_jti, access_exp FROM refresh_tokens WHERE family_id = ?1",
                )
                .and_then(|mut st| {
                    st.query_map([family], |r| {
                        Ok(RevokedJti {
                            jti: r.get(0)?,
                            exp: r.get(1)?,
                        })
                    })?
                    .collect()
                })
                .map_err(db_err("read access tokens to revoke"))?;
            out.revoked.extend(jtis);
        }
        if !out.revoked.iter().any(|j| j.jti == s.access.jti) {
            out.revoked.push(s.access.clone());
        }
        out.sessions.push(s.id);
    }
    for j in &out.revoked {
        insert_revocation(tx, j, now)?;
    }
    Ok(out)
}

pub(super) fn end(
    conn: &mut Connection,
    filter: &SessionFilter,
    reason: &str,
    event: &AuditEvent,
) -> Result<EndedSessions> {
    if filter.is_empty() {
        return Err(Error::new(
            Reason::MissingFilter,
            "ending sessions needs a filter (a session, user, client, tenant or consent)",
        ));
    }
    let tx = immediate(conn)?;
    let ended = end_in(&tx, filter, reason, event.at)?;
    let mut event = event.clone();
    if let Some(map) = event.detail.as_object_mut() {
        map.insert("sessions".into(), ended.sessions.clone().into());
    }
    insert_audit(&tx, &event)?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(ended)
}

const CONSENT: &str = "SELECT id, subject, client_id, scope, updated_at, expires_at FROM consents";

fn consent_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConsentRecord> {
    Ok(ConsentRecord {
        id: r.get(0)?,
        subject: r.get(1)?,
        client_id: r.get(2)?,
        scope: r.get(3)?,
        granted_at: r.get(4)?,
        expires_at: r.get(5)?,
    })
}

pub(super) fn consent(
    conn: &Connection,
    subject: &str,
    client_id: &str,
) -> Result<Option<ConsentRecord>> {
    conn.prepare_cached(&format!("{CONSENT} WHERE subject = ?1 AND client_id = ?2"))
        .and_then(|mut s| s.query_row([subject, client_id], consent_row).optional())
        .map_err(db_err("read consent"))
}

pub(super) fn consents(
    conn: &Connection,
    subject: Option<&str>,
    client_id: Option<&str>,
) -> Result<Vec<ConsentRecord>> {
    conn.prepare_cached(&format!(
        "{CONSENT} WHERE (?1 IS NULL OR subject = ?1) AND (?2 IS NULL OR client_id = ?2)
         ORDER BY updated_at DESC, id"
    ))
    .and_then(|mut s| {
        s.query_map(params![subject, client_id], consent_row)?
            .collect()
    })
    .map_err(db_err("read consents"))
}

pub(super) fn record_consent(
    conn: &mut Connection,
    subject: &str,
    client_id: &str,
    scope: &str,
    now: i64,
    expires_at: i64,
) -> Result<ConsentRecord> {
    let tx = immediate(conn)?;
    let old = consent(&tx, subject, client_id)?;
    let merged = match &old {
        Some(o) if o.expires_at > now => format!("{} {scope}", o.scope),
        _ => scope.to_owned(),
    };
    let id = match old {
        Some(o) => o.id,
        None => crate::services::secrets::random_id()?,
    };
    let record = ConsentRecord {
        id,
        subject: subject.to_owned(),
        client_id: client_id.to_owned(),
        scope: oauth4os_core::ScopeSet::parse_claim(&merged).to_string(),
        granted_at: now,
        expires_at,
    };
    tx.execute(
        "INSERT INTO consents (id, subject, client_id, scope, updated_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (subject, client_id) DO UPDATE SET scope = ?4, updated_at = ?5,
             expires_at = ?6",
        params![
            record.id,
            record.subject,
            record.client_id,
            record.scope,
            record.granted_at,
            record.expires_at
        ],
    )
    .map_err(db_err("write consent"))?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(record)
}

pub(super) fn withdraw_consent(
    conn: &mut Connection,
    id: &str,
    event: &AuditEvent,
) -> Result<Option<(ConsentRecord, EndedSessions)>> {
    let tx = immediate(conn)?;
    let found = tx
        .prepare_cached(&format!("{CONSENT} WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], consent_row).optional())
        .map_err(db_err("read consent"))?;
    let Some(consent) = found else {
        return Ok(None);
    };
    tx.execute("DELETE FROM consents WHERE id = ?1", [id])
        .map_err(db_err("withdraw consent"))?;
    let filter = SessionFilter {
        consent_id: Some(id.to_owned()),
        ..SessionFilter::default()
    };
    let ended = end_in(&tx, &filter, "consent_withdrawn", event.at)?;
    let mut event = event.clone();
    event.client_id = Some(consent.client_id.clone());
    if let Some(map) = event.detail.as_object_mut() {
        map.insert("sessions".into(), ended.sessions.clone().into());
        map.insert("user".into(), consent.subject.clone().into());
    }
    insert_audit(&tx, &event)?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(Some((consent, ended)))
}
