//! What a request's index names reach, asked of OpenSearch: a snapshot of the cluster's
//! indices, aliases and data streams ([`Catalog`]) kept for a short TTL, refreshed by one request
//! at a time, dropped at once when a request through the proxy changes index metadata, and
//! completed live for names the snapshot does not know (a new alias must not pass as a new
//! index). Every failure to ask is an error: a request whose names cannot be resolved is denied.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use oauth4os_core::Result;
use oauth4os_core::authorize::Resolved;
use oauth4os_core::catalog::{Catalog, resolve_path};

use super::upstream::Upstream;

/// The endpoints after which the snapshot is stale: they create, delete, open, close or
/// re-alias indices, or change the settings that hide them.
const CHANGES_METADATA: &[&str] = &[
    "index_create",
    "index_delete",
    "alias_put",
    "alias_delete",
    "aliases",
    "open",
    "close",
    "settings_put",
    "reindex",
    "cluster_admin",
    "snapshot",
];

#[derive(Debug)]
struct Snapshot {
    at: Instant,
    catalog: Arc<Catalog>,
}

/// Resolves index patterns through a cached snapshot of the cluster.
#[derive(Debug)]
pub struct IndexResolver {
    ttl: Duration,
    snapshot: RwLock<Option<Snapshot>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl IndexResolver {
    /// A resolver keeping snapshots for `ttl` (zero: every request resolves its names live).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            snapshot: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Drops the snapshot after a request to `endpoint` went through, if it may have changed
    /// what names reach.
    pub fn after(&self, endpoint: &str) {
        if CHANGES_METADATA.contains(&endpoint) {
            self.invalidate();
        }
    }

    /// Drops the snapshot: the next request asks the cluster again.
    pub fn invalidate(&self) {
        if let Ok(mut s) = self.snapshot.write() {
            *s = None;
        }
    }

    /// What each of `patterns` reaches now (see [`Catalog::resolve`]).
    pub async fn resolve(&self, upstream: &Upstream, patterns: &[&str]) -> Result<Resolved> {
        if self.ttl.is_zero() {
            return Ok(ask(upstream, &patterns.join(",")).await?.resolve(patterns));
        }
        let catalog = self.catalog(upstream).await?;
        let unknown = catalog.unknown(patterns);
        let mut resolved = catalog.resolve(patterns);
        if !unknown.is_empty() {
            let fresh = ask(upstream, &unknown.join(",")).await?;
            if !fresh.is_empty() {
                // Created since the snapshot (not through the proxy): it is stale.
                self.invalidate();
            }
            resolved.extend(fresh.resolve(&unknown));
        }
        Ok(resolved)
    }

    fn current(&self) -> Option<Arc<Catalog>> {
        let s = self.snapshot.read().ok()?;
        s.as_ref()
            .filter(|s| s.at.elapsed() < self.ttl)
            .map(|s| Arc::clone(&s.catalog))
    }

    async fn catalog(&self, upstream: &Upstream) -> Result<Arc<Catalog>> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let _one = self.refreshing.lock().await;
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let catalog = Arc::new(ask(upstream, "*").await?);
        if let Ok(mut s) = self.snapshot.write() {
            *s = Some(Snapshot {
                at: Instant::now(),
                catalog: Arc::clone(&catalog),
            });
        }
        Ok(catalog)
    }
}

async fn ask(upstream: &Upstream, expression: &str) -> Result<Catalog> {
    let (status, body) = upstream.get(&resolve_path(expression)).await?;
    Catalog::from_resolve_answer(status, &body)
}
