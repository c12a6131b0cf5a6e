//! The webhook outbox in SQLite.
//!
//! Deliveries live in `webhook_deliveries`. The routes (which endpoint wants which event type)
//! are configuration, not data: they live in a temporary table of the writing connection, so
//! a backup never carries them and a restore never brings back old ones, and every audit event
//! written on that connection (see [`enqueue_derived`]) queues its deliveries in its own
//! transaction with one `INSERT … SELECT`.

use oauth4os_core::Result;
use oauth4os_core::admin::{DeliveryStatus, WebhookEventType};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{db_err, immediate};
use crate::services::store::{AuditEvent, OutboxDelivery, WebhookEvent, WebhookRoute};

const COLUMNS: &str = "id, endpoint, event_type, body, status, attempts, next_attempt_at, \
                       last_error, created_at, delivered_at";

/// Creates the routes table of the writing connection (empty: nothing is queued).
pub(super) fn create_routes(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS webhook_routes (
            endpoint TEXT NOT NULL,
            event_type TEXT NOT NULL,
            PRIMARY KEY (endpoint, event_type)
        ) STRICT",
    )
    .map_err(db_err("create webhook routes"))
}

pub(super) fn set_routes(conn: &mut Connection, routes: &[WebhookRoute]) -> Result<()> {
    let tx = immediate(conn)?;
    tx.execute("DELETE FROM temp.webhook_routes", [])
        .map_err(db_err("write webhook routes"))?;
    for r in routes {
        for t in &r.events {
            tx.execute(
                "INSERT OR IGNORE INTO temp.webhook_routes (endpoint, event_type) VALUES (?1, ?2)",
                params![r.endpoint, t.as_str()],
            )
            .map_err(db_err("write webhook routes"))?;
        }
    }
    tx.commit().map_err(db_err("commit"))
}

/// Queues `event` for every endpoint routed its type; the ids and endpoints queued.
pub(super) fn enqueue(conn: &Connection, event: &WebhookEvent) -> Result<Vec<(String, String)>> {
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries
            (id, endpoint, event_type, body, status, attempts, next_attempt_at, created_at)
         SELECT 'msg_' || lower(hex(randomblob(16))), endpoint, event_type, ?2, 'pending', 0,
                ?3 * 1000, ?3
         FROM temp.webhook_routes WHERE event_type = ?1
         RETURNING id, endpoint",
    )
    .and_then(|mut s| {
        s.query_map(
            params![event.event_type.as_str(), event.body, event.created_at],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect()
    })
    .map_err(db_err("queue webhook"))
}

/// Queues the webhook event an audit event is published as, if any: called by every audit
/// write, inside its transaction.
pub(super) fn enqueue_derived(conn: &Connection, e: &AuditEvent) -> Result<()> {
    match WebhookEvent::from_audit(e) {
        Some(event) => enqueue(conn, &event).map(drop),
        None => Ok(()),
    }
}

fn status_of(s: &str) -> rusqlite::Result<DeliveryStatus> {
    DeliveryStatus::from_wire(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            4,
            rusqlite::types::Type::Text,
            format!("unknown delivery status `{s}`").into(),
        )
    })
}

fn delivery(r: &Row<'_>) -> rusqlite::Result<OutboxDelivery> {
    let event_type: String = r.get(2)?;
    let status: String = r.get(4)?;
    Ok(OutboxDelivery {
        id: r.get(0)?,
        endpoint: r.get(1)?,
        event_type: WebhookEventType::from_wire(&event_type).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown event type `{event_type}`").into(),
            )
        })?,
        body: r.get(3)?,
        status: status_of(&status)?,
        attempts: r.get(5)?,
        next_attempt_at_ms: r.get(6)?,
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        delivered_at: r.get(9)?,
    })
}

/// Whether a pending delivery is due at `now_ms` (a read, so an idle worker never writes).
pub(super) fn any_due(conn: &Connection, now_ms: i64) -> Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= ?1 LIMIT 1",
    )
    .and_then(|mut s| s.exists([now_ms]))
    .map_err(db_err("read webhook outbox"))
}

pub(super) fn claim(
    conn: &mut Connection,
    now_ms: i64,
    lease_until_ms: i64,
    limit: i64,
) -> Result<Vec<OutboxDelivery>> {
    let tx = immediate(conn)?;
    let claimed = tx
        .prepare_cached(&format!(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?2
             WHERE id IN (SELECT id FROM webhook_deliveries
                          WHERE status = 'pending' AND next_attempt_at <= ?1
                          ORDER BY next_attempt_at, created_at LIMIT ?3)
             RETURNING {COLUMNS}"
        ))
        .and_then(|mut s| {
            s.query_map(params![now_ms, lease_until_ms, limit], delivery)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db_err("claim webhook deliveries"))?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(claimed)
}

pub(super) fn delivered(conn: &mut Connection, id: &str, now: i64) -> Result<bool> {
    conn.execute(
        "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?2, last_error = NULL
         WHERE id = ?1 AND status = 'pending'",
        params![id, now],
    )
    .map(|n| n > 0)
    .map_err(db_err("mark webhook delivered"))
}

pub(super) fn failed(
    conn: &mut Connection,
    id: &str,
    error: &str,
    next_attempt_at_ms: i64,
    max_attempts: u32,
) -> Result<Option<DeliveryStatus>> {
    let status: Option<String> = conn
        .query_row(
            "UPDATE webhook_deliveries
             SET last_error = ?2, next_attempt_at = ?3,
                 status = CASE WHEN attempts >= ?4 THEN 'dead' ELSE 'pending' END
             WHERE id = ?1 AND status = 'pending'
             RETURNING status",
            params![id, error, next_attempt_at_ms, max_attempts],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err("mark webhook failed"))?;
    status
        .map(|s| status_of(&s).map_err(db_err("mark webhook failed")))
        .transpose()
}

pub(super) fn list(
    conn: &Connection,
    status: Option<DeliveryStatus>,
    limit: i64,
) -> Result<Vec<OutboxDelivery>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM webhook_deliveries WHERE (?1 IS NULL OR status = ?1)
         ORDER BY created_at DESC, rowid DESC LIMIT ?2"
    ))
    .and_then(|mut s| {
        s.query_map(params![status.map(DeliveryStatus::as_str), limit], delivery)?
            .collect()
    })
    .map_err(db_err("read webhook deliveries"))
}

fn by_id(conn: &Connection, id: &str) -> Result<Option<OutboxDelivery>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM webhook_deliveries WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id], delivery).optional())
    .map_err(db_err("read webhook delivery"))
}

/// Makes a dead or delivered delivery pending again, on the caller's transaction; the delivery
/// after and whether it changed (a pending one does not).
pub(super) fn replay(
    tx: &Connection,
    id: &str,
    now_ms: i64,
) -> Result<Option<(OutboxDelivery, bool)>> {
    let Some(found) = by_id(tx, id)? else {
        return Ok(None);
    };
    if found.status == DeliveryStatus::Pending {
        return Ok(Some((found, false)));
    }
    tx.execute(
        "UPDATE webhook_deliveries
         SET status = 'pending', attempts = 0, next_attempt_at = ?2, last_error = NULL,
             delivered_at = NULL
         WHERE id = ?1",
        params![id, now_ms],
    )
    .map_err(db_err("replay webhook delivery"))?;
    Ok(by_id(tx, id)?.map(|d| (d, true)))
}
