//! The embedded SQLite store: one writing connection whose transactions run on tokio's
//! blocking pool (a `synchronous=FULL` commit waits for the disk), and a few read-only
//! connections used inline for point reads, which WAL lets proceed while a commit is syncing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use oauth4os_core::error::quote;
use oauth4os_core::{Error, ErrorCode, Result, ScopeSet};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};

use super::schema;
use super::{
    AuditEvent, ClientRecord, ClientSource, NewRefreshToken, PurgeReport, RefreshFamily,
    RefreshView, RevokedJti, Store, StoreFuture, StoredKey, SyncReport,
};
use crate::auth::config::GrantType;

/// Read-only connections kept for inline reads.
const READERS: usize = 4;

/// Maps a SQLite error to an `internal` error naming the operation (values are always bound
/// parameters, so the message holds no secret).
pub(super) fn db_err(op: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| {
        tracing::error!(op, error = %e, "auth store error");
        Error::new(
            ErrorCode::Internal,
            "store",
            format!("auth store: {op} failed"),
        )
    }
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// The SQLite [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn poisoned() -> Error {
    Error::internal("auth store: a connection lock was poisoned")
}

impl SqliteStore {
    /// Opens (creating it when missing) the store at `path` and migrates its schema.
    pub fn open(path: &Path) -> Result<Self> {
        let cant_open = |e: rusqlite::Error| {
            Error::config(
                "store_unavailable",
                format!("cannot open the auth store {}: {e}", quote(&path.display().to_string())),
            )
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::config(
                    "store_unavailable",
                    format!("cannot create {}: {e}", quote(&dir.display().to_string())),
                )
            })?;
        }
        let mut writer = Connection::open(path).map_err(cant_open)?;
        restrict_permissions(path);
        schema::configure_writer(&writer)?;
        schema::migrate(&mut writer)?;
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
            }),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs a short read on a free read-only connection, inline.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let readers = &self.inner.readers;
        let conn = readers
            .iter()
            .find_map(|m| m.try_lock().ok())
            .map(Ok)
            .unwrap_or_else(|| {
                let i = self.inner.next_reader.fetch_add(1, Ordering::Relaxed) % READERS.max(1);
                readers.get(i).ok_or_else(poisoned)?.lock().map_err(|_| poisoned())
            })?;
        f(&conn)
    }

    /// Runs `f` on the writing connection, on the blocking pool when there is a runtime.
    fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> StoreFuture<'static, T> {
        let inner = self.inner.clone();
        let run = move || -> Result<T> {
            let mut guard: MutexGuard<'_, Connection> =
                inner.writer.lock().map_err(|_| poisoned())?;
            f(&mut guard)
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

fn grant_types_text(g: &[GrantType]) -> String {
    g.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(" ")
}

fn ttl_to_sql(ttl: Option<u64>) -> Option<i64> {
    ttl.map(|t| i64::try_from(t).unwrap_or(i64::MAX))
}

const CLIENT_COLUMNS: &str =
    "id, secret_hash, scopes, grant_types, tenant, access_token_ttl, source";

fn client_from_row(row: &Row<'_>) -> rusqlite::Result<Result<ClientRecord>> {
    let id: String = row.get(0)?;
    let scopes: String = row.get(2)?;
    let grants: String = row.get(3)?;
    let ttl: Option<i64> = row.get(5)?;
    let source: String = row.get(6)?;
    let corrupt = |what: &str| Error::internal(format!("auth store: client {what} is corrupt"));
    let record = (|| {
        let scopes = ScopeSet::parse(&scopes).map_err(|_| corrupt("scopes"))?;
        let grant_types = grants
            .split(' ')
            .filter(|g| !g.is_empty())
            .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant types")))
            .collect::<Result<Vec<_>>>()?;
        let source = match source.as_str() {
            "config" => ClientSource::Config,
            "api" => ClientSource::Api,
            _ => return Err(corrupt("source")),
        };
        Ok(ClientRecord {
            id,
            secret_hash: row.get(1).map_err(|_| corrupt("secret"))?,
            scopes,
            grant_types,
            tenant: row.get(4).map_err(|_| corrupt("tenant"))?,
            access_token_ttl: ttl.and_then(|t| u64::try_from(t).ok()),
            source,
        })
    })();
    Ok(record)
}

fn client_by_id(conn: &Connection, id: &str) -> Result<Option<ClientRecord>> {
    conn.prepare_cached(&format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], client_from_row).optional())
        .map_err(db_err("read client"))?
        .transpose()
}

