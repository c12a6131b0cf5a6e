//! `NativeVerifier`: the core's [`Verifier`] over fixed keys or a discovered JWKS.

use std::sync::Arc;
use std::time::Duration;

use napi_derive::napi;
use oauth4os_core::http::ReqwestTransport;
use oauth4os_core::jwk::KeySet;
use oauth4os_core::jwks::JwksPolicy;
use oauth4os_core::verify::unix_now;
use oauth4os_core::{Verifier, VerifierConfig};

use crate::error::{IntoJs, json};
use crate::runtime::{guard, now_or_never, spawn};

/// Timeout of discovery and JWKS requests.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A verifier: configuration as the core's JSON `VerifierConfig`; claims cross as JSON.
#[napi]
pub struct NativeVerifier {
    inner: Arc<Verifier>,
}

impl std::fmt::Debug for NativeVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

fn sized(v: Verifier, cache_capacity: Option<u32>) -> Verifier {
    match cache_capacity.and_then(|c| usize::try_from(c).ok()) {
        Some(c) => v.with_cache_capacity(c),
        None => v,
    }
}

#[napi]
impl NativeVerifier {
    /// A verifier over the keys of a JWKS document; it never does I/O.
    #[napi(factory)]
    pub fn with_keys(
        config_json: String,
        jwks_json: String,
        cache_capacity: Option<u32>,
    ) -> napi::Result<Self> {
        guard(|| {
            let cfg = VerifierConfig::from_json(&config_json)?;
            let keys = KeySet::from_jwks(jwks_json.as_bytes(), &cfg.algorithms)?;
            let v = Verifier::with_keys(cfg, keys)?;
            Ok(Self {
                inner: Arc::new(sized(v, cache_capacity)),
            })
        })
        .js()
    }

    /// A verifier that discovers the issuer's JWKS (or fetches `jwks_uri`) and caches it.
    #[napi(factory)]
    pub fn with_jwks(
        config_json: String,
        jwks_uri: Option<String>,
        cache_capacity: Option<u32>,
    ) -> napi::Result<Self> {
        guard(|| {
            let cfg = VerifierConfig::from_json(&config_json)?;
            let transport = Arc::new(ReqwestTransport::new(HTTP_TIMEOUT)?);
            let v = Verifier::with_jwks(cfg, jwks_uri, JwksPolicy::default(), transport)?;
            Ok(Self {
                inner: Arc::new(sized(v, cache_capacity)),
            })
        })
        .js()
    }

    /// The claims (JSON) of an already verified token, without signature work; `null` if none.
    #[napi]
    pub fn cached(&self, token: String, now: Option<i64>) -> napi::Result<Option<String>> {
        guard(|| {
            let now = now.unwrap_or_else(unix_now);
            self.inner
                .cached(&token, now)
                .map(|c| json(&*c))
                .transpose()
        })
        .js()
    }

    /// Verifies `token` as of `now` (default: now) on the calling thread; for fixed keys only.
    #[napi]
    pub fn verify_sync(&self, token: String, now: Option<i64>) -> napi::Result<String> {
        let now = now.unwrap_or_else(unix_now);
        now_or_never(async { json(&*self.inner.verify_at(&token, now).await?) }).js()
    }

    /// Verifies `token` as of `now` (default: now), fetching keys when needed.
    #[napi]
    pub async fn verify(&self, token: String, now: Option<i64>) -> napi::Result<String> {
        let v = self.inner.clone();
        spawn(async move {
            let now = now.unwrap_or_else(unix_now);
            json(&*v.verify_at(&token, now).await?)
        })
        .await
        .js()
    }

    /// Forgets cached verifications of tokens with this `jti` (call it on revocation).
    #[napi]
    pub fn revoke_jti(&self, jti: String) -> napi::Result<()> {
        guard(|| {
            self.inner.revoke_jti(&jti);
            Ok(())
        })
        .js()
    }
}
