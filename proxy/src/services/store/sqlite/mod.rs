//! The embedded SQLite store: one writing connection whose transactions run on tokio's
//! blocking pool (a `synchronous=FULL` commit waits for the disk), and a few read-only
//! connections used inline for point reads, which WAL lets proceed while a commit is syncing.

mod clients;
mod schema;
mod sessions;
mod tokens;
mod webhooks;

use oauth4os_core::Reason;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use oauth4os_core::error::quote;
use oauth4os_core::{Error, Result};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

pub use schema::SCHEMA_VERSION;

use super::{
    AuditEvent, AuditQuery, AuthorizationCode, BackupContents, ClientCutoff, ClientRecord,
    ConsentRecord, EndedSessions, FamilySummary, NewRefreshToken, PurgeReport, Redeemed,
    RefreshFamily, RefreshView, RevokedJti, SessionFilter, SessionRecord, Store, StoreFuture,
    StoredKey, SyncReport,
};
use super::{OutboxDelivery, WebhookEvent, WebhookRoute};
use oauth4os_core::admin::{DeliveryStatus, WebhookEventType};

/// Read-only connections kept for inline reads.
const READERS: usize = 4;

/// Seconds a client is told to wait after the store was busy or full.
const RETRY_AFTER_SECS: u64 = 1;

/// Maps a SQLite error to an error naming the operation: a lock held past the busy timeout is
/// `store_busy` and a full disk `store_full` (503s: the transaction was rolled back, nothing
/// changed, the caller may retry); anything else is an `internal` `store` error. Values are
/// always bound parameters, so neither the log line nor the message can hold a secret.
fn db_err(op: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| {
        use rusqlite::ErrorCode as Code;
        match e.sqlite_error_code() {
            Some(Code::DatabaseBusy | Code::DatabaseLocked) => {
                tracing::warn!(op, error = %e, "auth store busy");
                Error::new(
                    Reason::StoreBusy,
                    format!("auth store: {op} failed: the store is locked by another writer"),
                )
                .with_retry_after(RETRY_AFTER_SECS)
            }
            Some(Code::DiskFull) => {
                tracing::error!(op, error = %e, "auth store disk full");
                Error::new(
                    Reason::StoreFull,
                    format!("auth store: {op} failed: the disk is full"),
                )
                .with_retry_after(RETRY_AFTER_SECS)
            }
            _ => {
                tracing::error!(op, error = %e, "auth store error");
                Error::new(Reason::Store, format!("auth store: {op} failed"))
            }
        }
    }
}

fn immediate(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err("begin"))
}

fn poisoned() -> Error {
    Error::internal("auth store: a connection lock was poisoned")
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// The event types some webhook route wants (a copy of the writer's routes table).
    webhook_types: RwLock<Vec<WebhookEventType>>,
}

/// The SQLite [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl SqliteStore {
    /// Opens (creating it when missing, with mode 0600) the store at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = quote(&path.display().to_string());
        let cant_open = |e: rusqlite::Error| {
            Error::new(
                Reason::StoreUnavailable,
                format!("cannot open the auth store {shown}: {e}"),
            )
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::new(
                    Reason::StoreUnavailable,
                    format!("cannot create the directory of the auth store {shown}: {e}"),
                )
            })?;
        }
        let mut writer = Connection::open(path).map_err(cant_open)?;
        restrict_permissions(path);
        schema::configure_writer(&writer)?;
        schema::migrate(&mut writer)?;
        webhooks::create_routes(&writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(path, flags).map_err(cant_open)?;
            schema::configure_reader(&conn)?;
            readers.push(Mutex::new(conn));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                webhook_types: RwLock::new(Vec::new()),
            }),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(schema::version)
    }

    /// Runs a short read on a free read-only connection, inline.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let readers = &self.inner.readers;
        let conn = match readers.iter().find_map(|m| m.try_lock().ok()) {
            Some(conn) => conn,
            None => {
                let i = self.inner.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
                readers
                    .get(i)
                    .ok_or_else(poisoned)?
                    .lock()
                    .map_err(|_| poisoned())?
            }
        };
        f(&conn)
    }

    /// Runs `f` on the writing connection, on the blocking pool when there is a runtime.
    fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> StoreFuture<'static, T> {
        let inner = self.inner.clone();
        let run = move || -> Result<T> {
            let mut conn = inner.writer.lock().map_err(|_| poisoned())?;
            f(&mut conn)
        };
        Box::pin(async move {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => handle
                    .spawn_blocking(run)
                    .await
                    .map_err(|_| Error::internal("auth store: a blocking task failed"))?,
                Err(_) => run(),
            }
        })
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(error = %e, "cannot restrict the auth store's permissions to 0600");
    }
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) {}

