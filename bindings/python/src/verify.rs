//! `oauth4os._native.Verifier` and `Claims`: the core's verifier with its verified-token cache.

use std::sync::Arc;
use std::time::Duration;

use oauth4os_core::http::ReqwestTransport;
use oauth4os_core::jwk::KeySet;
use oauth4os_core::jwks::JwksPolicy;
use oauth4os_core::verify::unix_now;
use oauth4os_core::{Claims as CoreClaims, Verifier as CoreVerifier, VerifierConfig};
use pyo3::prelude::*;

use crate::convert::{Json, to_py};
use crate::error::to_py_err;
use crate::runtime::{block_on, guard};

/// Total timeout of one discovery or JWKS fetch.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Verified claims of an access token.
#[pyclass(frozen, module = "oauth4os._native", name = "Claims")]
#[derive(Debug)]
pub struct Claims(Arc<CoreClaims>);

#[pymethods]
impl Claims {
    #[getter]
    fn iss(&self) -> &str {
        &self.0.iss
    }
    #[getter]
    fn sub(&self) -> Option<&str> {
        self.0.sub.as_deref()
    }
    #[getter]
    fn aud(&self) -> Vec<String> {
        self.0.aud.clone()
    }
    #[getter]
    fn exp(&self) -> i64 {
        self.0.exp
    }
    #[getter]
    fn nbf(&self) -> Option<i64> {
        self.0.nbf
    }
    #[getter]
    fn iat(&self) -> Option<i64> {
        self.0.iat
    }
    #[getter]
    fn jti(&self) -> Option<&str> {
        self.0.jti.as_deref()
    }
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }
    #[getter]
    fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }
    #[getter]
    fn tenant(&self) -> Option<&str> {
        self.0.tenant.as_deref()
    }
    /// Every other claim.
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &serde_json::Value::Object(self.0.extra.clone()))
    }
    /// All claims as a dict, in their JSON form.
    fn to_dict(&self) -> PyResult<Json> {
        guard(|| Json::of(self.0.as_ref()).map_err(to_py_err))
    }
    fn __repr__(&self) -> String {
        format!(
            "Claims(iss={:?}, sub={:?}, client_id={:?}, scope={:?}, exp={})",
            self.0.iss, self.0.sub, self.0.client_id, self.0.scope, self.0.exp
        )
    }
}

/// Verifies one issuer's access tokens.
#[pyclass(frozen, module = "oauth4os._native", name = "Verifier")]
#[derive(Debug)]
pub struct Verifier(Arc<CoreVerifier>);

#[pymethods]
impl Verifier {
    /// A verifier from the JSON form of `VerifierConfig`, over a fixed JWKS document when
    /// `jwks_json` is given, else over the issuer's discovered JWKS (or `jwks_uri`).
    #[new]
    #[pyo3(signature = (config_json, jwks_json=None, jwks_uri=None))]
    fn new(config_json: &str, jwks_json: Option<&str>, jwks_uri: Option<String>) -> PyResult<Self> {
        guard(|| {
            let cfg = VerifierConfig::from_json(config_json).map_err(to_py_err)?;
            let verifier = match jwks_json {
                Some(doc) => {
                    let keys = KeySet::from_jwks(doc.as_bytes(), &cfg.algorithms);
                    CoreVerifier::with_keys(cfg, keys.map_err(to_py_err)?)
                }
                None => {
                    let http = ReqwestTransport::new(HTTP_TIMEOUT).map_err(to_py_err)?;
                    let policy = JwksPolicy::default();
                    CoreVerifier::with_jwks(cfg, jwks_uri, policy, Arc::new(http))
                }
            };
            Ok(Self(Arc::new(verifier.map_err(to_py_err)?)))
        })
    }

    /// Verifies `token` as of `now` (seconds since the epoch; default: the clock).
    #[pyo3(signature = (token, now=None))]
    fn verify(&self, py: Python<'_>, token: &str, now: Option<i64>) -> PyResult<Claims> {
        let now = now.unwrap_or_else(unix_now);
        // A token verified before costs a cache lookup: no need to leave the GIL for that.
        if let Some(hit) = guard(|| Ok(self.0.cached(token, now)))? {
            return Ok(Claims(hit));
        }
        block_on(py, async { self.0.verify_at(token, now).await.map(Claims) })
    }

    /// Fetches the issuer's keys now (no-op over a fixed JWKS).
    fn prefetch_keys(&self, py: Python<'_>) -> PyResult<()> {
        block_on(py, self.0.prefetch_keys())
    }

    /// Forgets cached verifications of tokens with this `jti`.
    fn revoke_jti(&self, jti: &str) -> PyResult<()> {
        guard(|| {
            self.0.revoke_jti(jti);
            Ok(())
        })
    }
}
