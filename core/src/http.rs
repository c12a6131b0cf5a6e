//! The HTTP boundary: a small transport trait so the core does not force a runtime on its
//! callers, and the default reqwest (rustls) implementation behind the `http` feature.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::Reason;
use crate::error::{Error, Result};

/// A boxed future, as transports return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Largest response body the core reads from a token endpoint, metadata or JWKS document.
pub const MAX_RESPONSE_LEN: usize = 1024 * 1024;

/// An HTTP request.
#[derive(Clone, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Header name/value pairs.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Largest response body to read (default [`MAX_RESPONSE_LEN`]).
    pub max_response: Option<usize>,
}

impl std::fmt::Debug for HttpRequest {
    // Headers and body may carry credentials: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl HttpRequest {
    /// A `GET` of `url`.
    pub fn get(url: &str) -> Self {
        Self {
            method: "GET".into(),
            url: url.into(),
            headers: vec![("accept".into(), "application/json".into())],
            body: Vec::new(),
            max_response: None,
        }
    }

    /// A form `POST` to `url`.
    pub fn post_form(url: &str, form: &[(&str, &str)]) -> Self {
        let body = form_urlencode(form);
        Self {
            method: "POST".into(),
            url: url.into(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("accept".into(), "application/json".into()),
            ],
            body: body.into_bytes(),
            max_response: None,
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// An HTTP response.
#[derive(Clone, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header name (lowercase)/value pairs.
    pub headers: Vec<(String, String)>,
    /// Body bytes (at most [`MAX_RESPONSE_LEN`] for the core's own requests).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends HTTP requests. Implement it to use another client or runtime.
pub trait HttpTransport: Send + Sync {
    /// Sends one request and reads the whole response.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>>;
}

/// `application/x-www-form-urlencoded` encoding of name/value pairs.
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&form_component(k));
        out.push('=');
        out.push_str(&form_component(v));
    }
    out
}

/// One form-encoded component: `*-._` and alphanumerics stay, space becomes `+`, the rest `%XX`
/// (also what RFC 6749 §2.3.1 asks for client ids and secrets in HTTP Basic).
pub fn form_component(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const FORM: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'*')
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    utf8_percent_encode(s, FORM)
        .map(|p| if p == "%20" { "+" } else { p })
        .collect()
}

/// An HTTP Basic `Authorization` value for OAuth client credentials: RFC 6749 §2.3.1 form-encodes
/// both parts before joining them, so a `:` in a client id cannot split the pair.
pub fn basic_auth(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    let raw = format!("{}:{}", form_component(id), form_component(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The default transport: reqwest with rustls, no redirects, bounded bodies and timeouts.
#[cfg(feature = "http")]
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

#[cfg(feature = "http")]
impl ReqwestTransport {
    /// A transport with a connect timeout of 5 s and a total timeout of `timeout`.
    pub fn new(timeout: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("oauth4os/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::new(
                    Reason::HttpClient,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(Self { client })
    }

    async fn send_inner(&self, request: HttpRequest) -> Result<HttpResponse> {
        let limit = request.max_response.unwrap_or(MAX_RESPONSE_LEN);
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Error::new(Reason::BadMethod, "invalid HTTP method"))?;
        let mut builder = self.client.request(method, &request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        // The error's Display may include the URL but never headers or the body.
        let mut resp = builder
            .send()
            .await
            .map_err(|e| Error::network(format!("request failed: {}", e.without_url())))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| {
            Error::network(format!("reading the response failed: {}", e.without_url()))
        })? {
            if body.len() + chunk.len() > limit {
                return Err(Error::new(
                    Reason::ResponseTooLarge,
                    "the response is too large",
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(feature = "http")]
impl HttpTransport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        Box::pin(self.send_inner(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_urlencode(&[("scope", "read:logs-* write:x"), ("a&b", "=")]),
            "scope=read%3Alogs-*+write%3Ax&a%26b=%3D"
        );
    }
}
