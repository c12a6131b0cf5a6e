//! `oauth4os._native.Client`: the core's `TokenClient`, blocking and awaitable.

use std::sync::Arc;
use std::time::Duration;

use oauth4os_core::http::{HttpResponse, ReqwestTransport};
use oauth4os_core::{ClientConfig, Error, TokenClient};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::Json;
use crate::error::to_py_err;
use crate::runtime::{block_on, guard, guard_future};

/// Total timeout of one HTTP exchange.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// One HTTP answer from the proxy.
#[pyclass(frozen, module = "oauth4os._native", name = "RawResponse")]
#[derive(Debug)]
pub struct RawResponse(HttpResponse);

#[pymethods]
impl RawResponse {
    #[getter]
    fn status(&self) -> u16 {
        self.0.status
    }

    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        self.0.headers.clone()
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.body)
    }
}

/// A token client for one OAuth client (or one fixed token).
#[pyclass(frozen, module = "oauth4os._native", name = "Client")]
#[derive(Debug)]
pub struct Client(Arc<TokenClient>);

fn json_body(query_json: &str) -> Result<serde_json::Value, Error> {
    serde_json::from_str(query_json)
        .map_err(|_| Error::invalid_request("bad_query", "the query is not valid JSON"))
}

#[pymethods]
impl Client {
    /// A client from the JSON form of `ClientConfig`.
    #[new]
    fn new(config_json: &str) -> PyResult<Self> {
        guard(|| {
            let cfg = ClientConfig::from_json(config_json).map_err(to_py_err)?;
            let transport = Arc::new(ReqwestTransport::new(HTTP_TIMEOUT).map_err(to_py_err)?);
            let client = TokenClient::new(cfg, transport).map_err(to_py_err)?;
            Ok(Self(Arc::new(client)))
        })
    }

    fn token(&self, py: Python<'_>) -> PyResult<Json> {
        block_on(py, async { Json::of(&self.0.token().await?) })
    }

    #[pyo3(signature = (method, path, body=None))]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> PyResult<RawResponse> {
        let body = body.map(<[u8]>::to_vec);
        block_on(py, async {
            self.0.request(method, path, body).await.map(RawResponse)
        })
    }

    fn search(&self, py: Python<'_>, index: &str, query_json: &str) -> PyResult<Json> {
        block_on(py, async {
            let query = json_body(query_json)?;
            self.0.search(index, &query).await.map(Json)
        })
    }

    #[pyo3(signature = (token=None))]
    fn revoke(&self, py: Python<'_>, token: Option<&str>) -> PyResult<()> {
        block_on(py, self.0.revoke(token))
    }

    #[pyo3(signature = (subject_token, subject_token_type=None, scope=None, resource=None))]
    fn exchange(
        &self,
        py: Python<'_>,
        subject_token: &str,
        subject_token_type: Option<&str>,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> PyResult<Json> {
        block_on(py, async {
            let t = self
                .0
                .exchange(subject_token, subject_token_type, scope, resource)
                .await?;
            Json::of(&t)
        })
    }

    fn stats(&self) -> PyResult<Json> {
        guard(|| Json::of(&self.0.stats()).map_err(to_py_err))
    }

    fn token_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        guard_future(py, async move { Json::of(&c.token().await?) })
    }

    #[pyo3(signature = (method, path, body=None))]
    fn request_async<'py>(
        &self,
        py: Python<'py>,
        method: String,
        path: String,
        body: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (c, body) = (self.0.clone(), body.map(<[u8]>::to_vec));
        guard_future(py, async move {
            c.request(&method, &path, body).await.map(RawResponse)
        })
    }

    fn search_async<'py>(
        &self,
        py: Python<'py>,
        index: String,
        query_json: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        guard_future(py, async move {
            let query = json_body(&query_json)?;
            c.search(&index, &query).await.map(Json)
        })
    }

    #[pyo3(signature = (token=None))]
    fn revoke_async<'py>(
        &self,
        py: Python<'py>,
        token: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        guard_future(py, async move { c.revoke(token.as_deref()).await })
    }

    #[pyo3(signature = (subject_token, subject_token_type=None, scope=None, resource=None))]
    fn exchange_async<'py>(
        &self,
        py: Python<'py>,
        subject_token: String,
        subject_token_type: Option<String>,
        scope: Option<String>,
        resource: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        guard_future(py, async move {
            let t = c
                .exchange(
                    &subject_token,
                    subject_token_type.as_deref(),
                    scope.as_deref(),
                    resource.as_deref(),
                )
                .await?;
            Json::of(&t)
        })
    }
}
