//! Keeping the authorization server's state current: signing-key rotation (on demand and on
//! schedule) and the restore of the whole store from a backup.

use oauth4os_core::Reason;
use std::sync::Arc;

use oauth4os_core::verify::unix_now;
use oauth4os_core::{Error, Result};
use serde_json::json;

use super::AuthServer;
use crate::services::store::{AuditEvent, BackupContents};

impl AuthServer {
    /// Creates a new signing key and retires the current one, which stays published until
    /// the tokens it signed have expired. Returns the new key id.
    pub async fn rotate_signing_key(&self) -> Result<String> {
        let kid = self.signing.rotate(&self.store, unix_now()).await?;
        tracing::info!(%kid, "signing key rotated");
        Ok(kid)
    }

    /// Replaces the store with a backup, after checking that it is intact, of a schema this
    /// proxy knows, that its signing keys decrypt with this proxy's key-encryption key and that
    /// its admin policies still build. A refused backup changes nothing. Afterwards the
    /// configuration file's clients are synchronised again (the file stays the source of
    /// truth for them) and every in-memory view (keys, revocations, policies) is reloaded.
    pub async fn restore(&self, bytes: Vec<u8>, by: &str) -> Result<BackupContents> {
        let now = unix_now();
        let contents = self.store.inspect_backup(bytes.clone()).await?;
        self.signing.check(&contents.keys, now).map_err(|_| {
            Error::new(
                Reason::BadBackup,
                "the backup's signing keys do not decrypt with this proxy's key-encryption key",
            )
        })?;
        let live = self.live_policies();
        let next_policies = match &live {
            Some(l) => Some(l.rebuild(&contents.admin_policies, &contents.admin_mappings)?),
            None => None,
        };
        self.store.restore(bytes).await?;
        let records = self
            .cfg
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| c.to_record(i))
            .collect::<Result<Vec<_>>>()?;
        self.store.sync_config_clients(records, now).await?;
        self.signing.reload(&self.store, now).await?;
        self.revocations.reload(&self.store, now).await?;
        if let (Some(l), Some(next)) = (live, next_policies) {
            l.install(next);
        }
        let detail = json!({ "by": by, "schema_version": contents.schema_version, "clients": contents.clients });
        self.store
            .audit(AuditEvent::new(now, "store_restored", None, detail))
            .await?;
        tracing::warn!(by = %by, "auth store restored from a backup");
        Ok(contents)
    }

    /// Rotates the signing key when `signing_key_rotation_secs` is set and the current key is
    /// at least that old at `now`; the new key id when it rotated.
    pub async fn rotate_if_due(&self, now: i64) -> Result<Option<String>> {
        let Some(every) = self.cfg.signing_key_rotation_secs else {
            return Ok(None);
        };
        let every = i64::try_from(every).unwrap_or(i64::MAX);
        let keys = self.store.signing_keys().await?;
        let newest = keys
            .iter()
            .filter(|k| k.retired_at.is_none())
            .map(|k| k.created_at)
            .max()
            .unwrap_or(i64::MIN);
        if newest.saturating_add(every) > now {
            return Ok(None);
        }
        self.rotate_signing_key().await.map(Some)
    }

    /// Starts the scheduled rotation (when configured): a check at start and then every
    /// minute (or a quarter of the period, if shorter). The task ends when the handle drops.
    pub fn spawn_key_rotation(self: &Arc<Self>) -> Option<AbortOnDrop> {
        let every = self.cfg.signing_key_rotation_secs?;
        let tick = std::time::Duration::from_secs((every / 4).clamp(1, 60));
        let server = self.clone();
        let task = tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            loop {
                interval.tick().await;
                match server.rotate_if_due(unix_now()).await {
                    Ok(Some(kid)) => tracing::info!(%kid, "scheduled signing key rotation"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "scheduled signing key rotation failed"),
                }
            }
        });
        Some(AbortOnDrop(task))
    }
}

/// A background task that is aborted when this handle is dropped.
#[derive(Debug)]
pub struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
