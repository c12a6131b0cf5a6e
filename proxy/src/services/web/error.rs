//! OAuth error responses (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8707 §2): a JSON body
//! `{"error","error_description"}`, HTTP 400, or 401 with `WWW-Authenticate: Basic` for
//! `invalid_client`. Descriptions are built from fixed texts and quoted non-secret input only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth4os_core::{Error, ErrorCode};
use serde_json::{Value, json};

/// The challenge sent with `invalid_client`.
pub const BASIC_CHALLENGE: &str = r#"Basic realm="oauth4os""#;

/// An error answered by an OAuth endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The wire code (`invalid_request`, `invalid_target`, ...).
    pub code: &'static str,
    /// What went wrong, for humans.
    pub description: String,
    /// 400, 401, 429 or 500.
    pub status: StatusCode,
    /// Seconds for `Retry-After` (with 429).
    pub retry_after: Option<u64>,
}

impl OAuthError {
    fn bad(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            status: StatusCode::BAD_REQUEST,
            retry_after: None,
        }
    }

    /// Too many slow secret checks from the caller's address (429 with `Retry-After`).
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(retry_after),
            ..Self::bad(
                "rate_limited",
                "too many client authentications from this address; retry later",
            )
        }
    }

    /// The request is malformed.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::bad("invalid_request", description)
    }

    /// Client authentication failed (401).
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            ..Self::bad("invalid_client", description)
        }
    }

    /// The refresh token is invalid, expired, revoked or not the client's.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::bad("invalid_grant", description)
    }

    /// The client may not use this grant.
    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::bad("unauthorized_client", description)
    }

    /// The grant type is not supported.
    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::bad("unsupported_grant_type", description)
    }

    /// The requested scope is malformed or exceeds what is allowed.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::bad("invalid_scope", description)
    }

    /// The requested resource is not one this server issues tokens for (RFC 8707).
    pub fn invalid_target(description: impl Into<String>) -> Self {
        Self::bad("invalid_target", description)
    }

    /// The token type hint names a type this server does not know (RFC 7009).
    pub fn unsupported_token_type(description: impl Into<String>) -> Self {
        Self::bad("unsupported_token_type", description)
    }

    /// Something failed on our side; the details are logged, not answered.
    pub fn server_error() -> Self {
        Self {
            code: "server_error",
            description: "the authorization server could not handle the request".to_owned(),
            status: StatusCode::INTERNAL_SERVER_ERROR,
            retry_after: None,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({ "error": self.code, "error_description": self.description })
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        let description = e.message;
        match e.code {
            ErrorCode::InvalidRequest => Self::invalid_request(description),
            ErrorCode::InvalidClient => Self::invalid_client(description),
            ErrorCode::InvalidGrant => Self::invalid_grant(description),
            ErrorCode::UnauthorizedClient => Self::unauthorized_client(description),
            ErrorCode::UnsupportedGrantType => Self::unsupported_grant_type(description),
            ErrorCode::InvalidScope => Self::invalid_scope(description),
            code => {
                tracing::error!(%code, reason = %e.reason, message = %description, "auth server error");
                Self::server_error()
            }
        }
    }
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON answer that must not be cached.
pub fn no_store_json(status: StatusCode, body: &Value) -> Response {
    no_store((status, axum::Json(body)).into_response())
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = no_store_json(self.status, &self.body());
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(BASIC_CHALLENGE),
            );
        }
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// What handlers return.
pub type OAuthResult<T = Response> = std::result::Result<T, OAuthError>;
