//! The `Client` handle: token acquisition with single-flight auto-refresh, revocation, token
//! exchange and calls to the proxy, over the reqwest transport.

use crate::error::Reason;
use std::sync::Arc;
use std::time::Duration;

use crate::client::{ClientConfig, ClientStats, TokenClient, TokenResponse};
use crate::error::{Error, ErrorCode, Result};
use crate::facade::surface::{Class, Function, Param, Type};
use crate::http::{HttpResponse, ReqwestTransport};

/// Total timeout of one HTTP exchange of the client.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A token client for one OAuth client (or one fixed access token). Cloning shares it.
#[derive(Debug, Clone)]
pub struct Client(Arc<TokenClient>);

impl Client {
    /// A client from the JSON form of [`ClientConfig`]; a bad field is a `config` error that
    /// names it and never echoes its value.
    pub fn new(config_json: &str) -> Result<Self> {
        let cfg = ClientConfig::from_json(config_json)?;
        let transport = Arc::new(ReqwestTransport::new(HTTP_TIMEOUT)?);
        Ok(Self(Arc::new(TokenClient::new(cfg, transport)?)))
    }

    /// A valid token: the cached one, or one acquired (or refreshed) for every concurrent caller
    /// at once, before the cached one expires.
    pub async fn token(&self) -> Result<TokenResponse> {
        self.0.token().await
    }

    /// The access token string of [`Client::token`].
    pub async fn access_token(&self) -> Result<String> {
        self.0.access_token().await
    }

    /// Drops the cached token unless it was already replaced since `stale` was handed out, then
    /// acquires a new one (shared with concurrent callers).
    pub async fn refresh(&self, stale: Option<&str>) -> Result<TokenResponse> {
        self.0.refresh(stale).await
    }

    /// Forgets the cached token.
    pub fn invalidate(&self) {
        self.0.invalidate();
    }

    /// RFC 7009: revokes `token`, or this client's current tokens (then forgotten) when `None`.
    pub async fn revoke(&self, token: Option<&str>) -> Result<()> {
        self.0.revoke(token).await
    }

    /// RFC 8693 token exchange; the result is not cached.
    pub async fn exchange(
        &self,
        subject_token: &str,
        subject_token_type: Option<&str>,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> Result<TokenResponse> {
        self.0
            .exchange(subject_token, subject_token_type, scope, resource)
            .await
    }

    /// `method path` to the proxy with the bearer token (one refresh and retry after a 401);
    /// 401/403/429 then raise, 5xx is `upstream`, other answers are returned.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse> {
        self.0.request(method, path, body).await
    }

    /// `POST /<index>/_search` with the JSON `query`; the parsed answer.
    pub async fn search(&self, index: &str, query_json: &str) -> Result<serde_json::Value> {
        let query: serde_json::Value = serde_json::from_str(query_json)
            .map_err(|_| Error::new(Reason::BadQuery, "the query is not valid JSON"))?;
        self.0.search(index, &query).await
    }

    /// Counters (token requests sent).
    pub fn stats(&self) -> ClientStats {
        self.0.stats()
    }
}

const TOKEN_ERRORS: &[ErrorCode] = &[
    ErrorCode::InvalidClient,
    ErrorCode::InvalidGrant,
    ErrorCode::InvalidScope,
    ErrorCode::UnauthorizedClient,
    ErrorCode::UnsupportedGrantType,
    ErrorCode::InvalidToken,
    ErrorCode::Network,
    ErrorCode::Upstream,
];

const REQUEST_ERRORS: &[ErrorCode] = &[
    ErrorCode::InvalidRequest,
    ErrorCode::InvalidClient,
    ErrorCode::InvalidGrant,
    ErrorCode::InvalidScope,
    ErrorCode::InvalidToken,
    ErrorCode::InsufficientScope,
    ErrorCode::AccessDenied,
    ErrorCode::RateLimited,
    ErrorCode::Config,
    ErrorCode::Network,
    ErrorCode::Upstream,
];

