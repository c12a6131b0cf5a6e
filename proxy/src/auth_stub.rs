//! TEMPORARY stand-in with the shape of the authorization server module, so the rest of the crate
//! compiles while that module is written. Removed when `auth/` lands.
#![allow(
    dead_code,
    missing_docs,
    clippy::unused_async,
    reason = "temporary stand-in"
)]

use std::path::PathBuf;
use std::sync::Arc;

use oauth4os_core::{Claims, Error, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub issuer: String,
    pub audiences: Vec<String>,
    #[serde(default)]
    pub access_token_ttl: Option<u64>,
    #[serde(default)]
    pub refresh_token_ttl: Option<u64>,
    pub store_path: PathBuf,
    #[serde(default)]
    pub clients: Vec<ClientEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    pub id: String,
    pub secret_hash: String,
    pub scopes: String,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub access_token_ttl: Option<u64>,
}

#[derive(Debug)]
pub struct AuthServer {
    cfg: AuthConfig,
}

impl AuthServer {
    pub fn open(cfg: AuthConfig, _kek: [u8; 32]) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { cfg }))
    }
    pub fn router(self: &Arc<Self>) -> axum::Router {
        axum::Router::new()
    }
    pub async fn verify(&self, _token: &str) -> Result<Arc<Claims>> {
        Err(Error::invalid_token("stub", "not implemented"))
    }
    pub fn issuer(&self) -> &str {
        &self.cfg.issuer
    }
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({"keys": []})
    }
}
