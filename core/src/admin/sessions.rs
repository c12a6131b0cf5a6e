//! `/admin/sessions` and `/admin/consents`: interactive (authorization-code) sessions and the
//! consents they rely on. A session is one sign-in of a user at a client: the refresh family
//! and access tokens issued from that sign-in's code. Revoking a session revokes all of them;
//! withdrawing a consent ends every session that relies on it and makes the next sign-in ask
//! again. Times are seconds since the Unix epoch.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tokens::encode_query;

/// The query of `GET /admin/sessions` and `DELETE /admin/sessions`; every parameter narrows the
/// result. A `DELETE` must set at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionQuery {
    /// Only the sessions of this user (the `sub` of their tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Only the sessions at this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Only the sessions of this tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

impl SessionQuery {
    /// The query string, without `?`; empty when no filter is set.
    pub fn to_query_string(&self) -> String {
        encode_query(&[
            ("user", self.user.clone()),
            ("client_id", self.client_id.clone()),
            ("tenant", self.tenant.clone()),
        ])
    }

    /// Whether no filter is set (a bulk `DELETE` refuses that).
    pub fn is_empty(&self) -> bool {
        self.user.is_none() && self.client_id.is_none() && self.tenant.is_none()
    }
}

/// An interactive session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Session {
    /// The session id, for `GET` and `DELETE /admin/sessions/{id}`.
    pub session_id: String,
    /// The user who signed in (the `sub` of the session's tokens).
    pub user: String,
    /// The client's tenant.
    pub tenant: String,
    /// The client the user signed in to.
    pub client_id: String,
    /// When the session began (its code was redeemed).
    pub created_at: i64,
    /// When a token was last issued in it (its last refresh).
    pub last_used_at: i64,
    /// When it ends unless refreshed: its refresh token's expiry, or its access token's when it
    /// has no refresh token.
    pub expires_at: i64,
    /// The browser's `User-Agent` at sign-in, when it sent one.
    pub user_agent: Option<String>,
    /// The browser's address at sign-in, when known.
    pub address: Option<String>,
    /// Its refresh-token family; `null` when the client gets no refresh tokens.
    pub family_id: Option<String>,
    /// The consent it relies on.
    pub consent_id: Option<String>,
    /// Whether its tokens may still be used: not revoked, not expired.
    pub active: bool,
    /// When it was ended (revoked here, its consent withdrawn, its refresh family revoked).
    pub ended_at: Option<i64>,
    /// Why it was ended (`admin`, `consent_withdrawn`, `reuse`, ...).
    pub ended_reason: Option<String>,
}

/// The answer to `GET /admin/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionList {
    /// The active sessions matching the query, newest first.
    pub sessions: Vec<Session>,
}

/// The answer to `DELETE /admin/sessions/{id}` and `DELETE /admin/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionRevocation {
    /// The sessions ended by this call (an already ended one is not listed again).
    pub sessions: Vec<String>,
    /// How many access tokens of theirs were revoked by id (expired ones included).
    pub access_tokens: u64,
}

/// The query of `GET /admin/consents`; every parameter narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentQuery {
    /// Only the consents of this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Only the consents given to this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl ConsentQuery {
    /// The query string, without `?`; empty when no filter is set.
    pub fn to_query_string(&self) -> String {
        encode_query(&[
            ("user", self.user.clone()),
            ("client_id", self.client_id.clone()),
        ])
    }
}

/// A user's consent to a client holding some scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Consent {
    /// The consent id, for `DELETE /admin/consents/{id}`.
    pub consent_id: String,
    /// The user who gave it.
    pub user: String,
    /// The client it was given to.
    pub client_id: String,
    /// The scopes consented to, space separated.
    pub scope: String,
    /// When it was last given.
    pub granted_at: i64,
    /// When it stops being remembered (the next sign-in asks again; sessions go on).
    pub expires_at: i64,
    /// Whether it is still remembered.
    pub active: bool,
}

/// The answer to `GET /admin/consents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConsentList {
    /// The consents matching the query, expired ones included, newest first.
    pub consents: Vec<Consent>,
}

/// The answer to `DELETE /admin/consents/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConsentWithdrawal {
    /// The consent withdrawn.
    pub consent_id: String,
    /// The sessions that relied on it, now ended.
    pub sessions: Vec<String>,
    /// How many access tokens of theirs were revoked by id.
    pub access_tokens: u64,
}
