//! The refresh grace window (`refresh_reuse_grace`): two refreshes of one refresh token by the
//! same client, a moment apart (two threads of one client racing, or a retry after a lost
//! answer), must not look like a stolen token being replayed.
//!
//! Of the two ways to answer the second request — re-issue the first one's answer, or a fresh
//! pair in the same family — this module re-issues the first answer, unchanged. A fresh pair
//! would fork the family into two live branches: a thief who replays a token within the window
//! would get a branch of their own that never collides with the legitimate one, so the theft
//! would never be detected. Re-issuing the same pair keeps one branch: whoever uses the new
//! refresh token second trips reuse detection as before. Nothing new is minted for the
//! second request, so there is no loser to retire.
//!
//! Concurrent refreshes of one token wait on a per-token gate, so the second sees the first's
//! answer once it is stored. The answer is held in memory only, for the window: after a restart,
//! or at another replica, the second request falls back to reuse detection (fail-safe).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A refresh answered recently; `A` is the answer (access token, scope, refresh token).
#[derive(Debug)]
pub(crate) struct Recent<A> {
    /// The client that presented the token.
    pub(crate) client_id: String,
    /// Its `scope` and `resource` parameters: a second request must ask the same.
    pub(crate) asked: (Option<String>, Option<String>),
    /// When it was answered.
    pub(crate) at: Instant,
    /// The answer.
    pub(crate) answer: A,
}

impl<A> Recent<A> {
    /// Whether a request by `client_id` asking `asked` may get this answer again.
    pub(crate) fn serves(
        &self,
        client_id: &str,
        asked: &(Option<String>, Option<String>),
        grace: Duration,
    ) -> bool {
        self.at.elapsed() <= grace && self.client_id == client_id && &self.asked == asked
    }
}

/// One gate per refresh token being refreshed or refreshed within the window.
pub(crate) type Gate<A> = Arc<tokio::sync::Mutex<Option<Recent<A>>>>;

/// The gates, by the SHA-256 of the refresh token presented.
#[derive(Debug)]
pub(crate) struct RecentRefreshes<A> {
    gates: Mutex<HashMap<[u8; 32], Gate<A>>>,
}

impl<A> Default for RecentRefreshes<A> {
    fn default() -> Self {
        Self {
            gates: Mutex::new(HashMap::new()),
        }
    }
}

impl<A> RecentRefreshes<A> {
    /// The gate of the token with this hash, dropping the gates that are idle and whose answer
    /// is older than `grace` (or absent).
    pub(crate) fn gate(&self, hash: &[u8; 32], grace: Duration) -> Gate<A> {
        let Ok(mut gates) = self.gates.lock() else {
            // A poisoned map: no grace for this request (reuse detection still applies).
            return Arc::new(tokio::sync::Mutex::new(None));
        };
        gates.retain(|_, g| {
            Arc::strong_count(g) > 1
                || g.try_lock().map_or(true, |r| {
                    r.as_ref().is_some_and(|r| r.at.elapsed() <= grace)
                })
        });
        gates
            .entry(*hash)
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(None)))
            .clone()
    }

    /// Makes every held answer `by` older, as if that much time had passed.
    #[cfg(test)]
    pub(crate) fn backdate(&self, by: Duration) {
        if let Ok(gates) = self.gates.lock() {
            for g in gates.values() {
                if let Ok(mut slot) = g.try_lock()
                    && let Some(r) = slot.as_mut()
                {
                    r.at = r.at.checked_sub(by).unwrap_or(r.at);
                }
            }
        }
    }

    /// How many gates are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.gates.lock().map_or(0, |g| g.len())
    }
}
