//! The webhook outbox's records, and how an audit event becomes a webhook event.
//!
//! Webhook events are derived from audit events inside the store, in the transaction that
//! writes the audit event (itself the transaction of the change, where the change has one): an
//! event is never sent without being recorded, nor recorded without being queued. One delivery
//! is queued per endpoint subscribed to the event's type; its id is the `webhook-id`.

use oauth4os_core::admin::{DeliveryStatus, WebhookEventType};
use serde_json::{Map, Value, json};

use super::AuditEvent;

/// An endpoint the store queues deliveries for, and the event types it wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRoute {
    /// The endpoint's URL (its identity in the outbox).
    pub endpoint: String,
    /// The event types it subscribes to.
    pub events: Vec<WebhookEventType>,
}

/// A webhook event ready to queue: its type, its body (the exact bytes signed and sent, on
/// every attempt) and when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// Its type.
    pub event_type: WebhookEventType,
    /// `{"type", "timestamp", "data"}`, serialized once.
    pub body: String,
    /// When it happened, seconds since the epoch.
    pub created_at: i64,
}

/// One event for one endpoint, as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxDelivery {
    /// The `webhook-id`, the same across retries and replays.
    pub id: String,
    /// The endpoint's URL.
    pub endpoint: String,
    /// The event type.
    pub event_type: WebhookEventType,
    /// The body.
    pub body: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts since it was queued or last replayed (a claim counts as one).
    pub attempts: u32,
    /// When it is due (milliseconds since the epoch), while pending.
    pub next_attempt_at_ms: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the event happened, seconds since the epoch.
    pub created_at: i64,
    /// When it was delivered, seconds since the epoch.
    pub delivered_at: Option<i64>,
}

/// Keys never copied from an audit event's detail into a payload, whatever the event: audit
/// events hold no secret, and this keeps it so if one ever did.
const NEVER_SENT: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "secret",
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "assertion",
];

impl WebhookEvent {
    /// The webhook event an audit event is published as, if its kind is one.
    pub fn from_audit(e: &AuditEvent) -> Option<Self> {
        let event_type = WebhookEventType::of_audit_kind(&e.kind)?;
        let mut data = Map::new();
        if let Some(c) = &e.client_id {
            data.insert("client_id".into(), Value::String(c.clone()));
        }
        if let Some(detail) = e.detail.as_object() {
            for (k, v) in detail {
                if !NEVER_SENT.contains(&k.as_str()) {
                    data.insert(k.clone(), v.clone());
                }
            }
        }
        data.insert("audit_kind".into(), Value::String(e.kind.clone()));
        let body = json!({
            "type": event_type.as_str(),
            "timestamp": rfc3339(e.at),
            "data": data,
        });
        Some(Self {
            event_type,
            body: body.to_string(),
            created_at: e.at,
        })
    }
}

/// Seconds since the epoch as an RFC 3339 UTC time (`2025-12-02T18:26:40Z`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_699_999), "2025-12-02T18:26:39Z");
        assert_eq!(rfc3339(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn an_audit_event_becomes_a_payload_without_secrets() {
        let e = AuditEvent::new(
            1_764_699_999,
            "access_token_revoked",
            Some("agent"),
            json!({ "jti": "j-1", "exp": 5, "token": "eyJ.secret", "client_secret": "s" }),
        );
        let w = WebhookEvent::from_audit(&e).unwrap();
        assert_eq!(w.event_type, WebhookEventType::TokenRevoked);
        let body: Value = serde_json::from_str(&w.body).unwrap();
        assert_eq!(
            body,
            json!({
                "type": "token.revoked",
                "timestamp": "2025-12-02T18:26:39Z",
                "data": { "client_id": "agent", "jti": "j-1", "exp": 5, "audit_kind": "access_token_revoked" },
            })
        );
        assert!(!w.body.contains("secret"), "{}", w.body);
        let quiet = AuditEvent::new(1, "store_restored", None, json!({}));
        assert_eq!(WebhookEvent::from_audit(&quiet), None);
    }
}
