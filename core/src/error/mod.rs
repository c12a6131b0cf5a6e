//! The one public error type of the suite and its stable codes.
//!
//! Every binding exposes [`Error`] as data: a machine [`ErrorCode`], a stable `reason` for
//! finer-grained handling and metrics, a lowercase human `message` and optional `help`.
//! Messages never contain a token, a secret or an `Authorization` header: callers build them
//! from the fixed texts here plus non-secret input (an index name, a claim name).

use std::fmt;

use serde::{Deserialize, Serialize};

mod reason;

pub use reason::{Reason, UnknownReasonError, markdown_table};

/// The stable error codes. The OAuth ones follow RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1,
/// RFC 7591 §3.2.2, RFC 8693 and RFC 8707 §2; `rate_limited`, `not_found`, `conflict`, `network`,
/// `upstream`, `config` and `internal` are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is missing a parameter, repeats one or is otherwise malformed.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The grant (code, refresh token, subject token) is invalid, expired or revoked.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// The requested scope is invalid, unknown or exceeds what is allowed.
    InvalidScope,
    /// The access token is malformed, expired, revoked or fails verification.
    InvalidToken,
    /// The token is valid but does not grant what the request needs.
    InsufficientScope,
    /// The request is authenticated but a policy denies it.
    AccessDenied,
    /// The requested resource (audience) is not one the server issues tokens for (RFC 8707).
    InvalidTarget,
    /// The token type is not supported (RFC 7009 revocation, RFC 8693 exchange).
    UnsupportedTokenType,
    /// The client metadata of a registration request is invalid (RFC 7591).
    InvalidClientMetadata,
    /// A redirect URI of a registration request is refused (RFC 7591).
    InvalidRedirectUri,
    /// The authorization endpoint does not support the response type (RFC 6749 §4.1.2.1).
    UnsupportedResponseType,
    /// The server failed (RFC 6749 `server_error`).
    ServerError,
    /// The server is overloaded or down for maintenance (RFC 6749 `temporarily_unavailable`).
    TemporarilyUnavailable,
    /// Too many requests; see `retry_after`.
    RateLimited,
    /// No such object (admin API).
    NotFound,
    /// The object exists already or cannot be changed this way (admin API).
    Conflict,
    /// A connection could not be made or was cut.
    Network,
    /// A peer (token endpoint, JWKS, OpenSearch) answered with an error or nonsense.
    Upstream,
    /// The configuration is invalid.
    Config,
    /// A bug: an invariant did not hold. Never carries input.
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order: bindings build their exception classes from this list.
    pub const ALL: [Self; 23] = [
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::InvalidScope,
        Self::InvalidToken,
        Self::InsufficientScope,
        Self::AccessDenied,
        Self::InvalidTarget,
        Self::UnsupportedTokenType,
        Self::InvalidClientMetadata,
        Self::InvalidRedirectUri,
        Self::UnsupportedResponseType,
        Self::ServerError,
        Self::TemporarilyUnavailable,
        Self::RateLimited,
        Self::NotFound,
        Self::Conflict,
        Self::Network,
        Self::Upstream,
        Self::Config,
        Self::Internal,
    ];

    /// The wire form, e.g. `invalid_token`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidTarget => "invalid_target",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::RateLimited => "rate_limited",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Network => "network",
            Self::Upstream => "upstream",
            Self::Config => "config",
            Self::Internal => "internal",
        }
    }

    /// Parses the wire form of a code a peer sent. Only the OAuth codes, `rate_limited`,
    /// `not_found` and `conflict` are taken as they are: a peer's `network`, `config` or `internal` (or anything unknown)
    /// becomes [`ErrorCode::Upstream`], since those describe this side, not the peer.
    pub fn from_wire(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .take_while(|c| *c != Self::Network)
            .find(|c| c.as_str() == code)
            .unwrap_or(Self::Upstream)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The public error: plain data that crosses every language boundary unchanged.
///
/// `code` is always `reason.code()`: build errors with [`Error::new`]. A peer's error body is
/// read with [`Error::from_peer`] (or deserialised), which keeps the peer's reason when this
/// version knows it under the same code and falls back to the code's generic reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    /// The stable machine code.
    pub code: ErrorCode,
    /// The stable, finer-grained reason (`expired`, `revoked`, `bad_signature`, ...).
    pub reason: Reason,
    /// What went wrong, lowercase, no trailing period; user input in backticks.
    pub message: String,
    /// Extra advice, when there is any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Seconds to wait before retrying, for [`ErrorCode::RateLimited`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The scope that would grant the request, for [`ErrorCode::InsufficientScope`]
    /// (RFC 6750 §3 `scope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Error {
    /// A new error for `reason` (which fixes the code) with a message.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            code: reason.code(),
            reason,
            message: message.into(),
            help: None,
            retry_after: None,
            scope: None,
        }
    }

    /// An error a peer reported as `code` with an optional reason name (see [`Reason::from_peer`]).
    pub fn from_peer(code: ErrorCode, reason: Option<&str>, message: impl Into<String>) -> Self {
        Self::new(Reason::from_peer(code, reason), message)
    }

    /// Adds advice.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Names the scope that would grant the request.
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Adds the seconds to wait before retrying.
    #[must_use]
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Shorthand for a `network` error.
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(Reason::Network, message)
    }

    /// Shorthand for an `internal` error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Reason::Internal, message)
    }

    /// The HTTP status a front answers this error with.
    pub fn status(&self) -> u16 {
        self.reason.status()
    }
}

