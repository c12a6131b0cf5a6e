//! `/admin/webhooks`: the webhook outbox — deliveries by status (`dead` lists the dead letters)
//! and replay, which makes a delivery pending again with the same `webhook-id`.

use oauth4os_core::Reason;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use oauth4os_core::admin::{DeliveryStatus, WebhookDelivery, WebhookDeliveryList};
use oauth4os_core::error::quote;
use oauth4os_core::verify::unix_now;
use serde_json::{Value, json};

use super::{AdminResult, Caller, fail, from_core, json, not_found_item, query};
use crate::authz::AuthServer;
use crate::services::store::{AuditEvent, OutboxDelivery};

/// Default and largest page of deliveries.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

fn view(d: OutboxDelivery) -> WebhookDelivery {
    WebhookDelivery {
        payload: serde_json::from_str(&d.body).unwrap_or(Value::Null),
        id: d.id,
        endpoint: d.endpoint,
        event_type: d.event_type,
        status: d.status,
        attempts: d.attempts,
        next_attempt_at_ms: d.next_attempt_at_ms,
        last_error: d.last_error,
        created_at: d.created_at,
        delivered_at: d.delivered_at,
    }
}

pub(super) async fn deliveries(
    State(server): State<Arc<AuthServer>>,
    RawQuery(raw): RawQuery,
) -> AdminResult {
    let (mut status, mut limit) = (None, DEFAULT_LIMIT);
    for (name, value) in query(raw.as_deref(), &["status", "limit"])? {
        if name == "status" {
            status = Some(DeliveryStatus::from_wire(&value).ok_or_else(|| {
                fail(
                    Reason::InvalidRequest,
                    &format!(
                        "`status` must be `pending`, `delivered` or `dead`, not {}",
                        quote(&value)
                    ),
                )
            })?);
        } else {
            limit = value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    fail(
                        Reason::InvalidRequest,
                        &format!("`limit` must be between 1 and {MAX_LIMIT}"),
                    )
                })?;
        }
    }
    let found = server
        .store()
        .webhook_deliveries(status, limit)
        .await
        .map_err(from_core)?;
    let deliveries = found.into_iter().map(view).collect();
    Ok(json(StatusCode::OK, &WebhookDeliveryList { deliveries }))
}

pub(super) async fn replay(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    Path(id): Path<String>,
) -> AdminResult {
    let now = unix_now();
    let event = AuditEvent::new(
        now,
        "webhook_replayed",
        None,
        json!({ "id": id, "by": by.0 }),
    );
    let now_ms = now.saturating_mul(1000);
    let replayed = server
        .store()
        .replay_webhook_delivery(id.clone(), now_ms, event)
        .await
        .map_err(from_core)?
        .ok_or_else(|| not_found_item("webhook delivery", &id))?;
    tracing::info!(id = %replayed.id, endpoint = %replayed.endpoint, "webhook delivery replayed");
    Ok(json(StatusCode::OK, &view(replayed)))
}