fn read_keys(conn: &Connection) -> Result<Vec<StoredKey>> {
    conn.prepare_cached(
        "SELECT kid, alg, public_jwk, private_key_enc, created_at, retired_at
         FROM signing_keys ORDER BY created_at, rowid",
    )
    .and_then(|mut s| {
        s.query_map([], |r| {
            Ok(StoredKey {
                kid: r.get(0)?,
                alg: r.get(1)?,
                public_jwk: r.get(2)?,
                private_key_enc: r.get(3)?,
                created_at: r.get(4)?,
                retired_at: r.get(5)?,
            })
        })?
        .collect()
    })
    .map_err(db_err("read signing keys"))
}

/// A file next to the store for one backup or restore, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(store: &Path, what: &str) -> Result<Self> {
        let tag: [u8; 8] = crate::services::secrets::random_bytes()?;
        let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(store.with_extension(format!("{what}-{tag}"))))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn bad_backup(why: &str) -> Error {
    Error::new(
        Reason::BadBackup,
        format!("the backup is not usable: {why}"),
    )
}

fn write_scratch(store: &Path, bytes: &[u8]) -> Result<Scratch> {
    if bytes.len() < 100 || bytes.get(..16) != Some(b"SQLite format 3\0".as_slice()) {
        return Err(bad_backup("it is not an SQLite database"));
    }
    let scratch = Scratch::new(store, "restore")?;
    std::fs::write(&scratch.0, bytes)
        .map_err(|e| Error::internal(format!("auth store: cannot write a scratch file: {e}")))?;
    restrict_permissions(&scratch.0);
    Ok(scratch)
}

/// Opens a backup read-only and checks it: integrity, a schema this proxy knows.
fn open_backup(path: &Path) -> Result<(Connection, i64)> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|_| bad_backup("it cannot be opened"))?;
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|_| bad_backup("it is not an SQLite database"))?;
    if ok != "ok" {
        return Err(bad_backup("it fails SQLite's integrity check"));
    }
    let version = schema::version(&conn).map_err(|_| bad_backup("it is not an oauth4os store"))?;
    if !(1..=SCHEMA_VERSION).contains(&version) {
        return Err(bad_backup(&format!(
            "its schema version is {version}; this proxy reads 1 to {SCHEMA_VERSION}"
        )));
    }
    Ok((conn, version))
}

