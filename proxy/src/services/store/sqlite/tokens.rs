//! Refresh families and tokens, revocations, purging and audit events.

use oauth4os_core::Result;
use rusqlite::{Connection, OptionalExtension, params};

use super::{db_err, immediate};
use crate::services::store::{
    AuditEvent, AuditQuery, AuthorizationCode, ClientCutoff, FamilySummary, NewRefreshToken,
    PurgeReport, Redeemed, RefreshFamily, RefreshView, RevokedJti,
};

pub(super) fn insert_audit(conn: &Connection, e: &AuditEvent) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_events (at, kind, client_id, detail) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![e.at, e.kind, e.client_id, e.detail.to_string()]))
    .map(|_| ())
    .map_err(db_err("write audit event"))?;
    super::webhooks::enqueue_derived(conn, e)
}

pub(super) fn audit_events(conn: &Connection, limit: i64) -> Result<Vec<AuditEvent>> {
    let query = AuditQuery {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
        ..AuditQuery::default()
    };
    audit_query(conn, &query)
}

pub(super) fn audit_query(conn: &Connection, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "SELECT at, kind, client_id, detail FROM audit_events
         WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR client_id = ?2)
           AND (?3 IS NULL OR at >= ?3)
         ORDER BY id DESC LIMIT ?4",
    )
    .and_then(|mut s| {
        s.query_map(params![q.kind, q.client_id, q.since, limit], |r| {
            let detail: String = r.get(3)?;
            Ok(AuditEvent {
                at: r.get(0)?,
                kind: r.get(1)?,
                client_id: r.get(2)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })?
        .collect()
    })
    .map_err(db_err("read audit events"))
}

fn insert_refresh(conn: &Connection, t: &NewRefreshToken) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (hash, family_id, issued_at, expires_at, access_jti, access_exp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            &t.hash[..],
            t.family_id,
            t.issued_at,
            t.expires_at,
            t.access_jti,
            t.access_exp
        ])
    })
    .map(|_| ())
    .map_err(db_err("write refresh token"))
}

pub(super) fn create_family(
    conn: &mut Connection,
    family: &RefreshFamily,
    first: &NewRefreshToken,
) -> Result<()> {
    let tx = immediate(conn)?;
    tx.prepare_cached(
        "INSERT INTO refresh_families (id, client_id, scope, audience, created_at, subject)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            family.id,
            family.client_id,
            family.scope,
            family.audience,
            family.created_at,
            family.subject
        ])
    })
    .map_err(db_err("write refresh family"))?;
    insert_refresh(&tx, first)?;
    tx.commit().map_err(db_err("commit"))
}

pub(super) fn find_refresh(conn: &Connection, hash: &[u8; 32]) -> Result<Option<RefreshView>> {
    conn.prepare_cached(
        "SELECT f.id, f.client_id, f.scope, f.audience, f.created_at, f.revoked_at,
                t.issued_at, t.expires_at, t.used_at, f.subject
         FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
         WHERE t.hash = ?1",
    )
    .and_then(|mut s| {
        s.query_row([&hash[..]], |r| {
            Ok(RefreshView {
                family: RefreshFamily {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    scope: r.get(2)?,
                    audience: r.get(3)?,
                    created_at: r.get(4)?,
                    subject: r.get(9)?,
                },
                family_revoked_at: r.get(5)?,
                issued_at: r.get(6)?,
                expires_at: r.get(7)?,
                used_at: r.get(8)?,
            })
        })
        .optional()
    })
    .map_err(db_err("read refresh token"))
}

/// The compare-and-swap: the `UPDATE` matches only an unused, unexpired token of an unrevoked
/// family, and the transaction holds the write lock from its first statement.
pub(super) fn rotate(
    conn: &mut Connection,
    old: &[u8; 32],
    next: &NewRefreshToken,
    now: i64,
) -> Result<bool> {
    let tx = immediate(conn)?;
    let swapped = tx
        .prepare_cached(
            "UPDATE refresh_tokens SET used_at = ?1
             WHERE hash = ?2 AND used_at IS NULL AND expires_at > ?1 AND family_id = ?3
               AND EXISTS (SELECT 1 FROM refresh_families WHERE id = ?3 AND revoked_at IS NULL)",
        )
        .and_then(|mut s| s.execute(params![now, &old[..], next.family_id]))
        .map_err(db_err("rotate refresh token"))?;
    if swapped != 1 {
        return Ok(false);
    }
    insert_refresh(&tx, next)?;
    // The family's session (if it has one) was used now and lives as long as the new token.
    tx.prepare_cached(
        "UPDATE sessions SET last_used_at = ?1, expires_at = max(expires_at, ?2)
         WHERE family_id = ?3",
    )
    .and_then(|mut st| st.execute(params![now, next.expires_at, next.family_id]))
    .map_err(db_err("touch session"))?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(true)
}