fn upsert_client(conn: &Connection, c: &ClientRecord, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO clients (id, secret_hash, scopes, grant_types, tenant, access_token_ttl,
             source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
         ON CONFLICT (id) DO UPDATE SET secret_hash = ?2, scopes = ?3, grant_types = ?4,
             tenant = ?5, access_token_ttl = ?6, source = ?7, updated_at = ?8",
    )
    .and_then(|mut s| {
        s.execute(params![
            c.id,
            c.secret_hash,
            c.scopes.to_string(),
            grant_types_text(&c.grant_types),
            c.tenant,
            ttl_to_sql(c.access_token_ttl),
            c.source.as_str(),
            now
        ])
    })
    .map(|_| ())
    .map_err(db_err("write client"))
}

fn conflict(id: &str, existing: ClientSource) -> Error {
    let (here, there) = match existing {
        ClientSource::Api => ("the configuration file", "the admin API"),
        ClientSource::Config => ("the admin API", "the configuration file"),
    };
    Error::config(
        "client_conflict",
        format!("client {} from {here} is already declared through {there}", quote(id)),
    )
    .with_help("client ids are unique across the configuration file and the admin API")
}

fn insert_audit(conn: &Connection, e: &AuditEvent) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_events (at, kind, client_id, detail) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![e.at, e.kind, e.client_id, e.detail.to_string()]))
    .map(|_| ())
    .map_err(db_err("write audit event"))
}

fn insert_refresh(conn: &Connection, t: &NewRefreshToken) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (hash, family_id, issued_at, expires_at, access_jti, access_exp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            &t.hash[..],
            t.family_id,
            t.issued_at,
            t.expires_at,
            t.access_jti,
            t.access_exp
        ])
    })
    .map(|_| ())
    .map_err(db_err("write refresh token"))
}

fn immediate(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err("begin"))
}

impl Store for SqliteStore {
    fn client<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<ClientRecord>> {
        Box::pin(async move { self.read(|c| client_by_id(c, id)) })
    }