const TOKEN: Type = Type::Record("TokenResponse");

/// The manifest entry of the class.
pub(super) const SURFACE: Class = Class {
    name: "Client",
    doc: "a token client for one OAuth client (or one fixed access token); thread-safe",
    constructors: &[Function::sync(
        "new",
        "a client from the JSON client configuration (`token_endpoint` or `issuer`, \
         `revocation_endpoint`, `client_id`, `client_secret`, `scope`, `resource`, `auth`, \
         `base_url`, `access_token`)",
        &[Param::required("config_json", Type::Str)],
        Type::Handle("Client"),
        &[ErrorCode::Config],
    )],
    methods: &[
        Function::asynchronous(
            "token",
            "a valid token: cached, or acquired once for every concurrent caller, renewed early",
            &[],
            TOKEN,
            TOKEN_ERRORS,
        ),
        Function::asynchronous(
            "access_token",
            "the access token string of `token`",
            &[],
            Type::Str,
            TOKEN_ERRORS,
        ),
        Function::asynchronous(
            "refresh",
            "a new token unless the cached one was already replaced since `stale` was handed out",
            &[Param::optional("stale", Type::Str)],
            TOKEN,
            TOKEN_ERRORS,
        ),
        Function::sync(
            "invalidate",
            "forgets the cached token",
            &[],
            Type::Unit,
            &[],
        ),
        Function::asynchronous(
            "revoke",
            "RFC 7009: revokes `token`, or this client's current tokens when absent",
            &[Param::optional("token", Type::Str)],
            Type::Unit,
            &[
                ErrorCode::InvalidClient,
                ErrorCode::InvalidRequest,
                ErrorCode::Config,
                ErrorCode::Network,
                ErrorCode::Upstream,
            ],
        ),
        Function::asynchronous(
            "exchange",
            "RFC 8693 token exchange of `subject_token` for a token of this client (not cached)",
            &[
                Param::required("subject_token", Type::Str),
                Param::optional("subject_token_type", Type::Str),
                Param::optional("scope", Type::Str),
                Param::optional("resource", Type::Str),
            ],
            TOKEN,
            TOKEN_ERRORS,
        ),
        Function::asynchronous(
            "request",
            "`method path` to the proxy with the bearer token (one refresh and retry after a 401)",
            &[
                Param::required("method", Type::Str),
                Param::required("path", Type::Str),
                Param::optional("body", Type::Bytes),
            ],
            Type::Record("Response"),
            REQUEST_ERRORS,
        ),
        Function::asynchronous(
            "search",
            "`POST /<index>/_search` with the JSON `query`; the parsed answer",
            &[
                Param::required("index", Type::Str),
                Param::required("query_json", Type::Str),
            ],
            Type::Json,
            REQUEST_ERRORS,
        ),
        Function::sync(
            "stats",
            "counters: token requests sent",
            &[],
            Type::Record("ClientStats"),
            &[],
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_configuration_names_the_field_not_the_value() {
        let e = Client::new(r#"{"client_id":"c","colour":"hunter2"}"#).unwrap_err();
        assert_eq!(
            (e.code, e.reason.as_str()),
            (ErrorCode::Config, "bad_config")
        );
        assert!(e.message.contains("`colour`") && !e.message.contains("hunter2"));
        let e = Client::new(r#"{"client_secret":"s","token_endpoint":"http://t"}"#).unwrap_err();
        assert_eq!(e.reason.as_str(), "missing_client_id");
    }

    #[test]
    fn a_fixed_token_is_handed_out_without_a_request() {
        let c = Client::new(r#"{"access_token":"fixed"}"#).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(c.access_token()).unwrap(), "fixed");
        assert_eq!(c.stats().token_requests, 0);
        let e = rt.block_on(c.search("logs", "{nope")).unwrap_err();
        assert_eq!(e.reason.as_str(), "bad_query");
    }
}
