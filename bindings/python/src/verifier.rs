//! `Verifier` (the facade's verifier) and `Claims` (the verified claims record).

use std::sync::Arc;

use oauth4os_core::facade::{self, Claims as CoreClaims};
use pyo3::prelude::*;

use crate::convert::{Json, to_py};
use crate::runtime::{awaitable, block_on, call};

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
        call(|| Json::of(self.0.as_ref()))
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
pub struct Verifier(facade::Verifier);

#[pymethods]
impl Verifier {
    #[new]
    fn new(config_json: &str) -> PyResult<Self> {
        call(|| facade::Verifier::new(config_json).map(Self))
    }

    #[staticmethod]
    fn from_jwks(jwks_json: &str, config_json: &str) -> PyResult<Self> {
        call(|| facade::Verifier::from_jwks(jwks_json, config_json).map(Self))
    }

    #[pyo3(signature = (token, now=None))]
    fn verify(&self, py: Python<'_>, token: &str, now: Option<i64>) -> PyResult<Claims> {
        // A token verified before costs a cache lookup: no need to leave the GIL for that.
        if let Some(hit) = call(|| Ok(self.0.cached(token, now)))? {
            return Ok(Claims(hit));
        }
        block_on(py, async { self.0.verify(token, now).await.map(Claims) })
    }

    #[pyo3(signature = (token, now=None))]
    fn verify_async<'py>(
        &self,
        py: Python<'py>,
        token: String,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self.0.clone();
        awaitable(py, async move { v.verify(&token, now).await.map(Claims) })
    }

    #[pyo3(signature = (token, now=None))]
    fn verify_sync(&self, token: &str, now: Option<i64>) -> PyResult<Claims> {
        call(|| self.0.verify_sync(token, now).map(Claims))
    }

    #[pyo3(signature = (token, now=None))]
    fn cached(&self, token: &str, now: Option<i64>) -> PyResult<Option<Claims>> {
        call(|| Ok(self.0.cached(token, now).map(Claims)))
    }

    fn revoke_jti(&self, jti: &str) -> PyResult<()> {
        call(|| {
            self.0.revoke_jti(jti);
            Ok(())
        })
    }

    fn prefetch_keys(&self, py: Python<'_>) -> PyResult<()> {
        block_on(py, self.0.prefetch_keys())
    }

    fn prefetch_keys_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.0.clone();
        awaitable(py, async move { v.prefetch_keys().await })
    }
}
