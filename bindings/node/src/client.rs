//! `NativeClient`: the core's [`TokenClient`] over the real HTTP transport.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use oauth4os_core::http::ReqwestTransport;
use oauth4os_core::{ClientConfig, Error, TokenClient};

use crate::error::{IntoJs, json};
use crate::runtime::{guard, spawn};

/// Timeout of every HTTP request the client sends.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// An answer of the proxy.
#[napi(object)]
pub struct NativeResponse {
    /// HTTP status.
    pub status: u32,
    /// `[name, value]` pairs, names lowercase.
    pub headers: Vec<Vec<String>>,
    /// The body.
    pub body: Buffer,
}

impl std::fmt::Debug for NativeResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Counters of a client.
#[napi(object)]
#[derive(Debug)]
pub struct NativeStats {
    /// Requests sent to the token endpoint.
    pub token_requests: i64,
}

/// A token client: configuration as the core's JSON `ClientConfig`.
#[napi]
pub struct NativeClient {
    inner: Arc<TokenClient>,
}

impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[napi]
impl NativeClient {
    /// Parses and checks the configuration (the core names a bad field, never its value).
    #[napi(constructor)]
    pub fn new(config_json: String) -> napi::Result<Self> {
        guard(|| {
            let cfg = ClientConfig::from_json(&config_json)?;
            let transport = Arc::new(ReqwestTransport::new(HTTP_TIMEOUT)?);
            Ok(Self {
                inner: Arc::new(TokenClient::new(cfg, transport)?),
            })
        })
        .js()
    }

    /// A valid token (JSON `TokenResponse`), cached and renewed before it expires.
    #[napi]
    pub async fn token(&self) -> napi::Result<String> {
        let c = self.inner.clone();
        spawn(async move { json(&c.token().await?) }).await.js()
    }

    /// Drops the cached token (unless already replaced since `stale`) and acquires a new one.
    #[napi]
    pub async fn refresh(&self, stale: Option<String>) -> napi::Result<String> {
        let c = self.inner.clone();
        spawn(async move { json(&c.refresh(stale.as_deref()).await?) })
            .await
            .js()
    }

    /// Forgets the cached token.
    #[napi]
    pub fn invalidate(&self) -> napi::Result<()> {
        guard(|| {
            self.inner.invalidate();
            Ok(())
        })
        .js()
    }

    /// Sends `method path` to the proxy with the bearer token (one refresh and retry on a 401).
    #[napi]
    pub async fn request(
        &self,
        method: String,
        path: String,
        body: Option<Buffer>,
    ) -> napi::Result<NativeResponse> {
        let c = self.inner.clone();
        let body = body.map(|b| b.to_vec());
        spawn(async move {
            let resp = c.request(&method, &path, body).await?;
            Ok(NativeResponse {
                status: u32::from(resp.status),
                headers: resp.headers.into_iter().map(|(k, v)| vec![k, v]).collect(),
                body: resp.body.into(),
            })
        })
        .await
        .js()
    }

    /// `POST /<index>/_search` with the JSON `query`; answers the JSON response.
    #[napi]
    pub async fn search(&self, index: String, query_json: String) -> napi::Result<String> {
        let c = self.inner.clone();
        spawn(async move {
            let query: serde_json::Value = serde_json::from_str(&query_json)
                .map_err(|_| Error::invalid_request("bad_query", "the query is not valid JSON"))?;
            json(&c.search(&index, &query).await?)
        })
        .await
        .js()
    }

    /// RFC 7009: revokes `token`, or the client's own tokens when absent.
    #[napi]
    pub async fn revoke(&self, token: Option<String>) -> napi::Result<()> {
        let c = self.inner.clone();
        spawn(async move { c.revoke(token.as_deref()).await })
            .await
            .js()
    }

    /// RFC 8693 token exchange; the result (JSON `TokenResponse`) is not cached.
    #[napi]
    pub async fn exchange(
        &self,
        subject_token: String,
        subject_token_type: Option<String>,
        scope: Option<String>,
        resource: Option<String>,
    ) -> napi::Result<String> {
        let c = self.inner.clone();
        spawn(async move {
            let t = c
                .exchange(
                    &subject_token,
                    subject_token_type.as_deref(),
                    scope.as_deref(),
                    resource.as_deref(),
                )
                .await?;
            json(&t)
        })
        .await
        .js()
    }

    /// Counters.
    #[napi]
    pub fn stats(&self) -> napi::Result<NativeStats> {
        guard(|| {
            let s = self.inner.stats();
            Ok(NativeStats {
                token_requests: i64::try_from(s.token_requests).unwrap_or(i64::MAX),
            })
        })
        .js()
    }
}
