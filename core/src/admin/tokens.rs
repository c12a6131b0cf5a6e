//! `/admin/families`, `/admin/keys` and `/admin/audit`: refresh-token families, signing keys
//! and the audit log. Times are seconds since the Unix epoch.

use percent_encoding::utf8_percent_encode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::UNRESERVED_KEPT;

/// The query of `GET /admin/families`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyQuery {
    /// Only the families of this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl FamilyQuery {
    /// The query string, without `?`; empty when no filter is set.
    pub fn to_query_string(&self) -> String {
        encode_query(&[("client_id", self.client_id.clone())])
    }
}

/// An active refresh-token family: one grant and every refresh token rotated from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefreshFamily {
    /// The family id, for `DELETE /admin/families/{id}`.
    pub family_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The scope originally granted.
    pub scope: String,
    /// The audience of its access tokens.
    pub audience: String,
    /// When it was created.
    pub created_at: i64,
    /// When its newest token was issued.
    pub last_issued_at: i64,
    /// When its current refresh token expires.
    pub expires_at: i64,
}

/// The answer to `GET /admin/families`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefreshFamilyList {
    /// The active families, filtered by the query.
    pub families: Vec<RefreshFamily>,
}

/// A signing key of the authorization server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SigningKey {
    /// The key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The JOSE algorithm (`ES256`).
    pub alg: String,
    /// When it was created.
    pub created_at: i64,
    /// When it stopped signing; `null` while it signs.
    pub retired_at: Option<i64>,
    /// Whether it signs new tokens (exactly one key does).
    pub active: bool,
    /// Whether it is in the published JWKS, so tokens it signed still verify.
    pub published: bool,
}

/// The answer to `GET /admin/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SigningKeyList {
    /// Every key, retired ones included.
    pub keys: Vec<SigningKey>,
}

/// The answer to `POST /admin/keys/rotate`: the new key, which signs from now on; the old one
/// stays published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RotatedKey {
    /// The new key id.
    pub kid: String,
    /// Its JOSE algorithm.
    pub alg: String,
    /// Always `true`.
    pub active: bool,
    /// Always `true`.
    pub published: bool,
}

/// Audit events answered when the query sets no `limit`.
pub const AUDIT_DEFAULT_LIMIT: u64 = 100;
/// The largest `limit` an audit query may set.
pub const AUDIT_MAX_LIMIT: u64 = 1000;

/// The query of `GET /admin/audit`; every parameter narrows the result, each at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only events of this kind (`client_created`, `refresh_token_reused`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only events about this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Only events at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// At most this many events, newest first (1 to 1000; 100 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u64>,
}

impl AuditQuery {
    /// The query string, without `?`; empty when no parameter is set.
    pub fn to_query_string(&self) -> String {
        encode_query(&[
            ("kind", self.kind.clone()),
            ("client_id", self.client_id.clone()),
            ("since", self.since.map(|n| n.to_string())),
            ("limit", self.limit.map(|n| n.to_string())),
        ])
    }
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEvent {
    /// When it happened.
    pub at: i64,
    /// What happened (`client_created`, `refresh_token_reused`, `store_restored`, ...).
    pub kind: String,
    /// The client concerned; `null` when none is.
    pub client_id: Option<String>,
    /// Details, a JSON object; `by` names the admin client for changes made through this API.
    #[schemars(with = "serde_json::Map<String, Value>")]
    pub detail: Value,
}

/// The answer to `GET /admin/audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditList {
    /// The events, newest first.
    pub events: Vec<AuditEvent>,
}

pub(super) fn encode_query(pairs: &[(&str, Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(name, value)| {
            let v = value.as_deref()?;
            Some(format!(
                "{name}={}",
                utf8_percent_encode(v, UNRESERVED_KEPT)
            ))
        })
        .collect::<Vec<_>>()
        .join("&")
}
