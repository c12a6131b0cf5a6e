//! What is revoked, held in memory for the hot path: access-token ids (until they expire) and
//! per-client cut-offs (every token of the client issued at or before the cut-off).

use oauth4os_core::Reason;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use oauth4os_core::{Claims, Error, Result};

use super::revoke::{RevokedSet, expired_before};
use crate::services::store::Store;

/// Revoked token ids and client cut-offs, loaded from the store.
#[derive(Debug, Default)]
pub(crate) struct Revocations {
    /// Revoked, not yet expired access-token ids.
    pub(crate) jtis: RevokedSet,
    /// Per-client cut-offs: tokens of the client with `iat` at or before the value are revoked.
    cutoffs: RwLock<HashMap<String, i64>>,
}

impl Revocations {
    /// Loads what the store holds at `now`, after purging what has expired.
    pub(crate) async fn load(store: &Arc<dyn Store>, now: i64) -> Result<Self> {
        let cutoff = expired_before(now);
        store.purge_expired(cutoff).await?;
        let revocations = Self::default();
        revocations.reload(store, now).await?;
        revocations.jtis.purged_at(now);
        Ok(revocations)
    }

    /// Replaces what is held with what the store holds (after a restore, say).
    pub(crate) async fn reload(&self, store: &Arc<dyn Store>, now: i64) -> Result<()> {
        let jtis = store.revoked_access_tokens(expired_before(now)).await?;
        let cutoffs: HashMap<String, i64> = store
            .client_cutoffs(now)
            .await?
            .into_iter()
            .map(|c| (c.client_id, c.issued_before))
            .collect();
        self.jtis.purge(i64::MAX);
        self.jtis.extend(jtis);
        if let Ok(mut c) = self.cutoffs.write() {
            *c = cutoffs;
        }
        Ok(())
    }

    /// Verified claims, refused when revoked: by `jti`, or by the client's cut-off.
    pub(crate) fn unrevoked(&self, claims: Arc<Claims>) -> Result<Arc<Claims>> {
        let Some(jti) = claims.jti.as_deref() else {
            return Err(Error::new(
                Reason::MissingJti,
                "the token has no `jti` claim",
            ));
        };
        let revoked = || Error::new(Reason::Revoked, "the token has been revoked");
        if self.jtis.contains(jti) {
            return Err(revoked());
        }
        if let Some(cutoff) = self.client_cutoff(claims.client_id.as_deref().unwrap_or_default())
            && claims.iat.unwrap_or(i64::MIN) <= cutoff
        {
            return Err(revoked());
        }
        Ok(claims)
    }

    /// The revocation cut-off of a client, if it has one.
    pub(crate) fn client_cutoff(&self, client_id: &str) -> Option<i64> {
        match self.cutoffs.read() {
            Ok(m) => m.get(client_id).copied(),
            // A poisoned lock fails closed: treat every token of every client as revoked.
            Err(_) => Some(i64::MAX),
        }
    }

    /// Revokes every token of `client_id` issued at or before `now`.
    pub(crate) fn cut_off(&self, client_id: &str, now: i64) {
        if let Ok(mut m) = self.cutoffs.write() {
            let e = m.entry(client_id.to_owned()).or_insert(now);
            *e = (*e).max(now);
        }
    }
}
