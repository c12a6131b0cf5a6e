//! Every HTTP error of every front goes through core's one renderer
//! ([`oauth4os_core::protocol::render`]): this module only copies its status, headers and body
//! into an axum response, and logs what the answer conceals (our own failures become an opaque
//! `server_error`). Descriptions are built from fixed texts and quoted non-secret input only.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth4os_core::protocol::render::{Surface, render};
use oauth4os_core::{Error, Reason};
use serde::Serialize;

/// The answer to `e` at `surface`.
pub fn respond(e: &Error, surface: Surface<'_>) -> Response {
    let h = render(e, surface);
    if h.concealed {
        tracing::error!(code = %e.code, reason = %e.reason, message = %e.message, "server error");
    }
    let status = StatusCode::from_u16(h.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(&h.body)).into_response();
    let headers = response.headers_mut();
    for (name, value) in h.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    response
}

/// An error answered by an OAuth endpoint (token, revoke, introspect, register).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError(pub Error);

impl OAuthError {
    /// An error for `reason` with a description.
    pub fn new(reason: Reason, description: impl Into<String>) -> Self {
        Self(Error::new(reason, description))
    }

    /// Too many slow secret checks from the caller's address (429 with `Retry-After`).
    pub fn rate_limited(retry_after: u64) -> Self {
        Self(
            Error::new(
                Reason::SecretChecksLimited,
                "too many client authentications from this address; retry later",
            )
            .with_retry_after(retry_after),
        )
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        respond(&self.0, Surface::OAuth)
    }
}

/// What handlers return.
pub type OAuthResult<T = Response> = std::result::Result<T, OAuthError>;

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON answer that must not be cached.
pub fn no_store_json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    no_store((status, axum::Json(body)).into_response())
}