impl<'de> Deserialize<'de> for Error {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            code: String,
            #[serde(default)]
            reason: Option<String>,
            message: String,
            #[serde(default)]
            help: Option<String>,
            #[serde(default)]
            retry_after: Option<u64>,
            #[serde(default)]
            scope: Option<String>,
        }
        let w = Wire::deserialize(d)?;
        let code = ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == w.code)
            .unwrap_or(ErrorCode::Upstream);
        let mut e = Self::from_peer(code, w.reason.as_deref(), w.message);
        e.help = w.help;
        e.retry_after = w.retry_after;
        e.scope = w.scope;
        Ok(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Result with the public error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Describes why JSON input did not parse without echoing any of its values (a value could be
/// a secret): unknown and missing fields are named, wrong types and syntax errors are placed
/// by line and column only.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => {
            let msg = e.to_string();
            // "unknown field `x`, expected ..." and "missing field `x`" name only fields.
            if msg.starts_with("unknown field") || msg.starts_with("missing field") {
                msg.split(" at line").next().unwrap_or_default().to_owned()
            } else {
                format!(
                    "a value has the wrong type (line {}, column {})",
                    e.line(),
                    e.column()
                )
            }
        }
        serde_json::error::Category::Eof => "the JSON ends early".to_owned(),
        _ => format!(
            "the JSON is malformed (line {}, column {})",
            e.line(),
            e.column()
        ),
    }
}

/// Quotes user input for a message: backticks, at most 64 characters, control characters
/// replaced, so a hostile value cannot forge log lines or flood a response.
pub fn quote(input: &str) -> String {
    const MAX: usize = 64;
    let mut out = String::with_capacity(input.len().min(MAX) + 4);
    out.push('`');
    for (i, c) in input.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_the_wire_form() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate wire form");
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let peer_may_send = !matches!(
                code,
                ErrorCode::Network | ErrorCode::Upstream | ErrorCode::Config | ErrorCode::Internal
            );
            assert_eq!(Reason::generic(code).code(), code);
            let expected = if peer_may_send {
                code
            } else {
                ErrorCode::Upstream
            };
            assert_eq!(ErrorCode::from_wire(code.as_str()), expected);
        }
        assert_eq!(ErrorCode::from_wire("something_else"), ErrorCode::Upstream);
    }

    #[test]
    fn quote_bounds_and_neutralises_input() {
        assert_eq!(quote("logs"), "`logs`");
        assert_eq!(quote("a\nb"), "`a?b`");
        let long = "x".repeat(500);
        assert!(quote(&long).chars().count() < 70);
    }

    #[test]
    fn error_serialises_as_data() {
        let e = Error::new(Reason::Expired, "the token has expired").with_help("get a new one");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "invalid_token");
        assert_eq!(v["reason"], "expired");
        assert_eq!(v["help"], "get a new one");
        assert!(v.get("retry_after").is_none());
        let back: Error = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn a_peer_reason_is_kept_only_under_its_own_code() {
        let e: Error = serde_json::from_str(
            r#"{"code":"invalid_token","reason":"revoked","message":"the token has been revoked"}"#,
        )
        .unwrap();
        assert_eq!(
            (e.code, e.reason),
            (ErrorCode::InvalidToken, Reason::Revoked)
        );
        let e: Error =
            serde_json::from_str(r#"{"code":"invalid_grant","reason":"revoked","message":"x"}"#)
                .unwrap();
        assert_eq!(
            (e.code, e.reason),
            (ErrorCode::InvalidGrant, Reason::InvalidGrant)
        );
        let e: Error = serde_json::from_str(r#"{"code":"made_up","message":"x"}"#).unwrap();
        assert_eq!((e.code, e.reason), (ErrorCode::Upstream, Reason::Upstream));
    }
}
