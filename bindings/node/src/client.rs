//! `Client`: the facade's token client; `Response` and `ClientStats`: its records.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use oauth4os_core::facade::{self, to_json};

use crate::runtime::{call, spawn};

/// An answer of the proxy.
#[napi(object)]
pub struct Response {
    /// HTTP status.
    pub status: u32,
    /// `[name, value]` pairs, names lowercase.
    pub headers: Vec<Vec<String>>,
    /// The body.
    pub body: Buffer,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Counters of a client.
#[napi(object)]
#[derive(Debug)]
pub struct ClientStats {
    /// Requests sent to the token endpoint.
    pub token_requests: i64,
}

/// A token client: configuration as the core's JSON `ClientConfig`; tokens cross as JSON.
#[napi]
#[derive(Debug)]
pub struct Client(facade::Client);

#[napi]
impl Client {
    /// Parses and checks the configuration (the core names a bad field, never its value).
    #[napi(constructor)]
    pub fn new(config_json: String) -> napi::Result<Self> {
        call(|| facade::Client::new(&config_json).map(Self))
    }

    /// A valid token (JSON `TokenResponse`), cached and renewed before it expires.
    #[napi]
    pub async fn token(&self) -> napi::Result<String> {
        let c = self.0.clone();
        spawn(async move { to_json(&c.token().await?) }).await
    }

    /// The access token string.
    #[napi]
    pub async fn access_token(&self) -> napi::Result<String> {
        let c = self.0.clone();
        spawn(async move { c.access_token().await }).await
    }

    /// Drops the cached token (unless already replaced since `stale`) and acquires a new one.
    #[napi]
    pub async fn refresh(&self, stale: Option<String>) -> napi::Result<String> {
        let c = self.0.clone();
        spawn(async move { to_json(&c.refresh(stale.as_deref()).await?) }).await
    }

    /// Forgets the cached token.
    #[napi]
    pub fn invalidate(&self) -> napi::Result<()> {
        call(|| {
            self.0.invalidate();
            Ok(())
        })
    }

    /// RFC 7009: revokes `token`, or the client's own tokens when absent.
    #[napi]
    pub async fn revoke(&self, token: Option<String>) -> napi::Result<()> {
        let c = self.0.clone();
        spawn(async move { c.revoke(token.as_deref()).await }).await
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
        let c = self.0.clone();
        spawn(async move {
            let t = c
                .exchange(
                    &subject_token,
                    subject_token_type.as_deref(),
                    scope.as_deref(),
                    resource.as_deref(),
                )
                .await?;
            to_json(&t)
        })
        .await
    }

    /// Sends `method path` to the proxy with the bearer token (one refresh and retry on a 401).
    #[napi]
    pub async fn request(
        &self,
        method: String,
        path: String,
        body: Option<Buffer>,
    ) -> napi::Result<Response> {
        let c = self.0.clone();
        let body = body.map(|b| b.to_vec());
        spawn(async move {
            let resp = c.request(&method, &path, body).await?;
            Ok(Response {
                status: u32::from(resp.status),
                headers: resp.headers.into_iter().map(|(k, v)| vec![k, v]).collect(),
                body: resp.body.into(),
            })
        })
        .await
    }

    /// `POST /<index>/_search` with the JSON `query`; answers the JSON response.
    #[napi]
    pub async fn search(&self, index: String, query_json: String) -> napi::Result<String> {
        let c = self.0.clone();
        spawn(async move { to_json(&c.search(&index, &query_json).await?) }).await
    }

    /// Counters.
    #[napi]
    pub fn stats(&self) -> napi::Result<ClientStats> {
        call(|| {
            let s = self.0.stats();
            Ok(ClientStats {
                token_requests: i64::try_from(s.token_requests).unwrap_or(i64::MAX),
            })
        })
    }
}
