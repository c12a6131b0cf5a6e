//! The SDK client: acquires tokens, keeps them fresh, and calls the proxy with them.
//!
//! - Tokens are cached and refreshed before they expire (a fifth of the lifetime early, at
//!   most 60 s). Concurrent callers share one token request (single flight).
//! - Grants: `client_credentials`, `refresh_token` (used when the endpoint issued one, with a
//!   fallback to client credentials if it is refused) and token exchange (RFC 8693).
//! - [`TokenClient::request`] attaches the bearer token and, on a 401, refreshes once and retries;
//!   [`TokenClient::search`] is the `_search` shorthand; [`TokenClient::revoke`] is RFC 7009.
//! - A client may also hold a fixed access token (`access_token`) instead of credentials: it is
//!   used as is and never renewed, so a refusal surfaces as `invalid_token`.
//! - It runs on any executor: I/O goes through an [`HttpTransport`], locking through
//!   runtime-agnostic primitives.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Reason, Result, quote};
use crate::http::{HttpRequest, HttpResponse, HttpTransport, basic_auth};
use crate::jwks::{ProviderMetadata, discover};

use crate::protocol::GrantType;
pub use crate::protocol::{ACCESS_TOKEN_TYPE, TokenResponse};
/// Largest proxied response body the client reads.
pub const MAX_PROXY_RESPONSE_LEN: usize = 64 * 1024 * 1024;

/// A secret string: never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself; do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`), the default.
    #[default]
    Basic,
    /// Form parameters (`client_secret_post`).
    Post,
}

/// Client configuration: the cross-language constructor arguments.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The token endpoint; discovered from `issuer` when absent.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// The issuer, for discovery.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The RFC 7009 revocation endpoint; discovered from `issuer` when absent.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// The client id (not needed with a fixed `access_token`).
    #[serde(default)]
    pub client_id: String,
    /// The client secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// Space-separated scopes to request.
    #[serde(default)]
    pub scope: Option<String>,
    /// RFC 8707 resource indicator.
    #[serde(default)]
    pub resource: Option<String>,
    /// Client authentication method.
    #[serde(default)]
    pub auth: ClientAuth,
    /// Base URL that [`TokenClient::request`] paths are relative to (the proxy).
    #[serde(default)]
    pub base_url: Option<String>,
    /// A fixed access token to use instead of acquiring one; it is never renewed.
    #[serde(default)]
    pub access_token: Option<Secret>,
}

impl ClientConfig {
    /// Parses the JSON form every binding passes across, with a `config` error naming the
    /// problem (an unknown field, a wrong type) and never echoing a value.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| config_json_error("client", &e))
    }
}

/// A `config` error for a JSON configuration that did not parse. serde's message names the
/// field and the expected type; the value itself could be a secret, so only the category,
/// line and column are kept for data errors.
pub(crate) fn config_json_error(what: &str, e: &serde_json::Error) -> Error {
    let detail = crate::error::describe_json_error(e);
    Error::new(
        Reason::BadConfig,
        format!("invalid {what} configuration: {detail}"),
    )
}

#[derive(Debug)]
struct Cached {
    token: TokenResponse,
    refresh_at: Instant,
}

impl Cached {
    fn new(token: TokenResponse) -> Self {
        let now = Instant::now();
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300));
        let early = (lifetime / 5).min(Duration::from_secs(60));
        Self {
            refresh_at: now + lifetime.saturating_sub(early),

            token,
        }
    }
}

/// Counters, for tests and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStats {
    /// Requests sent to the token endpoint.
    pub token_requests: u64,
}

/// Acquires and caches tokens for one client, and calls the proxy with them.
pub struct TokenClient {
    cfg: ClientConfig,
    transport: Arc<dyn HttpTransport>,
    current: RwLock<Option<Arc<Cached>>>,
    metadata: RwLock<Option<Arc<ProviderMetadata>>>,
    flight: tokio::sync::Mutex<()>,
    stats: RwLock<ClientStats>,
}

