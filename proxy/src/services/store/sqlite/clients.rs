//! Client rows: reading, upserting, and synchronising the configuration's clients.

use oauth4os_core::Reason;
use oauth4os_core::error::quote;
use oauth4os_core::{Error, Result, ScopeSet};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{db_err, immediate};
use crate::services::store::{
    ClientConstraints, ClientRecord, ClientSource, GrantType, SyncReport,
};

const COLUMNS: &str = "id, secret_hash, scopes, grant_types, tenant, access_token_ttl, source, redirect_uris, rate_limit, constraints";

fn corrupt(what: &str) -> Error {
    Error::internal(format!("auth store: a client's {what} is corrupt"))
}

struct RawClient {
    id: String,
    secret_hash: String,
    scopes: String,
    grant_types: String,
    tenant: String,
    ttl: Option<i64>,
    source: String,
    redirect_uris: String,
    rate_limit: Option<String>,
    constraints: Option<String>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawClient> {
    Ok(RawClient {
        id: row.get(0)?,
        secret_hash: row.get(1)?,
        scopes: row.get(2)?,
        grant_types: row.get(3)?,
        tenant: row.get(4)?,
        ttl: row.get(5)?,
        source: row.get(6)?,
        redirect_uris: row.get(7)?,
        rate_limit: row.get(8)?,
        constraints: row.get(9)?,
    })
}

impl RawClient {
    fn parse(self) -> Result<ClientRecord> {
        let scopes = ScopeSet::parse(&self.scopes).map_err(|_| corrupt("scopes"))?;
        let grant_types = self
            .grant_types
            .split(' ')
            .filter(|g| !g.is_empty())
            .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant types")))
            .collect::<Result<Vec<_>>>()?;
        let source = match self.source.as_str() {
            "config" => ClientSource::Config,
            "api" => ClientSource::Api,
            _ => return Err(corrupt("source")),
        };
        Ok(ClientRecord {
            id: self.id,
            secret_hash: self.secret_hash,
            scopes,
            grant_types,
            tenant: self.tenant,
            access_token_ttl: self.ttl.and_then(|t| u64::try_from(t).ok()),
            source,
            // Stored space-separated: a redirect URI never contains a space.
            redirect_uris: self
                .redirect_uris
                .split(' ')
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect(),
            rate_limit: self.rate_limit,
            constraints: match self.constraints {
                None => ClientConstraints::default(),
                Some(json) => serde_json::from_str(&json).map_err(|_| corrupt("constraints"))?,
            },
        })
    }
}

pub(super) fn by_id(conn: &Connection, id: &str) -> Result<Option<ClientRecord>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM clients WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], raw).optional())
        .map_err(db_err("read client"))?
        .map(RawClient::parse)
        .transpose()
}

pub(super) fn all(conn: &Connection) -> Result<Vec<ClientRecord>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM clients ORDER BY id"))
        .and_then(|mut s| s.query_map([], raw)?.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(db_err("read clients"))?
        .into_iter()
        .map(RawClient::parse)
        .collect()
}

fn upsert(conn: &Connection, c: &ClientRecord, now: i64) -> Result<()> {
    let grants = c
        .grant_types
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let ttl = c
        .access_token_ttl
        .map(|t| i64::try_from(t).unwrap_or(i64::MAX));
    let constraints = if c.constraints == ClientConstraints::default() {
        None
    } else {
        Some(
            serde_json::to_string(&c.constraints)
                .map_err(|_| Error::internal("a client's constraints do not serialise"))?,
        )
    };
    conn.prepare_cached(
        "INSERT INTO clients (id, secret_hash, scopes, grant_types, tenant, access_token_ttl,
             source, created_at, updated_at, redirect_uris, rate_limit, constraints)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET secret_hash = ?2, scopes = ?3, grant_types = ?4,
             tenant = ?5, access_token_ttl = ?6, source = ?7, updated_at = ?8, redirect_uris = ?9,
             rate_limit = ?10, constraints = ?11",
    )
    .and_then(|mut s| {
        s.execute(params![
            c.id,
            c.secret_hash,
            c.scopes.to_string(),
            grants,
            c.tenant,
            ttl,
            c.source.as_str(),
            now,
            c.redirect_uris.join(" "),
            c.rate_limit,
            constraints
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
    Error::new(
        Reason::ClientConflict,
        format!(
            "client {} from {here} is already declared through {there}",
            quote(id)
        ),
    )
    .with_help("client ids are unique across the configuration file and the admin API")
}

pub(super) fn sync_config(
    conn: &mut Connection,
    clients: &[ClientRecord],
    now: i64,
) -> Result<SyncReport> {
    let tx = immediate(conn)?;
    let mut report = SyncReport::default();
    for c in clients {
        match by_id(&tx, &c.id)? {
            Some(old) if old.source == ClientSource::Api => {
                return Err(conflict(&c.id, ClientSource::Api));
            }
            Some(old) if old == *c => continue,
            Some(_) => report.updated.push(c.id.clone()),
            None => report.added.push(c.id.clone()),
        }
        upsert(&tx, c, now)?;
    }
    let stale: Vec<String> = tx
        .prepare("SELECT id FROM clients WHERE source = 'config' ORDER BY id")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(db_err("sync clients"))?;
    for id in stale {
        if clients.iter().any(|c| c.id == id) {
            continue;
        }
        tx.execute("DELETE FROM clients WHERE id = ?1", [&id])
            .map_err(db_err("sync clients"))?;
        report.removed.push(id);
    }
    tx.commit().map_err(db_err("commit"))?;
    Ok(report)
}

pub(super) fn put_api(conn: &mut Connection, client: ClientRecord, now: i64) -> Result<()> {
    let tx = immediate(conn)?;
    if let Some(old) = by_id(&tx, &client.id)?
        && old.source == ClientSource::Config
    {
        return Err(conflict(&client.id, ClientSource::Config));
    }
    let client = ClientRecord {
        source: ClientSource::Api,
        ..client
    };
    upsert(&tx, &client, now)?;
    tx.commit().map_err(db_err("commit"))
}

pub(super) fn delete_api(conn: &Connection, id: &str) -> Result<bool> {
    conn.execute("DELETE FROM clients WHERE id = ?1 AND source = 'api'", [id])
        .map(|n| n > 0)
        .map_err(db_err("delete client"))
}

pub(super) fn insert_api(conn: &mut Connection, client: ClientRecord, now: i64) -> Result<bool> {
    let tx = immediate(conn)?;
    if by_id(&tx, &client.id)?.is_some() {
        return Ok(false);
    }
    let client = ClientRecord {
        source: ClientSource::Api,
        ..client
    };
    upsert(&tx, &client, now)?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(true)
}

pub(super) fn update_api(conn: &mut Connection, client: ClientRecord, now: i64) -> Result<bool> {
    let tx = immediate(conn)?;
    match by_id(&tx, &client.id)? {
        Some(old) if old.source == ClientSource::Api => {}
        _ => return Ok(false),
    }
    let client = ClientRecord {
        source: ClientSource::Api,
        ..client
    };
    upsert(&tx, &client, now)?;
    tx.commit().map_err(db_err("commit"))?;
    Ok(true)
}
