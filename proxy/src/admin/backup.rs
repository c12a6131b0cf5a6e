//! `GET /admin/backup` (the store as one SQLite file) and `POST /admin/restore`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse as _;
use oauth4os_core::admin::RestoreSummary;

use super::{AdminResult, Caller, from_core, json};
use crate::authz::AuthServer;

/// Largest backup accepted by restore.
pub const MAX_BACKUP: usize = 256 * 1024 * 1024;

pub(super) async fn backup(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
) -> AdminResult {
    let bytes = server.store().backup().await.map_err(from_core)?;
    tracing::info!(by = %by.0, bytes = bytes.len(), "auth store backed up");
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.sqlite3"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"oauth4os-backup.db\""),
    );
    Ok(resp)
}

pub(super) async fn restore(
    State(server): State<Arc<AuthServer>>,
    Extension(by): Extension<Caller>,
    bytes: Bytes,
) -> AdminResult {
    let contents = server
        .restore(bytes.to_vec(), &by.0)
        .await
        .map_err(from_core)?;
    Ok(json(
        StatusCode::OK,
        &RestoreSummary {
            restored: true,
            schema_version: contents.schema_version,
            clients: u64::try_from(contents.clients).unwrap_or(u64::MAX),
            signing_keys: u64::try_from(contents.keys.len()).unwrap_or(u64::MAX),
        },
    ))
}
