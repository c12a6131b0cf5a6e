//! `/admin/webhooks`: the outbox of signed webhook events, its dead letters and their replay.
//! Times are seconds since the Unix epoch.
//!
//! Events follow the Standard Webhooks layout: the body is
//! `{"type": "<event type>", "timestamp": "<RFC 3339>", "data": {...}}`, and each attempt carries
//! `webhook-id` (the idempotency key, the same across retries and replays), `webhook-timestamp`
//! and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a webhook event tells.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum WebhookEventType {
    /// An access token was issued.
    #[serde(rename = "token.issued")]
    TokenIssued,
    /// An access token, a refresh family or every token of a client was revoked.
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    /// A retired refresh token was presented again; its family was revoked.
    #[serde(rename = "refresh.reuse_detected")]
    RefreshReuseDetected,
    /// A client was created.
    #[serde(rename = "client.created")]
    ClientCreated,
    /// A client was changed (scopes, grants, secret).
    #[serde(rename = "client.updated")]
    ClientUpdated,
    /// A client was deleted.
    #[serde(rename = "client.deleted")]
    ClientDeleted,
    /// A Cedar policy or a scope mapping was added, replaced or deleted.
    #[serde(rename = "policy.changed")]
    PolicyChanged,
}

impl WebhookEventType {
    /// Every event type.
    pub const ALL: [WebhookEventType; 7] = [
        Self::TokenIssued,
        Self::TokenRevoked,
        Self::RefreshReuseDetected,
        Self::ClientCreated,
        Self::ClientUpdated,
        Self::ClientDeleted,
        Self::PolicyChanged,
    ];

    /// The wire name (`token.issued`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenIssued => "token.issued",
            Self::TokenRevoked => "token.revoked",
            Self::RefreshReuseDetected => "refresh.reuse_detected",
            Self::ClientCreated => "client.created",
            Self::ClientUpdated => "client.updated",
            Self::ClientDeleted => "client.deleted",
            Self::PolicyChanged => "policy.changed",
        }
    }

    /// The event type with this wire name.
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The event type an audit event of `kind` is published as, if any.
    pub fn of_audit_kind(kind: &str) -> Option<Self> {
        Some(match kind {
            "access_token_issued" | "admin_token_issued" | "token_exchanged" => Self::TokenIssued,
            "access_token_revoked"
            | "refresh_family_revoked"
            | "client_tokens_revoked"
            | "authorization_code_replayed" => Self::TokenRevoked,
            "refresh_token_reused" => Self::RefreshReuseDetected,
            "client_created" => Self::ClientCreated,
            "client_updated" | "client_secret_rotated" => Self::ClientUpdated,
            "client_deleted" => Self::ClientDeleted,
            "policy_put" | "policy_deleted" | "scope_mapping_put" | "scope_mapping_deleted" => {
                Self::PolicyChanged
            }
            _ => return None,
        })
    }
}

impl std::fmt::Display for WebhookEventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not delivered yet; attempted again at `next_attempt_at`.
    Pending,
    /// An attempt was answered with a 2xx status.
    Delivered,
    /// Every attempt failed: a dead letter, until replayed.
    Dead,
}

impl DeliveryStatus {
    /// The wire name (`pending`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// The status with this wire name.
    pub fn from_wire(name: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// The query of `GET /admin/webhooks/deliveries`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Only deliveries in this status (`dead` lists the dead letters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("enum" = ["pending", "delivered", "dead"]))]
    pub status: Option<DeliveryStatus>,
    /// At most this many deliveries, newest first (1 to 1000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u64>,
}

impl DeliveryQuery {
    /// The query string, without `?`; empty when no parameter is set.
    pub fn to_query_string(&self) -> String {
        super::tokens::encode_query(&[
            ("status", self.status.map(|s| s.as_str().to_owned())),
            ("limit", self.limit.map(|n| n.to_string())),
        ])
    }
}

/// One event for one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookDelivery {
    /// The `webhook-id`: the idempotency key, the same across retries and replays.
    pub id: String,
    /// The endpoint's URL.
    pub endpoint: String,
    /// The event type.
    pub event_type: WebhookEventType,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts so far (since the last replay).
    pub attempts: u32,
    /// When it is attempted next, in milliseconds since the epoch (while pending).
    pub next_attempt_at_ms: i64,
    /// Why the last attempt failed; `null` when none did.
    pub last_error: Option<String>,
    /// When the event happened.
    pub created_at: i64,
    /// When it was delivered; `null` until it is.
    pub delivered_at: Option<i64>,
    /// The body sent: `{"type", "timestamp", "data"}` (never a token or a secret).
    #[schemars(with = "serde_json::Map<String, Value>")]
    pub payload: Value,
}

/// The answer to `GET /admin/webhooks/deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookDeliveryList {
    /// The deliveries, newest first.
    pub deliveries: Vec<WebhookDelivery>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for t in WebhookEventType::ALL {
            assert_eq!(WebhookEventType::from_wire(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(Value::String(t.as_str().to_owned()))
            );
        }
        assert_eq!(WebhookEventType::from_wire("token.minted"), None);
        assert_eq!(
            DeliveryStatus::from_wire("dead"),
            Some(DeliveryStatus::Dead)
        );
        assert_eq!(DeliveryStatus::from_wire("Dead"), None);
    }

    #[test]
    fn audit_kinds_map_to_their_event_types() {
        use WebhookEventType as T;
        for (kind, t) in [
            ("access_token_issued", Some(T::TokenIssued)),
            ("refresh_family_revoked", Some(T::TokenRevoked)),
            ("refresh_token_reused", Some(T::RefreshReuseDetected)),
            ("client_secret_rotated", Some(T::ClientUpdated)),
            ("client_deleted", Some(T::ClientDeleted)),
            ("scope_mapping_deleted", Some(T::PolicyChanged)),
            ("store_restored", None),
            ("webhook_replayed", None),
        ] {
            assert_eq!(T::of_audit_kind(kind), t, "{kind}");
        }
    }
}
