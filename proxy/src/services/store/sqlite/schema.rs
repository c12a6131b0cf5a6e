//! The SQLite schema: versioned migrations recorded in `schema_version`, and the connection
//! settings (WAL, `synchronous=FULL`, foreign keys).

use oauth4os_core::Reason;
use std::time::Duration;

use oauth4os_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::db_err;

/// Migrations in order; migration `i` brings the schema to version `i + 1`. Never edit a
/// released migration: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    "CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        scopes TEXT NOT NULL,
        grant_types TEXT NOT NULL,
        tenant TEXT NOT NULL,
        access_token_ttl INTEGER,
        source TEXT NOT NULL CHECK (source IN ('config', 'api')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE refresh_families (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        audience TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_reason TEXT
    ) STRICT;
    CREATE INDEX refresh_families_client ON refresh_families (client_id);
    CREATE TABLE refresh_tokens (
        hash BLOB PRIMARY KEY CHECK (length(hash) = 32),
        family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        access_jti TEXT NOT NULL,
        access_exp INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
    CREATE TABLE revocations (
        jti TEXT PRIMARY KEY,
        exp INTEGER NOT NULL,
        revoked_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX revocations_exp ON revocations (exp);
    CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_key_enc BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        retired_at INTEGER
    ) STRICT;
    CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        client_id TEXT,
        detail TEXT NOT NULL
    ) STRICT;
    CREATE INDEX audit_events_at ON audit_events (at);",
    // 2: per-client revocation cut-offs (every token of a client issued at or before a time),
    // and audit lookups by kind and client.
    "CREATE TABLE client_revocations (
        client_id TEXT PRIMARY KEY,
        issued_before INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX audit_events_kind ON audit_events (kind, at);
    CREATE INDEX audit_events_client ON audit_events (client_id, at);",
    // 3: the authorization-code grant: redirect URIs, the user of a refresh family,
    // single-use codes (hashes only) and remembered consents.
    "ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
    ALTER TABLE clients ADD COLUMN rate_limit TEXT;
    ALTER TABLE refresh_families ADD COLUMN subject TEXT;
    CREATE TABLE authorization_codes (
        hash BLOB PRIMARY KEY CHECK (length(hash) = 32),
        client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL,
        audience TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        subject TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        family_id TEXT,
        access_jti TEXT,
        access_exp INTEGER
    ) STRICT;
    CREATE INDEX authorization_codes_exp ON authorization_codes (expires_at);
    CREATE TABLE admin_policies (
        name TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        text TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE admin_scope_mappings (
        scope TEXT PRIMARY KEY,
        roles TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE consents (
        subject TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (subject, client_id)
    ) STRICT;",
    // 4: a client's RFC 8705 authentication and token binding, and its IP allowlist (JSON;
    // NULL for a secret client without constraints).
    "ALTER TABLE clients ADD COLUMN constraints TEXT;",
    // 5: interactive sessions (one per redeemed authorization code), consents with an id and
    // an expiry, and what a code carries into its session.
    "ALTER TABLE consents ADD COLUMN id TEXT;
    ALTER TABLE consents ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
    UPDATE consents SET id = lower(hex(randomblob(16))), expires_at = updated_at + 2592000;
    CREATE UNIQUE INDEX consents_id ON consents (id);
    ALTER TABLE authorization_codes ADD COLUMN consent_id TEXT;
    ALTER TABLE authorization_codes ADD COLUMN user_agent TEXT;
    ALTER TABLE authorization_codes ADD COLUMN address TEXT;
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        tenant TEXT NOT NULL,
        client_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        user_agent TEXT,
        address TEXT,
        family_id TEXT,
        consent_id TEXT,
        access_jti TEXT NOT NULL,
        access_exp INTEGER NOT NULL,
        ended_at INTEGER,
        ended_reason TEXT
    ) STRICT;
    CREATE INDEX sessions_subject ON sessions (subject, created_at);
    CREATE INDEX sessions_client ON sessions (client_id, created_at);
    CREATE INDEX sessions_family ON sessions (family_id);
    CREATE INDEX sessions_consent ON sessions (consent_id);",
    // 6: the webhook outbox: one row per event and endpoint, its id the `webhook-id`; times
    // of attempts in milliseconds (backoff starts below a second).
    "CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        endpoint TEXT NOT NULL,
        event_type TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL CHECK (attempts >= 0),
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER
    ) STRICT;
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
    CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of the connection that writes: WAL so readers never wait for it, and
/// `synchronous=FULL` so that a commit is on disk before the request is answered.
pub(super) fn configure_writer(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(db_err("configure"))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(db_err("configure"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::new(
            Reason::StoreNotWal,
            format!("the store could not switch to WAL mode (it is in `{mode}` mode)"),
        )
        .with_help("put `store_path` on a local file system"));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(db_err("configure"))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db_err("configure"))?;
    Ok(())
}

/// Settings of a read-only connection.
pub(super) fn configure_reader(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err("configure"))
}

/// Brings the schema to [`SCHEMA_VERSION`], one transaction per migration.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(db_err("migrate"))?;
    let current = version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(Error::new(
            Reason::StoreTooNew,
            format!(
                "the store is at schema version {current} but this proxy knows only up to {SCHEMA_VERSION}"
            ),
        )
        .with_help("run the newer proxy that last wrote this store, or restore a backup"));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let target = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        if target <= current {
            continue;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err("migrate"))?;
        tx.execute_batch(sql).map_err(db_err("migrate"))?;
        tx.execute("DELETE FROM schema_version", [])
            .map_err(db_err("migrate"))?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [target])
            .map_err(db_err("migrate"))?;
        tx.commit().map_err(db_err("migrate"))?;
        tracing::info!(version = target, "auth store migrated");
    }
    Ok(())
}

/// The schema version of the store (0 when new).
pub(super) fn version(conn: &Connection) -> Result<i64> {
    conn.query_row("SELECT max(version) FROM schema_version", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .optional()
    .map(|v| v.flatten().unwrap_or(0))
    .map_err(db_err("migrate"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::store::{SqliteStore, Store};

    /// A store written by a schema-3 proxy (consents without id or expiry) opens, migrates and
    /// keeps its consents, each with an id and 30 days from when it was given.
    #[tokio::test]
    async fn a_schema_3_store_migrates_its_consents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                .unwrap();
            for sql in MIGRATIONS.iter().take(3) {
                conn.execute_batch(sql).unwrap();
            }
            conn.execute("INSERT INTO schema_version (version) VALUES (3)", [])
                .unwrap();
            conn.execute(
                "INSERT INTO consents (subject, client_id, scope, updated_at)
                 VALUES ('alice', 'web', 'read:logs-*', 1000)",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let c = store
            .consent("alice".into(), "web".into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.id.len(), 32);
        assert_eq!((c.granted_at, c.expires_at), (1000, 1000 + 2_592_000));
        let listed = store.consents(None, None).await.unwrap();
        assert_eq!(listed, [c]);
        assert!(
            store
                .sessions(Default::default(), None)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