impl std::fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenClient")
            .field("client_id", &self.cfg.client_id)
            .finish_non_exhaustive()
    }
}

impl TokenClient {
    /// A client; it needs a token endpoint or an issuer to discover one.
    pub fn new(cfg: ClientConfig, transport: Arc<dyn HttpTransport>) -> Result<Self> {
        if let Some(fixed) = &cfg.access_token {
            if fixed.expose().is_empty() {
                return Err(Error::new(
                    Reason::MissingAccessToken,
                    "the fixed access token is empty",
                ));
            }
        } else {
            if cfg.client_id.is_empty() {
                return Err(Error::new(
                    Reason::MissingClientId,
                    "the client needs a client id",
                ));
            }
            if cfg.token_endpoint.is_none() && cfg.issuer.is_none() {
                return Err(Error::new(
                    Reason::MissingTokenEndpoint,
                    "the client needs a token endpoint or an issuer to discover it from",
                ));
            }
        }
        let current = cfg.access_token.as_ref().map(|t| {
            Arc::new(Cached {
                token: TokenResponse {
                    access_token: t.expose().to_owned(),
                    token_type: "Bearer".into(),
                    expires_in: None,
                    scope: None,
                    refresh_token: None,
                    issued_token_type: None,
                },
                // A fixed token is never considered due for renewal.
                refresh_at: Instant::now() + Duration::from_secs(100 * 365 * 86_400),
            })
        });
        Ok(Self {
            cfg,
            transport,
            current: RwLock::new(current),
            metadata: RwLock::new(None),
            flight: tokio::sync::Mutex::new(()),
            stats: RwLock::new(ClientStats::default()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Counters.
    pub fn stats(&self) -> ClientStats {
        self.stats.read().map(|s| *s).unwrap_or_default()
    }

    fn fresh(&self) -> Option<Arc<Cached>> {
        let cur = self.current.read().ok()?.clone()?;
        (Instant::now() < cur.refresh_at).then_some(cur)
    }

    /// A valid token, from the cache or freshly acquired (one request for any number of callers).
    pub async fn token(&self) -> Result<TokenResponse> {
        if let Some(c) = self.fresh() {
            return Ok(c.token.clone());
        }
        let _flight = self.flight.lock().await;
        if let Some(c) = self.fresh() {
            return Ok(c.token.clone());
        }
        self.acquire().await
    }

    /// The access token string.
    pub async fn access_token(&self) -> Result<String> {
        Ok(self.token().await?.access_token)
    }

    /// Drops the cached token unless it was already replaced since `stale` was handed out, then
    /// acquires a new one (shared with concurrent callers).
    pub async fn refresh(&self, stale: Option<&str>) -> Result<TokenResponse> {
        let _flight = self.flight.lock().await;
        let current = self.current.read().ok().and_then(|c| c.clone());
        if let (Some(cur), Some(stale)) = (&current, stale)
            && cur.token.access_token != stale
            && Instant::now() < cur.refresh_at
        {
            return Ok(cur.token.clone());
        }
        self.acquire().await
    }

    /// Forgets the cached token.
    pub fn invalidate(&self) {
        if let Ok(mut c) = self.current.write() {
            *c = None;
        }
    }

    async fn acquire(&self) -> Result<TokenResponse> {
        if self.cfg.access_token.is_some() {
            return Err(Error::new(
                Reason::FixedTokenRefused,
                "the fixed access token was refused and cannot be renewed",
            )
            .with_help("configure client credentials to let the client acquire tokens"));
        }
        let previous = self.current.read().ok().and_then(|c| c.clone());
        // The server decides whether a refresh token is still good; if not (`invalid_grant`),
        // client credentials are used again below.
        let refresh_token = previous.and_then(|c| c.token.refresh_token.clone());
        let token = match refresh_token {
            Some(rt) => match self.grant_refresh(&rt).await {
                Ok(t) => t,
                Err(e) if e.code == ErrorCode::InvalidGrant && self.cfg.client_secret.is_some() => {
                    self.grant_client_credentials().await?
                }
                Err(e) => return Err(e),
            },
            None => self.grant_client_credentials().await?,
        };
        if let Ok(mut c) = self.current.write() {
            *c = Some(Arc::new(Cached::new(token.clone())));
        }
        Ok(token)
    }

    /// The issuer's metadata, discovered once.
    async fn metadata(&self) -> Result<Arc<ProviderMetadata>> {
        if let Some(m) = self.metadata.read().ok().and_then(|m| m.clone()) {
            return Ok(m);
        }
        let Some(issuer) = self.cfg.issuer.as_deref() else {
            return Err(Error::new(
                Reason::MissingIssuer,
                "the client has no issuer to discover endpoints from",
            ));
        };
        let meta = Arc::new(discover(self.transport.as_ref(), issuer).await?);
        if let Ok(mut m) = self.metadata.write() {
            *m = Some(meta.clone());
        }
        Ok(meta)
    }

    async fn token_endpoint(&self) -> Result<String> {
        if let Some(e) = &self.cfg.token_endpoint {
            return Ok(e.clone());
        }
        self.metadata()
            .await?
            .token_endpoint
            .clone()
            .ok_or_else(|| {
                Error::new(
                    Reason::DiscoveryFailed,
                    "the issuer's metadata has no `token_endpoint`",
                )
            })
    }

    async fn revocation_endpoint(&self) -> Result<String> {
        if let Some(e) = &self.cfg.revocation_endpoint {
            return Ok(e.clone());
        }
        self.metadata()
            .await?
            .revocation_endpoint
            .clone()
            .ok_or_else(|| {
                Error::new(
                    Reason::MissingRevocationEndpoint,
                    "the issuer publishes no `revocation_endpoint`",
                )
            })
    }

    /// RFC 7009: revokes `token`, or when `None` the client's current access token (and its
    /// refresh token), then forgets the cached token so the next call acquires a new one.
    pub async fn revoke(&self, token: Option<&str>) -> Result<()> {
        let mut targets: Vec<(String, &str)> = Vec::new();
        match token {
            Some(t) => targets.push((t.to_owned(), "access_token")),
            None => {
                let cur = self.current.read().ok().and_then(|c| c.clone());
                if let Some(c) = cur {
                    if let Some(rt) = &c.token.refresh_token {
                        targets.push((rt.clone(), "refresh_token"));
                    }
                    targets.push((c.token.access_token.clone(), "access_token"));
                }
            }
        }
        if targets.is_empty() {
            return Ok(());
        }
        let endpoint = self.revocation_endpoint().await?;
        for (t, hint) in &targets {
            let form = vec![("token", t.as_str()), ("token_type_hint", *hint)];
            let resp = self
                .transport
                .send(self.authenticated(&endpoint, form))
                .await?;
            if resp.status != 200 {
                return Err(oauth_error(&resp, "the revocation endpoint"));
            }
        }
        if token.is_none() || self.current_access_token().as_deref() == token {
            self.invalidate();
        }
        Ok(())
    }

    fn current_access_token(&self) -> Option<String> {
        let cur = self.current.read().ok()?.clone()?;
        Some(cur.token.access_token.clone())
    }

    async fn grant_client_credentials(&self) -> Result<TokenResponse> {
        let mut form = vec![("grant_type", GrantType::ClientCredentials.as_str())];
        if let Some(s) = &self.cfg.scope {
            form.push(("scope", s));
        }
        if let Some(r) = &self.cfg.resource {
            form.push(("resource", r));
        }
        self.post_token(form).await
    }

    async fn grant_refresh(&self, refresh_token: &str) -> Result<TokenResponse> {
        let mut form = vec![
            ("grant_type", GrantType::RefreshToken.as_str()),
            ("refresh_token", refresh_token),
        ];
        if let Some(r) = &self.cfg.resource {
            form.push(("resource", r));
        }
        self.post_token(form).await
    }

    /// RFC 8693 token exchange: trades `subject_token` for a token of this client, with at most
    /// `scope` (the server attenuates) for `resource`. The result is not cached.
    pub async fn exchange(
        &self,
        subject_token: &str,
        subject_token_type: Option<&str>,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> Result<TokenResponse> {
        let mut form = vec![
            ("grant_type", GrantType::TokenExchange.as_str()),
            ("subject_token", subject_token),
            (
                "subject_token_type",
                subject_token_type.unwrap_or(ACCESS_TOKEN_TYPE),
            ),
            ("requested_token_type", ACCESS_TOKEN_TYPE),
        ];
        if let Some(s) = scope.or(self.cfg.scope.as_deref()) {
            form.push(("scope", s));
        }
        if let Some(r) = resource.or(self.cfg.resource.as_deref()) {
            form.push(("resource", r));
        }
        self.post_token(form).await
    }

    /// A form POST to `endpoint` carrying this client's authentication.
    fn authenticated<'a>(
        &'a self,
        endpoint: &str,
        mut form: Vec<(&'a str, &'a str)>,
    ) -> HttpRequest {
        let secret = self.cfg.client_secret.as_ref().map(Secret::expose);
        match (self.cfg.auth, secret) {
            (ClientAuth::Basic, Some(secret)) => {
                let basic = basic_auth(&self.cfg.client_id, secret);
                HttpRequest::post_form(endpoint, &form).header("authorization", &basic)
            }
            (_, secret) => {
                if !self.cfg.client_id.is_empty() {
                    form.push(("client_id", &self.cfg.client_id));
                }
                if let Some(s) = secret {
                    form.push(("client_secret", s));
                }
                HttpRequest::post_form(endpoint, &form)
            }
        }
    }

    async fn post_token(&self, form: Vec<(&str, &str)>) -> Result<TokenResponse> {
        let endpoint = self.token_endpoint().await?;
        let req = self.authenticated(&endpoint, form);
        if let Ok(mut s) = self.stats.write() {
            s.token_requests += 1;
        }
        let resp = self.transport.send(req).await?;
        parse_token_response(&resp)
    }

    /// Sends `method path` to the proxy with the bearer token; on a 401 refreshes once and retries.
    ///
    /// 401, 403 and 429 after that become errors (`invalid_token`, `insufficient_scope` or
    /// `access_denied`, `rate_limited`), 5xx becomes `upstream`; other answers are returned.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse> {
        let url = self.url_for(path)?;
        let token = self.access_token().await?;
        let resp = self.send_with(method, &url, body.clone(), &token).await?;
        let resp = if resp.status == 401 {
            if self.cfg.access_token.is_some() {
                // A fixed token cannot be renewed: the proxy's own answer (`revoked`,
                // `expired`, ...) is the error, when it gave one.
                let e = oauth_error(&resp, "the proxy");
                if e.code != ErrorCode::Upstream {
                    return Err(e);
                }
            }
            let fresh = self.refresh(Some(&token)).await?;
            self.send_with(method, &url, body, &fresh.access_token)
                .await?
        } else {
            resp
        };
        check_proxy_response(resp)
    }

    /// `POST /<index>/_search` with `query` as the body; answers the parsed JSON response.
    ///
    /// `index` is an index name, pattern or comma list (`logs-*`, `a,b`); it may not contain
    /// `/`, `?`, `#` or whitespace. A non-2xx answer that is not already an error becomes
    /// `upstream`.
    pub async fn search(
        &self,
        index: &str,
        query: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let bad =
            |c: char| matches!(c, '/' | '?' | '#' | '%') || c.is_whitespace() || c.is_control();
        if index.is_empty() || index.chars().any(bad) {
            return Err(Error::new(
                Reason::BadIndex,
                format!("{} is not an index name or pattern", quote(index)),
            ));
        }
        let body = serde_json::to_vec(query)
            .map_err(|_| Error::new(Reason::BadQuery, "the query is not valid JSON"))?;
        let resp = self
            .request("POST", &format!("/{index}/_search"), Some(body))
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(Error::new(
                Reason::SearchFailed,
                format!("the search answered HTTP {}", resp.status),
            ));
        }
        serde_json::from_slice(&resp.body)
            .map_err(|_| Error::new(Reason::BadSearchResponse, "the search answer is not JSON"))
    }

    fn url_for(&self, path: &str) -> Result<String> {
        if path.starts_with("http://") || path.starts_with("https://") {
            return Ok(path.to_owned());
        }
        let base = self.cfg.base_url.as_deref().ok_or_else(|| {
            Error::new(
                Reason::MissingBaseUrl,
                "the client has no base URL for relative paths",
            )
        })?;
        let sep = if path.starts_with('/') { "" } else { "/" };
        Ok(format!("{}{sep}{path}", base.trim_end_matches('/')))
    }

    async fn send_with(
        &self,
        method: &str,
        url: &str,
        body: Option<Vec<u8>>,
        token: &str,
    ) -> Result<HttpResponse> {
        let mut req = HttpRequest {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: vec![("authorization".into(), format!("Bearer {token}"))],
            body: Vec::new(),
            max_response: Some(MAX_PROXY_RESPONSE_LEN),
        };
        if let Some(b) = body {
            let ndjson = url.contains("_bulk") || url.contains("_msearch");
            let ct = if ndjson {
                "application/x-ndjson"
            } else {
                "application/json"
            };
            req.headers.push(("content-type".into(), ct.into()));
            req.body = b;
        }
        self.transport.send(req).await
    }
}

/// An error body as any OAuth peer may send it: `error` and maybe `error_description`
/// (RFC 6749 §5.2); this suite's servers add `reason`, `help`, `retry_after` and `scope`
/// ([`crate::protocol::ErrorBody`]), read leniently here so that third-party bodies parse too.
#[derive(Deserialize)]
struct PeerErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// Turns a token endpoint answer into a token or the endpoint's OAuth error.
pub fn parse_token_response(resp: &HttpResponse) -> Result<TokenResponse> {
    if resp.status == 200 {
        let token: TokenResponse = serde_json::from_slice(&resp.body).map_err(|_| {
            Error::new(
                Reason::BadTokenResponse,
                "the token endpoint answered with an invalid token response",
            )
        })?;
        if !token.token_type.eq_ignore_ascii_case("bearer") {
            return Err(Error::new(
                Reason::BadTokenResponse,
                format!("unsupported token type {}", quote(&token.token_type)),
            ));
        }
        return Ok(token);
    }
    Err(oauth_error(resp, "the token endpoint"))
}

fn oauth_error(resp: &HttpResponse, who: &str) -> Error {
    match serde_json::from_slice::<PeerErrorBody>(&resp.body) {
        Ok(body) => {
            let code = ErrorCode::from_wire(&body.error);
            let mut e = Error::from_peer(
                code,
                body.reason.as_deref(),
                format!(
                    "{who} answered {} (HTTP {})",
                    quote(&body.error),
                    resp.status
                ),
            );
            if let Some(d) = body.error_description {
                e = e.with_help(quote(&d));
            }
            e.retry_after = body.retry_after;
            e.scope = body.scope;
            e
        }
        Err(_) => Error::new(
            Reason::HttpError,
            format!("{who} answered HTTP {}", resp.status),
        ),
    }
}

fn check_proxy_response(resp: HttpResponse) -> Result<HttpResponse> {
    match resp.status {
        401 => {
            let mut e = oauth_error(&resp, "the proxy");
            if e.code == ErrorCode::Upstream {
                e = Error::new(
                    Reason::Unauthorized,
                    "the proxy refused the token (HTTP 401)",
                );
            }
            Err(e)
        }
        403 => {
            let mut e = oauth_error(&resp, "the proxy");
            if e.code == ErrorCode::Upstream {
                e = Error::new(Reason::Forbidden, "the proxy denied the request (HTTP 403)");
            }
            Err(e)
        }
        429 => {
            let mut e = oauth_error(&resp, "the proxy");
            if e.code != ErrorCode::RateLimited {
                e = Error::new(Reason::RateLimited, "too many requests (HTTP 429)");
            }
            if let Some(secs) = resp
                .header("retry-after")
                .and_then(|v| v.trim().parse().ok())
            {
                e.retry_after = Some(secs);
            }
            Err(e)
        }
        s if s >= 500 => Err(Error::new(
            Reason::HttpError,
            format!("the proxy answered HTTP {s}"),
        )),
        _ => Ok(resp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_credentials() {
        assert_eq!(
            basic_auth("my-agent", "secret"),
            "Basic bXktYWdlbnQ6c2VjcmV0"
        );
        // ':' in an id must not split the pair.
        assert_eq!(basic_auth("a:b", "c d"), "Basic YSUzQWI6Yytk");
    }

    #[test]
    fn token_endpoint_errors_keep_the_oauth_code() {
        let resp = HttpResponse {
            status: 401,
            headers: vec![],
            body: br#"{"error":"invalid_client","error_description":"no such client"}"#.to_vec(),
        };
        let e = parse_token_response(&resp).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        let resp = HttpResponse {
            status: 502,
            headers: vec![],
            body: b"<html>".to_vec(),
        };
        assert_eq!(
            parse_token_response(&resp).unwrap_err().code,
            ErrorCode::Upstream
        );
        let resp = HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"access_token":"x","token_type":"mac"}"#.to_vec(),
        };
        assert_eq!(
            parse_token_response(&resp).unwrap_err().reason,
            "bad_token_response"
        );
    }

    #[test]
    fn proxy_statuses_become_typed_errors() {
        let r = |status, body: &[u8], headers: Vec<(String, String)>| HttpResponse {
            status,
            headers,
            body: body.to_vec(),
        };
        assert_eq!(
            check_proxy_response(r(401, b"", vec![])).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        let e =
            check_proxy_response(r(403, br#"{"error":"insufficient_scope"}"#, vec![])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InsufficientScope);
        let e = check_proxy_response(r(429, b"", vec![("retry-after".into(), "7".into())]))
            .unwrap_err();
        assert_eq!((e.code, e.retry_after), (ErrorCode::RateLimited, Some(7)));
        assert_eq!(
            check_proxy_response(r(404, b"{}", vec![])).unwrap().status,
            404
        );
    }

    /// A token endpoint and a resource server in memory, recording what they receive.
    struct Fake {
        log: std::sync::Mutex<Vec<HttpRequest>>,
        issued: std::sync::atomic::AtomicUsize,
        /// The resource server accepts only tokens issued after this many.
        accept_from: usize,
    }

    impl HttpTransport for Fake {
        fn send(&self, req: HttpRequest) -> crate::http::BoxFuture<'_, Result<HttpResponse>> {
            use std::sync::atomic::Ordering;
            Box::pin(async move {
                self.log.lock().unwrap().push(req.clone());
                if req.url.ends_with("/revoke") {
                    return Ok(HttpResponse {
                        status: 200,
                        headers: vec![],
                        body: Vec::new(),
                    });
                }
                if req.url.ends_with("/token") {
                    let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
                    let body = format!(
                        r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":300}}"#
                    );
                    return Ok(HttpResponse {
                        status: 200,
                        headers: vec![],
                        body: body.into_bytes(),
                    });
                }
                let auth = req
                    .headers
                    .iter()
                    .find(|(k, _)| k == "authorization")
                    .map(|(_, v)| v.clone());
                let n: usize = auth
                    .as_deref()
                    .and_then(|a| a.strip_prefix("Bearer tok-"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let status = if n > self.accept_from { 200 } else { 401 };
                Ok(HttpResponse {
                    status,
                    headers: vec![],
                    body: b"{}".to_vec(),
                })
            })
        }
    }

    fn fake_client(accept_from: usize) -> (Arc<Fake>, TokenClient) {
        let fake = Arc::new(Fake {
            log: Default::default(),
            issued: Default::default(),
            accept_from,
        });
        let cfg = ClientConfig {
            token_endpoint: Some("http://idp.test/token".into()),
            client_id: "c".into(),
            client_secret: Some(Secret::new("s")),
            scope: Some("read:logs-*".into()),
            base_url: Some("http://proxy.test/".into()),
            ..Default::default()
        };
        (fake.clone(), TokenClient::new(cfg, fake).unwrap())
    }

    #[tokio::test]
    async fn request_retries_once_after_refreshing_on_401() {
        let (fake, c) = fake_client(1);
        let resp = c.request("GET", "/logs-*/_search", None).await.unwrap();
        assert_eq!(resp.status, 200);
        let log = fake.log.lock().unwrap();
        let urls: Vec<&str> = log.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://idp.test/token",
                "http://proxy.test/logs-*/_search",
                "http://idp.test/token",
                "http://proxy.test/logs-*/_search"
            ]
        );
        assert_eq!(c.stats().token_requests, 2);
    }

    #[tokio::test]
    async fn request_gives_up_after_one_retry() {
        let (fake, c) = fake_client(usize::MAX);
        let e = c.request("GET", "/logs-*/_search", None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        assert_eq!(
            fake.log.lock().unwrap().len(),
            4,
            "token, call, token, call: no loop"
        );
    }

    #[tokio::test]
    async fn token_exchange_sends_the_rfc_8693_form() {
        let (fake, c) = fake_client(0);
        let t = c
            .exchange(
                "subject-jwt",
                None,
                Some("read:logs-app"),
                Some("http://proxy.test"),
            )
            .await
            .unwrap();
        assert_eq!(t.access_token, "tok-1");
        let log = fake.log.lock().unwrap();
        let body = String::from_utf8(log[0].body.clone()).unwrap();
        for part in [
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange",
            "subject_token=subject-jwt",
            "subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token",
            "scope=read%3Alogs-app",
            "resource=http%3A%2F%2Fproxy.test",
        ] {
            assert!(body.contains(part), "{part} missing from {body}");
        }
        assert!(
            log[0]
                .headers
                .iter()
                .any(|(k, v)| k == "authorization" && v.starts_with("Basic "))
        );
    }

    #[test]
    fn config_json_errors_name_the_field_and_never_the_value() {
        let e = ClientConfig::from_json(r#"{"client_id":"c","colour":"hunter2"}"#).unwrap_err();
        assert_eq!(
            (e.code, e.reason.as_str()),
            (ErrorCode::Config, "bad_config")
        );
        assert!(e.message.contains("`colour`"), "{}", e.message);
        let e = ClientConfig::from_json(r#"{"client_id":"c","client_secret":42}"#).unwrap_err();
        assert!(
            e.message.contains("wrong type") && !e.message.contains("42"),
            "{}",
            e.message
        );
        let e = ClientConfig::from_json(r#"{"client_id":"hunter2",}"#).unwrap_err();
        assert!(e.message.contains("malformed") && !e.message.contains("hunter2"));
        let cfg = ClientConfig::from_json(r#"{"access_token":"t","base_url":"http://p"}"#).unwrap();
        assert!(cfg.client_id.is_empty() && cfg.access_token.is_some());
        let e = crate::VerifierConfig::from_json(r#"{"issuer":"i","audiences":[""]}"#).unwrap_err();
        assert_eq!(e.reason, "missing_audience");
        let e = crate::VerifierConfig::from_json(
            r#"{"issuer":"i","audiences":["a"],"algorithms":["HS256"]}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
    }

    #[tokio::test]
    async fn a_fixed_token_is_used_as_is_and_never_renewed() {
        let (fake, _) = fake_client(usize::MAX);
        let cfg = ClientConfig {
            access_token: Some(Secret::new("tok-0")),
            base_url: Some("http://proxy.test".into()),
            ..Default::default()
        };
        let c = TokenClient::new(cfg, fake.clone()).unwrap();
        assert_eq!(c.access_token().await.unwrap(), "tok-0");
        let e = c.request("GET", "/logs-a/_search", None).await.unwrap_err();
        assert_eq!(
            (e.code, e.reason.as_str()),
            (ErrorCode::InvalidToken, "fixed_token_refused")
        );
        let log = fake.log.lock().unwrap();
        assert!(
            log.iter().all(|r| !r.url.ends_with("/token")),
            "no token request"
        );
    }

    #[tokio::test]
    async fn search_posts_the_query_and_parses_the_answer() {
        let (fake, c) = fake_client(0);
        let v = c
            .search("logs-*", &serde_json::json!({"query":{"match_all":{}}}))
            .await
            .unwrap();
        assert_eq!(v, serde_json::json!({}));
        {
            let log = fake.log.lock().unwrap();
            let last = log.last().unwrap();
            assert_eq!(
                (last.method.as_str(), last.url.as_str()),
                ("POST", "http://proxy.test/logs-*/_search")
            );
            assert_eq!(last.body, br#"{"query":{"match_all":{}}}"#);
        }
        for bad in ["", "a/b", "a b", "a?x", "../x%2f"] {
            let e = c.search(bad, &serde_json::json!({})).await.unwrap_err();
            assert_eq!(e.reason, "bad_index", "{bad}");
        }
    }

    #[tokio::test]
    async fn revoke_posts_rfc_7009_forms_and_forgets_the_token() {
        let (fake, mut c) = fake_client(0);
        c.cfg.revocation_endpoint = Some("http://idp.test/revoke".into());
        let first = c.access_token().await.unwrap();
        c.revoke(None).await.unwrap();
        assert_ne!(
            c.access_token().await.unwrap(),
            first,
            "a new token after revoke"
        );
        let log = fake.log.lock().unwrap();
        let revoke: Vec<_> = log.iter().filter(|r| r.url.ends_with("/revoke")).collect();
        assert_eq!(revoke.len(), 1);
        let body = String::from_utf8(revoke[0].body.clone()).unwrap();
        assert_eq!(body, format!("token={first}&token_type_hint=access_token"));
        assert!(
            revoke[0]
                .headers
                .iter()
                .any(|(k, v)| k == "authorization" && v.starts_with("Basic "))
        );
    }

    #[tokio::test]
    async fn revoke_without_an_endpoint_or_issuer_is_a_config_error() {
        let (_, c) = fake_client(0);
        let e = c.revoke(Some("x")).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
    }

    #[test]
    fn secrets_do_not_leak_through_debug() {
        let cfg = ClientConfig {
            client_id: "c".into(),
            client_secret: Some(Secret::new("hunter2")),
            ..Default::default()
        };
        assert!(!format!("{cfg:?}").contains("hunter2"));
        let t = TokenResponse {
            access_token: "eyJsecret".into(),
            token_type: "Bearer".into(),
            expires_in: None,
            scope: None,
            refresh_token: Some("rt-secret".into()),
            issued_token_type: None,
        };
        let d = format!("{t:?}");
        assert!(!d.contains("eyJsecret") && !d.contains("rt-secret"));
    }
}
