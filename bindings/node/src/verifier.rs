//! `Verifier`: the facade's verifier; claims cross as JSON.

use napi_derive::napi;
use oauth4os_core::facade::{self, to_json};

use crate::runtime::{call, spawn};

/// A verifier: configuration as the facade's JSON verifier configuration.
#[napi]
#[derive(Debug)]
pub struct Verifier(facade::Verifier);

#[napi]
impl Verifier {
    /// A verifier that discovers the issuer's JWKS (or fetches `jwks_uri`) and caches it.
    #[napi(constructor)]
    pub fn new(config_json: String) -> napi::Result<Self> {
        call(|| facade::Verifier::new(&config_json).map(Self))
    }

    /// A verifier over the keys of a JWKS document; it never does I/O.
    #[napi(factory)]
    pub fn from_jwks(jwks_json: String, config_json: String) -> napi::Result<Self> {
        call(|| facade::Verifier::from_jwks(&jwks_json, &config_json).map(Self))
    }

    /// Verifies `token` as of `now` (default: now), fetching keys when needed.
    #[napi]
    pub async fn verify(&self, token: String, now: Option<i64>) -> napi::Result<String> {
        let v = self.0.clone();
        spawn(async move { to_json(&*v.verify(&token, now).await?) }).await
    }

    /// Verifies `token` as of `now` (default: now) without waiting; for fixed keys only.
    #[napi]
    pub fn verify_sync(&self, token: String, now: Option<i64>) -> napi::Result<String> {
        call(|| to_json(&*self.0.verify_sync(&token, now)?))
    }

    /// The claims (JSON) of an already verified token, without signature work; `null` if none.
    #[napi]
    pub fn cached(&self, token: String, now: Option<i64>) -> napi::Result<Option<String>> {
        call(|| self.0.cached(&token, now).map(|c| to_json(&*c)).transpose())
    }

    /// Forgets cached verifications of tokens with this `jti` (call it on revocation).
    #[napi]
    pub fn revoke_jti(&self, jti: String) -> napi::Result<()> {
        call(|| {
            self.0.revoke_jti(&jti);
            Ok(())
        })
    }

    /// Fetches the issuer's keys now (nothing for fixed keys).
    #[napi]
    pub async fn prefetch_keys(&self) -> napi::Result<()> {
        let v = self.0.clone();
        spawn(async move { v.prefetch_keys().await }).await
    }
}
