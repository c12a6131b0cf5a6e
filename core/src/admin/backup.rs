//! `GET /admin/backup` answers the whole store as one SQLite file
//! (`application/vnd.sqlite3`); `POST /admin/restore` takes such a file as its body and answers
//! a [`RestoreSummary`]. A backup whose signing keys do not decrypt here, or whose policies do
//! not build, is refused and changes nothing.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The media type of a backup, answered by backup and sent to restore.
pub const BACKUP_MEDIA_TYPE: &str = "application/vnd.sqlite3";

/// The answer to `POST /admin/restore`: what the installed backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RestoreSummary {
    /// Always `true`.
    pub restored: bool,
    /// The store schema version of the backup.
    pub schema_version: i64,
    /// How many clients it holds.
    pub clients: u64,
    /// How many signing keys it holds.
    pub signing_keys: u64,
}