pub(super) fn revoke_family(
    conn: &mut Connection,
    family_id: &str,
    reason: &str,
    event: &AuditEvent,
) -> Result<Vec<RevokedJti>> {
    let now = event.at;
    let tx = immediate(conn)?;
    tx.execute(
        "UPDATE refresh_families SET revoked_at = ?1, revoked_reason = ?2
         WHERE id = ?3 AND revoked_at IS NULL",
        params![now, reason, family_id],
    )
    .map_err(db_err("revoke refresh family"))?;
    let jtis = access_tokens_of(
        &tx,
        "SELECT access_jti, access_exp FROM refresh_tokens WHERE family_id = ?1",
        family_id,
    )?;
    record_revocations(tx, jtis, event)
}

/// The access tokens (`jti`, `exp`) that `sql`, given `key`, selects from refresh tokens.
fn access_tokens_of(conn: &Connection, sql: &str, key: &str) -> Result<Vec<RevokedJti>> {
    conn.prepare_cached(sql)
        .and_then(|mut s| {
            s.query_map([key], |r| {
                Ok(RevokedJti {
                    jti: r.get(0)?,
                    exp: r.get(1)?,
                })
            })?
            .collect()
        })
        .map_err(db_err("read access tokens to revoke"))
}

/// Records `jtis` as revoked and writes `event`, then commits; answers the `jtis`.
fn record_revocations(
    tx: rusqlite::Transaction<'_>,
    jtis: Vec<RevokedJti>,
    event: &AuditEvent,
) -> Result<Vec<RevokedJti>> {
    for j in &jtis {
        insert_revocation(&tx, j, event.at)?;
    }
    insert_audit(&tx, event)?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(jtis)
}

pub(super) fn families(
    conn: &Connection,
    client_id: Option<&str>,
    now: i64,
) -> Result<Vec<FamilySummary>> {
    conn.prepare_cached(
        "SELECT f.id, f.client_id, f.scope, f.audience, f.created_at,
                max(t.issued_at), max(CASE WHEN t.used_at IS NULL THEN t.expires_at END),
                f.subject
         FROM refresh_families f JOIN refresh_tokens t ON t.family_id = f.id
         WHERE f.revoked_at IS NULL AND (?1 IS NULL OR f.client_id = ?1)
         GROUP BY f.id
         HAVING max(CASE WHEN t.used_at IS NULL THEN t.expires_at END) > ?2
         ORDER BY f.created_at DESC, f.id",
    )
    .and_then(|mut s| {
        s.query_map(params![client_id, now], |r| {
            Ok(FamilySummary {
                family: RefreshFamily {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    scope: r.get(2)?,
                    audience: r.get(3)?,
                    created_at: r.get(4)?,
                    subject: r.get(7)?,
                },
                last_issued_at: r.get(5)?,
                expires_at: r.get(6)?,
            })
        })?
        .collect()
    })
    .map_err(db_err("read refresh families"))
}

pub(super) fn revoke_client(
    conn: &mut Connection,
    cutoff: &ClientCutoff,
    event: &AuditEvent,
) -> Result<Vec<RevokedJti>> {
    let now = event.at;
    let tx = immediate(conn)?;
    tx.execute(
        "INSERT INTO client_revocations (client_id, issued_before, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (client_id) DO UPDATE SET issued_before = max(issued_before, ?2),
             expires_at = max(expires_at, ?3)",
        params![cutoff.client_id, cutoff.issued_before, cutoff.expires_at],
    )
    .map_err(db_err("revoke client tokens"))?;
    let jtis = access_tokens_of(
        &tx,
        "SELECT t.access_jti, t.access_exp FROM refresh_tokens t
         JOIN refresh_families f ON f.id = t.family_id
         WHERE f.client_id = ?1 AND f.revoked_at IS NULL",
        &cutoff.client_id,
    )?;
    tx.execute(
        "UPDATE refresh_families SET revoked_at = ?1, revoked_reason = 'client_revoked'
         WHERE client_id = ?2 AND revoked_at IS NULL",
        params![now, cutoff.client_id],
    )
    .map_err(db_err("revoke client tokens"))?;
    record_revocations(tx, jtis, event)
}

