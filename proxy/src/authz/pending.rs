//! Authorization requests between `/oauth/authorize` and the redirect back: the validated
//! request, where it stands (login, consent), held in memory for ten minutes.

use std::collections::HashMap;
use std::sync::Mutex;

use oauth4os_core::verify::unix_now;

/// `GET /oauth/authorize`.
pub const AUTHORIZE_PATH: &str = oauth4os_core::protocol::paths::AUTHORIZE;
/// Where the tenant's provider sends the user back.
pub const CALLBACK_PATH: &str = oauth4os_core::protocol::paths::CALLBACK;
/// Where the consent page posts.
pub const CONSENT_PATH: &str = "/oauth/consent";
/// Lifetime of a pending request (login and consent), seconds.
pub(super) const PENDING_TTL: i64 = 600;
/// Most pending requests held; the oldest go first.
const MAX_PENDING: usize = 10_000;

/// A validated authorization request.
#[derive(Debug, Clone)]
pub(crate) struct AuthzRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: String,
    pub(crate) audience: String,
    /// The browser's `User-Agent` (at most [`MAX_USER_AGENT`] bytes), for the session.
    pub(crate) user_agent: Option<String>,
    /// The browser's address, for the session.
    pub(crate) address: Option<String>,
}

/// Longest `User-Agent` kept for a session, bytes.
pub(crate) const MAX_USER_AGENT: usize = 256;

/// Where a pending request stands.
#[derive(Debug)]
pub(super) enum Stage {
    Login { nonce: String, verifier: String },
    Consent { subject: String, csrf: String },
}

/// A request awaiting login or consent.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) req: AuthzRequest,
    pub(super) stage: Stage,
    pub(super) created: i64,
}

/// Requests between `/oauth/authorize` and the redirect back, in memory.
#[derive(Debug, Default)]
pub(crate) struct PendingSet {
    map: Mutex<HashMap<String, Pending>>,
}

impl PendingSet {
    pub(super) fn insert(&self, id: String, p: Pending) {
        if let Ok(mut m) = self.map.lock() {
            let now = unix_now();
            m.retain(|_, v| now - v.created < PENDING_TTL);
            while m.len() >= MAX_PENDING {
                let Some(oldest) = m
                    .iter()
                    .min_by_key(|(_, v)| v.created)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                m.remove(&oldest);
            }
            m.insert(id, p);
        }
    }

    /// Takes the pending request `id` when `accept` says so; leaves it otherwise.
    pub(super) fn take_if(
        &self,
        id: &str,
        accept: impl FnOnce(&Pending) -> bool,
    ) -> Option<Pending> {
        let mut m = self.map.lock().ok()?;
        let fresh = m
            .get(id)
            .is_some_and(|p| unix_now() - p.created < PENDING_TTL);
        if fresh && m.get(id).is_some_and(accept) {
            m.remove(id)
        } else {
            None
        }
    }

    pub(super) fn put_back(&self, id: String, p: Pending) {
        if let Ok(mut m) = self.map.lock() {
            m.insert(id, p);
        }
    }
}