    fn clients(&self) -> StoreFuture<'_, Vec<ClientRecord>> {
        Box::pin(async move {
            self.read(|c| {
                let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY id");
                let mut stmt = c.prepare_cached(&sql).map_err(db_err("read clients"))?;
                let rows = stmt
                    .query_map([], client_from_row)
                    .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
                    .map_err(db_err("read clients"))?;
                rows.into_iter().collect()
            })
        })
    }

    fn sync_config_clients(
        &self,
        clients: Vec<ClientRecord>,
        now: i64,
    ) -> StoreFuture<'_, SyncReport> {
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let mut report = SyncReport::default();
            for c in &clients {
                match client_by_id(&tx, &c.id)? {
                    Some(old) if old.source == ClientSource::Api => {
                        return Err(conflict(&c.id, ClientSource::Api));
                    }
                    Some(old) if old == *c => continue,
                    Some(_) => report.updated.push(c.id.clone()),
                    None => report.added.push(c.id.clone()),
                }
                upsert_client(&tx, c, now)?;
            }
            let stale: Vec<String> = tx
                .prepare("SELECT id FROM clients WHERE source = 'config' ORDER BY id")
                .and_then(|mut s| {
                    s.query_map([], |r| r.get(0))?
                        .collect::<rusqlite::Result<Vec<String>>>()
                })
                .map_err(db_err("sync clients"))?
                .into_iter()
                .filter(|id| !clients.iter().any(|c| c.id == *id))
                .collect();
            for id in stale {
                tx.execute("DELETE FROM clients WHERE id = ?1", [&id])
                    .map_err(db_err("sync clients"))?;
                report.removed.push(id);
            }
            tx.commit().map_err(db_err("commit"))?;
            Ok(report)
        })
    }

    fn put_client(&self, client: ClientRecord, now: i64) -> StoreFuture<'_, ()> {
        self.write(move |conn| {
            let tx = immediate(conn)?;
            if let Some(old) = client_by_id(&tx, &client.id)?
                && old.source == ClientSource::Config
            {
                return Err(conflict(&client.id, ClientSource::Config));
            }
            let client = ClientRecord {
                source: ClientSource::Api,
                ..client
            };
            upsert_client(&tx, &client, now)?;
            tx.commit().map_err(db_err("commit"))
        })
    }

    fn delete_client<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool> {
        let id = id.to_owned();
        self.write(move |conn| {
            conn.execute("DELETE FROM clients WHERE id = ?1 AND source = 'api'", [id])
                .map(|n| n > 0)
                .map_err(db_err("delete client"))
        })
    }

    fn signing_keys(&self) -> StoreFuture<'_, Vec<StoredKey>> {
        Box::pin(async move {
            self.read(|c| {
                c.prepare_cached(
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
            })
        })
    }

    fn add_signing_key(&self, key: StoredKey) -> StoreFuture<'_, ()> {
        self.write(move |conn| {
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
        })
    }

    fn create_refresh_family(
        &self,
        family: RefreshFamily,
        first: NewRefreshToken,
    ) -> StoreFuture<'_, ()> {
        self.write(move |conn| {
            let tx = immediate(conn)?;
            tx.prepare_cached(
                "INSERT INTO refresh_families (id, client_id, scope, audience, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    family.id,
                    family.client_id,
                    family.scope,
                    family.audience,
                    family.created_at
                ])
            })
            .map_err(db_err("write refresh family"))?;
            insert_refresh(&tx, &first)?;
            tx.commit().map_err(db_err("commit"))
        })
    }

    fn refresh_token<'a>(&'a self, hash: &'a [u8; 32]) -> StoreFuture<'a, Option<RefreshView>> {
        Box::pin(async move {
            self.read(|c| {
                c.prepare_cached(
                    "SELECT f.id, f.client_id, f.scope, f.audience, f.created_at, f.revoked_at,
                            t.issued_at, t.expires_at, t.used_at
                     FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
                     WHERE t.hash = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([&hash[..]], |r| {
                        Ok(RefreshView {
                            family: RefreshFamily {
                                id: r.get(0)?,
                                client_id: r.get(1)?,
                                scope: r.get(2)?,
                                audience: r.get(3)?,
                                created_at: r.get(4)?,
                            },
                            family_revoked_at: r.get(5)?,
                            issued_at: r.get(6)?,
                            expires_at: r.get(7)?,
                            used_at: r.get(8)?,
                        })
                    })
                    .optional()
                })
                .map_err(db_err("read refresh token"))
            })
        })
    }

    fn rotate_refresh_token<'a>(
        &'a self,
        old: &'a [u8; 32],
        next: NewRefreshToken,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        let old = *old;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let swapped = tx
                .prepare_cached(
                    "UPDATE refresh_tokens SET used_at = ?1
                     WHERE hash = ?2 AND used_at IS NULL AND expires_at > ?1 AND family_id = ?3
                       AND EXISTS (SELECT 1 FROM refresh_families
                                   WHERE id = ?3 AND revoked_at IS NULL)",
                )
                .and_then(|mut s| s.execute(params![now, &old[..], next.family_id]))
                .map_err(db_err("rotate refresh token"))?;
            if swapped != 1 {
                return Ok(false);
            }
            insert_refresh(&tx, &next)?;
            tx.commit().map_err(db_err("commit"))?;
            Ok(true)
        })
    }

    fn revoke_refresh_family<'a>(
        &'a self,
        family_id: &'a str,
        reason: &'a str,
        event: AuditEvent,
    ) -> StoreFuture<'a, Vec<RevokedJti>> {
        let (family_id, reason) = (family_id.to_owned(), reason.to_owned());
        self.write(move |conn| {
            let now = event.at;
            let tx = immediate(conn)?;
            tx.execute(
                "UPDATE refresh_families SET revoked_at = ?1, revoked_reason = ?2
                 WHERE id = ?3 AND revoked_at IS NULL",
                params![now, reason, family_id],
            )
            .map_err(db_err("revoke refresh family"))?;
            let jtis: Vec<RevokedJti> = tx
                .prepare_cached(
                    "SELECT access_jti, access_exp FROM refresh_tokens WHERE family_id = ?1",
                )
                .and_then(|mut s| {
                    s.query_map([&family_id], |r| {
                        Ok(RevokedJti {
                            jti: r.get(0)?,
                            exp: r.get(1)?,
                        })
                    })?
                    .collect()
                })
                .map_err(db_err("revoke refresh family"))?;
            for j in &jtis {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO revocations (jti, exp, revoked_at) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![j.jti, j.exp, now]))
                .map_err(db_err("revoke refresh family"))?;
            }
            insert_audit(&tx, &event)?;
            tx.commit().map_err(db_err("commit"))?;
            Ok(jtis)
        })
    }

    fn revoke_access_token(&self, revoked: RevokedJti, event: AuditEvent) -> StoreFuture<'_, ()> {
        self.write(move |conn| {
            let tx = immediate(conn)?;
            tx.execute(
                "INSERT OR IGNORE INTO revocations (jti, exp, revoked_at) VALUES (?1, ?2, ?3)",
                params![revoked.jti, revoked.exp, event.at],
            )
            .map_err(db_err("revoke access token"))?;
            insert_audit(&tx, &event)?;
            tx.commit().map_err(db_err("commit"))
        })
    }

    fn revoked_access_tokens(&self, expired_before: i64) -> StoreFuture<'_, Vec<RevokedJti>> {
        Box::pin(async move {
            self.read(|c| {
                c.prepare_cached("SELECT jti, exp FROM revocations WHERE exp > ?1")
                    .and_then(|mut s| {
                        s.query_map([expired_before], |r| {
                            Ok(RevokedJti {
                                jti: r.get(0)?,
                                exp: r.get(1)?,
                            })
                        })?
                        .collect()
                    })
                    .map_err(db_err("read revocations"))
            })
        })
    }

    fn purge_expired(&self, expired_before: i64) -> StoreFuture<'_, PurgeReport> {
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let revocations = tx
                .execute("DELETE FROM revocations WHERE exp <= ?1", [expired_before])
                .map_err(db_err("purge"))?;
            let families = tx
                .execute(
                    "DELETE FROM refresh_families WHERE NOT EXISTS (
                         SELECT 1 FROM refresh_tokens t
                         WHERE t.family_id = refresh_families.id AND t.expires_at > ?1)",
                    [expired_before],
                )
                .map_err(db_err("purge"))?;
            tx.commit().map_err(db_err("commit"))?;
            Ok(PurgeReport {
                revocations,
                families,
            })
        })
    }

    fn audit(&self, event: AuditEvent) -> StoreFuture<'_, ()> {
        self.write(move |conn| insert_audit(conn, &event))
    }

    fn audit_events(&self, limit: usize) -> StoreFuture<'_, Vec<AuditEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Box::pin(async move {
            self.read(|c| {
                c.prepare_cached(
                    "SELECT at, kind, client_id, detail FROM audit_events
                     ORDER BY id DESC LIMIT ?1",
                )
                .and_then(|mut s| {
                    s.query_map([limit], |r| {
                        let detail: String = r.get(3)?;
                        Ok(AuditEvent {
                            at: r.get(0)?,
                            kind: r.get(1)?,
                            client_id: r.get(2)?,
                            detail: serde_json::from_str(&detail)
                                .unwrap_or(serde_json::Value::Null),
                        })
                    })?
                    .collect()
                })
                .map_err(db_err("read audit events"))
            })
        })
    }
}
