//! `Client` (the facade's token client) and `Response` (a proxy answer).

use oauth4os_core::facade::{self, HttpResponse};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::Json;
use crate::runtime::{awaitable, block_on, call};

/// One HTTP answer from the proxy (the `Response` record).
#[pyclass(frozen, module = "oauth4os._native", name = "Response")]
#[derive(Debug)]
pub struct Response(HttpResponse);

#[pymethods]
impl Response {
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
pub struct Client(facade::Client);

#[pymethods]
impl Client {
    #[new]
    fn new(config_json: &str) -> PyResult<Self> {
        call(|| facade::Client::new(config_json).map(Self))
    }

    fn token(&self, py: Python<'_>) -> PyResult<Json> {
        block_on(py, async { Json::of(&self.0.token().await?) })
    }

    fn token_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        awaitable(py, async move { Json::of(&c.token().await?) })
    }

    fn access_token(&self, py: Python<'_>) -> PyResult<String> {
        block_on(py, self.0.access_token())
    }

    fn access_token_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        awaitable(py, async move { c.access_token().await })
    }

    #[pyo3(signature = (stale=None))]
    fn refresh(&self, py: Python<'_>, stale: Option<&str>) -> PyResult<Json> {
        block_on(py, async { Json::of(&self.0.refresh(stale).await?) })
    }

    #[pyo3(signature = (stale=None))]
    fn refresh_async<'py>(
        &self,
        py: Python<'py>,
        stale: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        awaitable(
            py,
            async move { Json::of(&c.refresh(stale.as_deref()).await?) },
        )
    }

    fn invalidate(&self) -> PyResult<()> {
        call(|| {
            self.0.invalidate();
            Ok(())
        })
    }

    #[pyo3(signature = (token=None))]
    fn revoke(&self, py: Python<'_>, token: Option<&str>) -> PyResult<()> {
        block_on(py, self.0.revoke(token))
    }

    #[pyo3(signature = (token=None))]
    fn revoke_async<'py>(
        &self,
        py: Python<'py>,
        token: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        awaitable(py, async move { c.revoke(token.as_deref()).await })
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
            let t = (self.0)
                .exchange(subject_token, subject_token_type, scope, resource)
                .await?;
            Json::of(&t)
        })
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
        awaitable(py, async move {
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

    #[pyo3(signature = (method, path, body=None))]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> PyResult<Response> {
        let body = body.map(<[u8]>::to_vec);
        block_on(py, async {
            self.0.request(method, path, body).await.map(Response)
        })
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
        awaitable(py, async move {
            c.request(&method, &path, body).await.map(Response)
        })
    }

    fn search(&self, py: Python<'_>, index: &str, query_json: &str) -> PyResult<Json> {
        block_on(py, async {
            self.0.search(index, query_json).await.map(Json)
        })
    }

    fn search_async<'py>(
        &self,
        py: Python<'py>,
        index: String,
        query_json: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.0.clone();
        awaitable(
            py,
            async move { c.search(&index, &query_json).await.map(Json) },
        )
    }

    fn stats(&self) -> PyResult<Json> {
        call(|| Json::of(&self.0.stats()))
    }
}
