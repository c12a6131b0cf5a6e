//! The one public error type of the suite and its stable codes.
//!
//! Every binding exposes [`Error`] as data: a machine [`ErrorCode`], a stable `reason` for
//! finer-grained handling and metrics, a lowercase human `message` and optional `help`.
//! Messages never contain a token, a secret or an `Authorization` header: callers build them
//! from the fixed texts here plus non-secret input (an index name, a claim name).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The stable error codes. The OAuth ones follow RFC 6749 §5.2 and RFC 6750 §3.1;
/// `network`, `upstream`, `config` and `internal` are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// Too many requests; see `retry_after`.
    RateLimited,
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
    pub const ALL: [Self; 14] = [
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::InvalidScope,
        Self::InvalidToken,
        Self::InsufficientScope,
        Self::AccessDenied,
        Self::RateLimited,
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
            Self::RateLimited => "rate_limited",
            Self::Network => "network",
            Self::Upstream => "upstream",
            Self::Config => "config",
            Self::Internal => "internal",
        }
    }

    /// Parses the wire form of a code a peer sent. Only the OAuth codes and `rate_limited` are
    /// taken as they are: a peer's `network`, `config` or `internal` (or anything unknown)
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    /// The stable machine code.
    pub code: ErrorCode,
    /// A stable, finer-grained reason in snake_case (`expired`, `bad_signature`, ...).
    pub reason: String,
    /// What went wrong, lowercase, no trailing period; user input in backticks.
    pub message: String,
    /// Extra advice, when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Seconds to wait before retrying, for [`ErrorCode::RateLimited`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Error {
    /// A new error with a code, a stable reason and a message.
    pub fn new(code: ErrorCode, reason: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.to_owned(),
            message: message.into(),
            help: None,
            retry_after: None,
        }
    }

    /// Adds advice.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Shorthand for an `invalid_token` error.
    pub fn invalid_token(reason: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidToken, reason, message)
    }

    /// Shorthand for an `invalid_request` error.
    pub fn invalid_request(reason: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, reason, message)
    }

    /// Shorthand for a `config` error.
    pub fn config(reason: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Config, reason, message)
    }

    /// Shorthand for a `network` error.
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Network, "network", message)
    }

    /// Shorthand for an `upstream` error.
    pub fn upstream(reason: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Upstream, reason, message)
    }

    /// Shorthand for an `internal` error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, "internal", message)
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
        let e = Error::invalid_token("expired", "the token has expired").with_help("get a new one");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "invalid_token");
        assert_eq!(v["reason"], "expired");
        assert_eq!(v["help"], "get a new one");
        assert!(v.get("retry_after").is_none());
    }
}