fn inspect(path: &Path) -> Result<BackupContents> {
    let (conn, schema_version) = open_backup(path)?;
    let corrupt = |_| bad_backup("its tables do not read back");
    let keys = read_keys(&conn).map_err(corrupt)?;
    let clients = clients::all(&conn).map_err(corrupt)?.len();
    // The admin tables arrived with schema 3.
    let (admin_policies, admin_mappings) = if schema_version >= 3 {
        (
            tokens::admin_policies(&conn).map_err(corrupt)?,
            tokens::admin_mappings(&conn).map_err(corrupt)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(BackupContents {
        schema_version,
        keys,
        admin_policies,
        admin_mappings,
        clients,
    })
}

fn add_key(conn: &mut Connection, key: &StoredKey) -> Result<()> {
    let tx = immediate(conn)?;
    tx.execute(
        "UPDATE signing_keys SET retired_at = ?1 WHERE retired_at IS NULL",
        [key.created_at],
    )
    .map_err(db_err("retire signing keys"))?;
    tx.execute(
        "INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            key.kid,
            key.alg,
            key.public_jwk,
            key.private_key_enc,
            key.created_at
        ],
    )
    .map_err(db_err("write signing key"))?;
    tx.commit().map_err(db_err("commit"))
}

impl Store for SqliteStore {
    fn client<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<ClientRecord>> {
        Box::pin(async move { self.read(|c| clients::by_id(c, id)) })
    }

    fn clients(&self) -> StoreFuture<'_, Vec<ClientRecord>> {
        Box::pin(async move { self.read(clients::all) })
    }

    fn sync_config_clients(
        &self,
        list: Vec<ClientRecord>,
        now: i64,
    ) -> StoreFuture<'_, SyncReport> {
        self.write(move |c| clients::sync_config(c, &list, now))
    }

    fn put_client(&self, client: ClientRecord, now: i64) -> StoreFuture<'_, ()> {
        self.write(move |c| clients::put_api(c, client, now))
    }

    fn delete_client<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool> {
        let id = id.to_owned();
        self.write(move |c| clients::delete_api(c, &id))
    }

    fn insert_client(&self, client: ClientRecord, now: i64) -> StoreFuture<'_, bool> {
        self.write(move |c| clients::insert_api(c, client, now))
    }

    fn update_client(&self, client: ClientRecord, now: i64) -> StoreFuture<'_, bool> {
        self.write(move |c| clients::update_api(c, client, now))
    }

    fn signing_keys(&self) -> StoreFuture<'_, Vec<StoredKey>> {
        Box::pin(async move { self.read(read_keys) })
    }

    fn add_signing_key(&self, key: StoredKey) -> StoreFuture<'_, ()> {
        self.write(move |c| add_key(c, &key))
    }

    fn create_refresh_family(
        &self,
        family: RefreshFamily,
        first: NewRefreshToken,
    ) -> StoreFuture<'_, ()> {
        self.write(move |c| tokens::create_family(c, &family, &first))
    }

    fn refresh_token<'a>(&'a self, hash: &'a [u8; 32]) -> StoreFuture<'a, Option<RefreshView>> {
        Box::pin(async move { self.read(|c| tokens::find_refresh(c, hash)) })
    }

    fn rotate_refresh_token<'a>(
        &'a self,
        old: &'a [u8; 32],
        next: NewRefreshToken,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        let old = *old;
        self.write(move |c| tokens::rotate(c, &old, &next, now))
    }

    fn revoke_refresh_family<'a>(
        &'a self,
        family_id: &'a str,
        reason: &'a str,
        event: AuditEvent,
    ) -> StoreFuture<'a, Vec<RevokedJti>> {
        let (family_id, reason) = (family_id.to_owned(), reason.to_owned());
        self.write(move |c| tokens::revoke_family(c, &family_id, &reason, &event))
    }

    fn refresh_families(
        &self,
        client_id: Option<String>,
        now: i64,
    ) -> StoreFuture<'_, Vec<FamilySummary>> {
        Box::pin(async move { self.read(|c| tokens::families(c, client_id.as_deref(), now)) })
    }

    fn revoke_client_tokens(
        &self,
        cutoff: ClientCutoff,
        event: AuditEvent,
    ) -> StoreFuture<'_, Vec<RevokedJti>> {
        self.write(move |c| tokens::revoke_client(c, &cutoff, &event))
    }

    fn client_cutoffs(&self, now: i64) -> StoreFuture<'_, Vec<ClientCutoff>> {
        Box::pin(async move { self.read(|c| tokens::cutoffs(c, now)) })
    }

    fn admin_policies(&self) -> StoreFuture<'_, Vec<(String, String, String)>> {
        Box::pin(async move { self.read(tokens::admin_policies) })
    }

    fn put_admin_policy(
        &self,
        name: String,
        tenant: String,
        text: String,
        event: AuditEvent,
    ) -> StoreFuture<'_, ()> {
        self.write(move |c| tokens::put_admin_policy(c, &name, &tenant, &text, &event))
    }

    fn delete_admin_policy(&self, name: String, event: AuditEvent) -> StoreFuture<'_, bool> {
        self.write(move |c| tokens::delete_admin_policy(c, &name, &event))
    }

    fn admin_mappings(&self) -> StoreFuture<'_, Vec<(String, Vec<String>)>> {
        Box::pin(async move { self.read(tokens::admin_mappings) })
    }

    fn put_admin_mapping(
        &self,
        scope: String,
        roles: Vec<String>,
        event: AuditEvent,
    ) -> StoreFuture<'_, ()> {
        self.write(move |c| tokens::put_admin_mapping(c, &scope, &roles, &event))
    }

    fn delete_admin_mapping(&self, scope: String, event: AuditEvent) -> StoreFuture<'_, bool> {
        self.write(move |c| tokens::delete_admin_mapping(c, &scope, &event))
    }

    fn backup(&self) -> StoreFuture<'_, Vec<u8>> {
        let path = self.inner.path.clone();
        self.write(move |c| {
            let scratch = Scratch::new(&path, "backup")?;
            let target = scratch.0.display().to_string();
            c.execute("VACUUM INTO ?1", [&target])
                .map_err(db_err("backup"))?;
            std::fs::read(&scratch.0)
                .map_err(|e| Error::internal(format!("auth store: cannot read the backup: {e}")))
        })
    }

    fn inspect_backup(&self, bytes: Vec<u8>) -> StoreFuture<'_, BackupContents> {
        let path = self.inner.path.clone();
        self.write(move |_| {
            let scratch = write_scratch(&path, &bytes)?;
            inspect(&scratch.0)
        })
    }

    fn restore(&self, bytes: Vec<u8>) -> StoreFuture<'_, ()> {
        let path = self.inner.path.clone();
        self.write(move |c| {
            let scratch = write_scratch(&path, &bytes)?;
            let (src, _) = open_backup(&scratch.0)?;
            {
                let backup = rusqlite::backup::Backup::new(&src, c).map_err(db_err("restore"))?;
                // Every page in one step: the destination changes all at once or not at all.
                match backup.step(-1).map_err(db_err("restore"))? {
                    rusqlite::backup::StepResult::Done => {}
                    _ => return Err(Error::internal("auth store: the restore did not complete")),
                }
            }
            schema::configure_writer(c)?;
            schema::migrate(c)
        })
    }

    fn put_authorization_code(&self, code: AuthorizationCode) -> StoreFuture<'_, ()> {
        self.write(move |c| tokens::put_code(c, &code))
    }

    fn redeem_authorization_code(&self, hash: [u8; 32], now: i64) -> StoreFuture<'_, Redeemed> {
        self.write(move |c| tokens::redeem_code(c, &hash, now))
    }

    fn link_code_tokens(
        &self,
        hash: [u8; 32],
        access: RevokedJti,
        family_id: Option<String>,
    ) -> StoreFuture<'_, ()> {
        self.write(move |c| tokens::link_code_tokens(c, &hash, &access, family_id.as_deref()))
    }

    fn consent(
        &self,
        subject: String,
        client_id: String,
    ) -> StoreFuture<'_, Option<ConsentRecord>> {
        Box::pin(async move { self.read(|c| sessions::consent(c, &subject, &client_id)) })
    }

    fn record_consent(
        &self,
        subject: String,
        client_id: String,
        scope: String,
        now: i64,
        expires_at: i64,
    ) -> StoreFuture<'_, ConsentRecord> {
        self.write(move |c| {
            sessions::record_consent(c, &subject, &client_id, &scope, now, expires_at)
        })
    }

    fn consents(
        &self,
        subject: Option<String>,
        client_id: Option<String>,
    ) -> StoreFuture<'_, Vec<ConsentRecord>> {
        Box::pin(async move {
            self.read(|c| sessions::consents(c, subject.as_deref(), client_id.as_deref()))
        })
    }

    fn withdraw_consent<'a>(
        &'a self,
        id: &'a str,
        event: AuditEvent,
    ) -> StoreFuture<'a, Option<(ConsentRecord, EndedSessions)>> {
        let id = id.to_owned();
        self.write(move |c| sessions::withdraw_consent(c, &id, &event))
    }

    fn create_session(&self, session: SessionRecord) -> StoreFuture<'_, ()> {
        self.write(move |c| sessions::create(c, &session))
    }

    fn session<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<SessionRecord>> {
        let filter = SessionFilter {
            id: Some(id.to_owned()),
            ..SessionFilter::default()
        };
        Box::pin(async move {
            Ok(self
                .read(|c| sessions::select(c, &filter, None))?
                .into_iter()
                .next())
        })
    }

    fn sessions(
        &self,
        filter: SessionFilter,
        active_at: Option<i64>,
    ) -> StoreFuture<'_, Vec<SessionRecord>> {
        Box::pin(async move { self.read(|c| sessions::select(c, &filter, active_at)) })
    }

    fn end_sessions(
        &self,
        filter: SessionFilter,
        reason: String,
        event: AuditEvent,
    ) -> StoreFuture<'_, EndedSessions> {
        self.write(move |c| sessions::end(c, &filter, &reason, &event))
    }

    fn revoke_access_token(&self, revoked: RevokedJti, event: AuditEvent) -> StoreFuture<'_, ()> {
        self.write(move |c| tokens::revoke_access(c, &revoked, &event))
    }

    fn revoked_access_tokens(&self, expired_before: i64) -> StoreFuture<'_, Vec<RevokedJti>> {
        Box::pin(async move { self.read(|c| tokens::revoked(c, expired_before)) })
    }

    fn purge_expired(&self, expired_before: i64) -> StoreFuture<'_, PurgeReport> {
        self.write(move |c| tokens::purge(c, expired_before))
    }

    fn audit(&self, event: AuditEvent) -> StoreFuture<'_, ()> {
        self.write(move |c| {
            // The event and the webhook deliveries derived from it, together.
            let tx = immediate(c)?;
            tokens::insert_audit(&tx, &event)?;
            tx.commit().map_err(db_err("commit"))
        })
    }

    fn audit_query(&self, query: AuditQuery) -> StoreFuture<'_, Vec<AuditEvent>> {
        Box::pin(async move { self.read(|c| tokens::audit_query(c, &query)) })
    }

    fn audit_events(&self, limit: usize) -> StoreFuture<'_, Vec<AuditEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Box::pin(async move { self.read(|c| tokens::audit_events(c, limit)) })
    }

    fn set_webhook_routes(&self, routes: Vec<WebhookRoute>) -> StoreFuture<'_, ()> {
        let inner = self.inner.clone();
        let write = self.write(move |c| webhooks::set_routes(c, &routes).map(|()| routes));
        Box::pin(async move {
            let routes = write.await?;
            let mut types: Vec<WebhookEventType> = routes
                .iter()
                .flat_map(|r| r.events.iter().copied())
                .collect();
            types.sort_unstable();
            types.dedup();
            *inner.webhook_types.write().map_err(|_| poisoned())? = types;
            Ok(())
        })
    }

    fn wants_webhook(&self, event_type: WebhookEventType) -> bool {
        self.inner
            .webhook_types
            .read()
            .is_ok_and(|t| t.contains(&event_type))
    }

    fn enqueue_webhook(&self, event: WebhookEvent) -> StoreFuture<'_, Vec<String>> {
        self.write(move |c| {
            let tx = immediate(c)?;
            let queued = webhooks::enqueue(&tx, &event)?;
            tx.commit().map_err(db_err("commit"))?;
            Ok(queued.into_iter().map(|(id, _)| id).collect())
        })
    }

    fn claim_webhook_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> StoreFuture<'_, Vec<OutboxDelivery>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Box::pin(async move {
            // An idle outbox costs a read, never a write.
            if !self.read(|c| webhooks::any_due(c, now_ms))? {
                return Ok(Vec::new());
            }
            self.write(move |c| webhooks::claim(c, now_ms, lease_until_ms, limit))
                .await
        })
    }

    fn mark_webhook_delivered(&self, id: String, now: i64) -> StoreFuture<'_, bool> {
        self.write(move |c| webhooks::delivered(c, &id, now))
    }

    fn mark_webhook_failed(
        &self,
        id: String,
        error: String,
        next_attempt_at_ms: i64,
        max_attempts: u32,
    ) -> StoreFuture<'_, Option<DeliveryStatus>> {
        self.write(move |c| webhooks::failed(c, &id, &error, next_attempt_at_ms, max_attempts))
    }

    fn webhook_deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<OutboxDelivery>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Box::pin(async move { self.read(|c| webhooks::list(c, status, limit)) })
    }

    fn replay_webhook_delivery(
        &self,
        id: String,
        now_ms: i64,
        event: AuditEvent,
    ) -> StoreFuture<'_, Option<OutboxDelivery>> {
        self.write(move |c| {
            let tx = immediate(c)?;
            let Some((after, changed)) = webhooks::replay(&tx, &id, now_ms)? else {
                return Ok(None);
            };
            if changed {
                tokens::insert_audit(&tx, &event)?;
                tx.commit().map_err(db_err("commit"))?;
            }
            Ok(Some(after))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::SqliteStore;
    use crate::services::store::{Store, conformance};

    #[tokio::test]
    async fn sqlite_passes_the_store_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let n = AtomicUsize::new(0);
        conformance::run(|| {
            let path = dir
                .path()
                .join(format!("store-{}.db", n.fetch_add(1, Ordering::Relaxed)));
            async move { Arc::new(SqliteStore::open(&path).unwrap()) as Arc<dyn Store> }
        })
        .await;
    }
}