pub(super) fn cutoffs(conn: &Connection, now: i64) -> Result<Vec<ClientCutoff>> {
    conn.prepare_cached(
        "SELECT client_id, issued_before, expires_at FROM client_revocations WHERE expires_at > ?1",
    )
    .and_then(|mut s| {
        s.query_map([now], |r| {
            Ok(ClientCutoff {
                client_id: r.get(0)?,
                issued_before: r.get(1)?,
                expires_at: r.get(2)?,
            })
        })?
        .collect()
    })
    .map_err(db_err("read client revocations"))
}

pub(super) fn insert_revocation(conn: &Connection, r: &RevokedJti, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO revocations (jti, exp, revoked_at) VALUES (?1, ?2, ?3)",
    )
    .and_then(|mut s| s.execute(params![r.jti, r.exp, now]))
    .map(|_| ())
    .map_err(db_err("write revocation"))
}

pub(super) fn revoke_access(
    conn: &mut Connection,
    revoked: &RevokedJti,
    event: &AuditEvent,
) -> Result<()> {
    let tx = immediate(conn)?;
    insert_revocation(&tx, revoked, event.at)?;
    insert_audit(&tx, event)?;
    tx.commit().map_err(db_err("commit"))
}

pub(super) fn revoked(conn: &Connection, expired_before: i64) -> Result<Vec<RevokedJti>> {
    conn.prepare_cached("SELECT jti, exp FROM revocations WHERE exp > ?1")
        .and_then(|mut s| {
            s.query_map([expired_before], |r| {
                Ok(RevokedJti {
                    jti: r.get(0)?,
                    exp: r.get(1)?,
                })
            })?
            .collect()
        })
        .map_err(db_err("read revocations"))
}

pub(super) fn purge(conn: &mut Connection, expired_before: i64) -> Result<PurgeReport> {
    let tx = immediate(conn)?;
    let revocations = tx
        .execute("DELETE FROM revocations WHERE exp <= ?1", [expired_before])
        .map_err(db_err("purge"))?;
    tx.execute(
        "DELETE FROM client_revocations WHERE expires_at <= ?1",
        [expired_before],
    )
    .map_err(db_err("purge"))?;
    tx.execute(
        "DELETE FROM authorization_codes WHERE expires_at <= ?1",
        [expired_before],
    )
    .map_err(db_err("purge"))?;
    // Sessions whose refresh and access tokens have all expired.
    tx.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1 AND access_exp <= ?1",
        [expired_before],
    )
    .map_err(db_err("purge"))?;
    let families = tx
        .execute(
            "DELETE FROM refresh_families WHERE NOT EXISTS (
                 SELECT 1 FROM refresh_tokens t
                 WHERE t.family_id = refresh_families.id AND t.expires_at > ?1)",
            [expired_before],
        )
        .map_err(db_err("purge"))?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(PurgeReport {
        revocations,
        families,
    })
}

pub(super) fn put_code(conn: &Connection, c: &AuthorizationCode) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO authorization_codes (hash, client_id, redirect_uri, scope, audience,
             code_challenge, subject, expires_at, consent_id, user_agent, address)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut s| {
        s.execute(params![
            &c.hash[..],
            c.client_id,
            c.redirect_uri,
            c.scope,
            c.audience,
            c.code_challenge,
            c.subject,
            c.expires_at,
            c.consent_id,
            c.user_agent,
            c.address
        ])
    })
    .map(|_| ())
    .map_err(db_err("write authorization code"))
}

