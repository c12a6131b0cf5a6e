//! What a request's index names reach, asked of OpenSearch: a snapshot of the cluster's
//! indices, aliases and data streams ([`Catalog`]) kept for a short TTL, refreshed by one request
//! at a time, dropped at once when a request through the proxy changes index metadata, and
//! completed live for names the snapshot does not know (a new alias must not pass as a new
//! index). Every failure to ask is an error: a request whose names cannot be resolved is denied.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use oauth4os_core::Result;
use oauth4os_core::authorize::Resolved;
use oauth4os_core::catalog::{
    Catalog, INDEX_PIPELINES_PATH, PIPELINES_PATH, TEMPLATES_PATH, resolve_path,
};

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
    "ingest",
    "index_template",
    "template",
    "component_template",
];

#[derive(Debug)]
struct Snapshot {
    at: Instant,
    catalog: Arc<Catalog>,
}

/// One cached snapshot, refreshed by one request at a time.
#[derive(Debug, Default)]
struct Slot {
    snapshot: RwLock<Option<Snapshot>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl Slot {
    fn current(&self, ttl: Duration) -> Option<Arc<Catalog>> {
        let s = self.snapshot.read().ok()?;
        s.as_ref()
            .filter(|s| s.at.elapsed() < ttl)
            .map(|s| Arc::clone(&s.catalog))
    }

    fn clear(&self) {
        if let Ok(mut s) = self.snapshot.write() {
            *s = None;
        }
    }

    async fn get<F: Future<Output = Result<Catalog>>>(
        &self,
        ttl: Duration,
        fetch: F,
    ) -> Result<Arc<Catalog>> {
        if let Some(c) = self.current(ttl) {
            return Ok(c);
        }
        let _one = self.refreshing.lock().await;
        if let Some(c) = self.current(ttl) {
            return Ok(c);
        }
        let catalog = Arc::new(fetch.await?);
        if let Ok(mut s) = self.snapshot.write() {
            *s = Some(Snapshot {
                at: Instant::now(),
                catalog: Arc::clone(&catalog),
            });
        }
        Ok(catalog)
    }
}

/// Resolves index patterns through cached snapshots of the cluster: one of names (for every
/// request), one that adds the ingest pipelines (for writes only).
#[derive(Debug)]
pub struct IndexResolver {
    ttl: Duration,
    names: Slot,
    pipelines: Slot,
}

impl IndexResolver {
    /// A resolver keeping snapshots for `ttl` (zero: every request resolves its names live).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            names: Slot::default(),
            pipelines: Slot::default(),
        }
    }

    /// Drops the snapshots after a request to `endpoint` went through, if it may have changed
    /// what names reach or which pipelines writes run.
    pub fn after(&self, endpoint: &str) {
        if CHANGES_METADATA.contains(&endpoint) {
            self.invalidate();
        }
    }

    /// Drops the snapshots: the next request asks the cluster again.
    pub fn invalidate(&self) {
        self.names.clear();
        self.pipelines.clear();
    }

    /// What each of `patterns` reaches now (see [`Catalog::resolve`]).
    pub async fn resolve(&self, upstream: &Upstream, patterns: &[&str]) -> Result<Resolved> {
        if self.ttl.is_zero() {
            return Ok(ask(upstream, &patterns.join(",")).await?.resolve(patterns));
        }
        let catalog = self.names.get(self.ttl, ask(upstream, "*")).await?;
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

    /// The first pipeline that may send what the request writes elsewhere (see
    /// [`Catalog::rerouting`]).
    pub async fn rerouting(
        &self,
        upstream: &Upstream,
        pipelines: &[String],
        written: &[&str],
    ) -> Result<Option<String>> {
        let catalog = if self.ttl.is_zero() {
            Arc::new(everything(upstream).await?)
        } else {
            self.pipelines.get(self.ttl, everything(upstream)).await?
        };
        Ok(catalog.rerouting(pipelines, written))
    }
}

async fn everything(upstream: &Upstream) -> Result<Catalog> {
    let catalog = ask(upstream, "*").await?;
    let (status, body) = upstream.get(PIPELINES_PATH).await?;
    let catalog = catalog.with_pipelines(status, &body)?;
    let (status, body) = upstream.get(INDEX_PIPELINES_PATH).await?;
    let catalog = catalog.with_index_pipelines(status, &body)?;
    let (status, body) = upstream.get(TEMPLATES_PATH).await?;
    catalog.with_templates(status, &body)
}

async fn ask(upstream: &Upstream, expression: &str) -> Result<Catalog> {
    let (status, body) = upstream.get(&resolve_path(expression)).await?;
    Catalog::from_resolve_answer(status, &body)
}
