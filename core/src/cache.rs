//! The verified-token cache: re-verifying a token already verified does no signature work.
//!
//! Bounded (entries are evicted when full), sharded to keep lock hold times short, and an entry
//! never outlives its token's `exp` (plus the configured leeway) or its revocation.

use std::collections::HashMap;
use std::hash::BuildHasher;

// Keyed per process like std's SipHash, but hashes an ~800-byte token several times faster; only
// verified tokens are ever inserted, so an attacker cannot fill a bucket with chosen keys.
use foldhash::quality::RandomState;
use std::sync::{Arc, Mutex};

use crate::claims::Claims;

const SHARDS: usize = 16;

#[derive(Debug)]
struct Entry {
    claims: Arc<Claims>,
    /// Last second (exclusive) at which the entry may be served.
    valid_until: i64,
}

/// A bounded map from token to verified claims.
#[derive(Debug)]
pub struct VerifiedCache {
    shards: Vec<Mutex<HashMap<Box<str>, Entry, RandomState>>>,
    per_shard: usize,
    hasher: RandomState,
}

impl VerifiedCache {
    /// A cache holding at most about `capacity` tokens (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_hasher(RandomState::default())))
                .collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::default(),
        }
    }

    fn shard(&self, token: &str) -> Option<&Mutex<HashMap<Box<str>, Entry, RandomState>>> {
        let h = self.hasher.hash_one(token);
        self.shards.get((h as usize) % SHARDS)
    }

    /// The cached claims of `token` if it is cached and still valid at `now`.
    pub fn get(&self, token: &str, now: i64) -> Option<Arc<Claims>> {
        let shard = self.shard(token)?;
        let mut map = shard.lock().ok()?;
        match map.get(token) {
            Some(e) if now < e.valid_until => Some(e.claims.clone()),
            Some(_) => {
                map.remove(token);
                None
            }
            None => None,
        }
    }

    /// Caches `claims` for `token` until `valid_until` (seconds since the epoch).
    pub fn insert(&self, token: &str, claims: Arc<Claims>, valid_until: i64, now: i64) {
        if self.per_shard == 0 || valid_until <= now {
            return;
        }
        let Some(shard) = self.shard(token) else {
            return;
        };
        let Ok(mut map) = shard.lock() else { return };
        if map.len() >= self.per_shard {
            map.retain(|_, e| now < e.valid_until);
        }
        if map.len() >= self.per_shard {
            // Still full: drop an arbitrary entry (iteration order is randomised per map).
            if let Some(victim) = map.keys().next().cloned() {
                map.remove(&victim);
            }
        }
        map.insert(
            token.into(),
            Entry {
                claims,
                valid_until,
            },
        );
    }

    /// Forgets `token`.
    pub fn remove(&self, token: &str) {
        if let Some(shard) = self.shard(token)
            && let Ok(mut map) = shard.lock()
        {
            map.remove(token);
        }
    }

    /// Forgets every token with this `jti` (called on revocation).
    pub fn revoke_jti(&self, jti: &str) {
        for shard in &self.shards {
            if let Ok(mut map) = shard.lock() {
                map.retain(|_, e| e.claims.jti.as_deref() != Some(jti));
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        for shard in &self.shards {
            if let Ok(mut map) = shard.lock() {
                map.clear();
            }
        }
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .filter_map(|s| s.lock().ok())
            .map(|m| m.len())
            .sum()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(jti: &str) -> Arc<Claims> {
        Arc::new(Claims {
            iss: "i".into(),
            sub: None,
            aud: vec!["a".into()],
            exp: 100,
            nbf: None,
            iat: None,
            jti: Some(jti.into()),
            client_id: None,
            scope: None,
            tenant: None,
            extra: Default::default(),
        })
    }

    #[test]
    fn entries_expire_and_can_be_revoked() {
        let c = VerifiedCache::new(100);
        c.insert("t1", claims("j1"), 100, 0);
        c.insert("t2", claims("j2"), 100, 0);
        assert!(c.get("t1", 99).is_some());
        assert!(c.get("t1", 100).is_none());
        assert!(c.get("t1", 50).is_none(), "expired entries are removed");
        c.revoke_jti("j2");
        assert!(c.get("t2", 1).is_none());
        c.insert("t3", claims("j3"), 50, 60);
        assert!(
            c.get("t3", 10).is_none(),
            "already-expired tokens are not cached"
        );
    }

    #[test]
    fn stays_bounded() {
        let c = VerifiedCache::new(64);
        for i in 0..10_000 {
            c.insert(&format!("token-{i}"), claims("j"), 1000, 0);
        }
        assert!(c.len() <= 64, "{}", c.len());
        let disabled = VerifiedCache::new(0);
        disabled.insert("t", claims("j"), 1000, 0);
        assert!(disabled.is_empty());
    }
}