/// The compare-and-swap of a code: only the `UPDATE` that flips `used_at` wins.
pub(super) fn redeem_code(conn: &mut Connection, hash: &[u8; 32], now: i64) -> Result<Redeemed> {
    let tx = immediate(conn)?;
    let row = tx
        .prepare_cached(
            "SELECT client_id, redirect_uri, scope, audience, code_challenge, subject, expires_at,
                    used_at, family_id, access_jti, access_exp, consent_id, user_agent, address
             FROM authorization_codes WHERE hash = ?1",
        )
        .and_then(|mut s| {
            s.query_row([&hash[..]], |r| {
                Ok((
                    AuthorizationCode {
                        hash: *hash,
                        client_id: r.get(0)?,
                        redirect_uri: r.get(1)?,
                        scope: r.get(2)?,
                        audience: r.get(3)?,
                        code_challenge: r.get(4)?,
                        subject: r.get(5)?,
                        expires_at: r.get(6)?,
                        consent_id: r.get(11)?,
                        user_agent: r.get(12)?,
                        address: r.get(13)?,
                    },
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    match (r.get::<_, Option<String>>(9)?, r.get::<_, Option<i64>>(10)?) {
                        (Some(jti), Some(exp)) => Some(RevokedJti { jti, exp }),
                        _ => None,
                    },
                ))
            })
            .optional()
        })
        .map_err(db_err("read authorization code"))?;
    let outcome = match row {
        None => Redeemed::Unknown,
        Some((code, Some(_), family_id, access)) => Redeemed::Replayed {
            client_id: code.client_id,
            family_id,
            access,
        },
        Some((code, None, _, _)) if code.expires_at <= now => Redeemed::Unknown,
        Some((code, None, _, _)) => {
            tx.execute(
                "UPDATE authorization_codes SET used_at = ?1 WHERE hash = ?2 AND used_at IS NULL",
                params![now, &hash[..]],
            )
            .map_err(db_err("redeem authorization code"))?;
            Redeemed::Fresh(code)
        }
    };
    tx.commit().map_err(db_err("commit"))?;
    Ok(outcome)
}

pub(super) fn link_code_tokens(
    conn: &Connection,
    hash: &[u8; 32],
    access: &RevokedJti,
    family_id: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE authorization_codes SET family_id = ?1, access_jti = ?2, access_exp = ?3
         WHERE hash = ?4",
        params![family_id, access.jti, access.exp, &hash[..]],
    )
    .map(|_| ())
    .map_err(db_err("link authorization code"))
}

pub(super) fn admin_policies(conn: &Connection) -> Result<Vec<(String, String, String)>> {
    conn.prepare_cached("SELECT name, tenant, text FROM admin_policies ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(db_err("read admin policies"))
}

pub(super) fn put_admin_policy(
    conn: &mut Connection,
    name: &str,
    tenant: &str,
    text: &str,
    event: &AuditEvent,
) -> Result<()> {
    let tx = immediate(conn)?;
    tx.execute(
        "INSERT INTO admin_policies (name, tenant, text, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET tenant = ?2, text = ?3, updated_at = ?4",
        params![name, tenant, text, event.at],
    )
    .map_err(db_err("write admin policy"))?;
    insert_audit(&tx, event)?;
    tx.commit().map_err(db_err("commit"))
}

/// Deletes a row of `table` keyed by `column` and writes the event; whether it existed.
fn delete_keyed(conn: &mut Connection, sql: &str, key: &str, event: &AuditEvent) -> Result<bool> {
    let tx = immediate(conn)?;
    let n = tx.execute(sql, [key]).map_err(db_err("delete"))?;
    if n > 0 {
        insert_audit(&tx, event)?;
    }
    tx.commit().map_err(db_err("commit"))?;
    Ok(n > 0)
}

pub(super) fn delete_admin_policy(
    conn: &mut Connection,
    name: &str,
    event: &AuditEvent,
) -> Result<bool> {
    delete_keyed(
        conn,
        "DELETE FROM admin_policies WHERE name = ?1",
        name,
        event,
    )
}

pub(super) fn admin_mappings(conn: &Connection) -> Result<Vec<(String, Vec<String>)>> {
    let rows: Vec<(String, String)> = conn
        .prepare_cached("SELECT scope, roles FROM admin_scope_mappings ORDER BY scope")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(db_err("read admin scope mappings"))?;
    Ok(rows
        .into_iter()
        .map(|(scope, roles)| {
            (
                scope,
                roles
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )
        })
        .collect())
}

pub(super) fn put_admin_mapping(
    conn: &mut Connection,
    scope: &str,
    roles: &[String],
    event: &AuditEvent,
) -> Result<()> {
    let tx = immediate(conn)?;
    // Roles never contain commas (they travel comma-separated in `x-proxy-roles`).
    tx.execute(
        "INSERT INTO admin_scope_mappings (scope, roles, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (scope) DO UPDATE SET roles = ?2, updated_at = ?3",
        params![scope, roles.join(","), event.at],
    )
    .map_err(db_err("write admin scope mapping"))?;
    insert_audit(&tx, event)?;
    tx.commit().map_err(db_err("commit"))
}

pub(super) fn delete_admin_mapping(
    conn: &mut Connection,
    scope: &str,
    event: &AuditEvent,
) -> Result<bool> {
    delete_keyed(
        conn,
        "DELETE FROM admin_scope_mappings WHERE scope = ?1",
        scope,
        event,
    )
}
