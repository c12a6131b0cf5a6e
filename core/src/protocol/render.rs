//! The one way an [`Error`] becomes an HTTP answer, for every front (the OpenSearch resource
//! side, the OAuth endpoints, the admin API, MCP): status, `WWW-Authenticate` (RFC 6750 §3,
//! RFC 9728 §5.1), `Retry-After`, no-store caching, and the JSON body with `error`,
//! `error_description`, `reason` and, where they apply, `help`, `retry_after` and `scope`.
//!
//! Core knows no HTTP server: the answer is plain data ([`HttpError`]) that a front copies
//! into its response type.

use super::ErrorBody;
use crate::error::{Error, ErrorCode, Reason};

/// Which front answers, which decides the challenge and what may be disclosed.
#[derive(Debug, Clone, Copy)]
pub enum Surface<'a> {
    /// A bearer-protected resource (OpenSearch front, `/mcp`): `WWW-Authenticate: Bearer` with
    /// `resource_metadata` on 401 and 403 (RFC 6750, RFC 9728).
    Resource {
        /// The RFC 9728 document of this resource.
        resource_metadata: &'a str,
    },
    /// An OAuth endpoint (token, revoke, introspect, register, authorize errors): 401 with a
    /// Basic challenge for `invalid_client` (RFC 6749 §5.2); failures on our side become an
    /// opaque `server_error`.
    OAuth,
    /// The admin API: a Bearer challenge on 401; bad configuration values sent to it are the
    /// caller's `invalid_request`; failures on our side become an opaque `server_error`.
    Admin,
}

/// The challenge sent with `invalid_client` at the OAuth endpoints.
pub const BASIC_CHALLENGE: &str = r#"Basic realm="oauth4os""#;
/// The challenge of the admin API.
pub const ADMIN_CHALLENGE: &str = r#"Bearer realm="oauth4os-admin", error="invalid_token""#;

/// An error ready to be sent: copy `status`, `headers` and `body` (JSON) into the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status.
    pub status: u16,
    /// Headers to set (lowercase names).
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: ErrorBody,
    /// Whether the answer hides an error of ours (`server_error`): the caller logs `Error`.
    pub concealed: bool,
}

/// Renders `e` for `surface`.
pub fn render(e: &Error, surface: Surface<'_>) -> HttpError {
    let ours = matches!(
        e.code,
        ErrorCode::Internal | ErrorCode::ServerError | ErrorCode::Config
    ) || (matches!(e.code, ErrorCode::Upstream | ErrorCode::Network)
        && !matches!(surface, Surface::Resource { .. }));
    let admin_input = matches!(surface, Surface::Admin) && e.code == ErrorCode::Config;
    let concealed = ours && !admin_input;
    let (status, code, reason, description, help) = if concealed {
        let r = Reason::ServerError;
        (
            r.status(),
            r.code(),
            r,
            "the server could not handle the request".to_owned(),
            None,
        )
    } else if admin_input {
        (
            400,
            ErrorCode::InvalidRequest,
            e.reason,
            e.message.clone(),
            e.help.clone(),
        )
    } else {
        (
            e.status(),
            e.code,
            e.reason,
            e.message.clone(),
            e.help.clone(),
        )
    };
    let mut headers = vec![
        ("cache-control", "no-store".to_owned()),
        ("pragma", "no-cache".to_owned()),
    ];
    match surface {
        Surface::Resource { resource_metadata } if status == 401 || status == 403 => {
            headers.push((
                "www-authenticate",
                bearer_challenge(resource_metadata, e, code, &description),
            ));
        }
        Surface::OAuth if status == 401 && code == ErrorCode::InvalidClient => {
            headers.push(("www-authenticate", BASIC_CHALLENGE.to_owned()));
        }
        Surface::Admin if status == 401 => {
            headers.push(("www-authenticate", ADMIN_CHALLENGE.to_owned()));
        }
        _ => {}
    }
    let retry_after = (status == 429 || status == 503)
        .then_some(e.retry_after)
        .flatten()
        .or((status == 429).then_some(1));
    if let Some(secs) = retry_after {
        headers.push(("retry-after", secs.to_string()));
    }
    HttpError {
        status,
        headers,
        body: ErrorBody {
            error: code,
            error_description: description,
            reason,
            help,
            retry_after,
            scope: if concealed { None } else { e.scope.clone() },
        },
        concealed,
    }
}

/// `Bearer resource_metadata="…"` plus, unless the request carried no token (RFC 6750 §3.1),
/// `error`, `error_description` and, for `insufficient_scope`, the `scope` needed.
fn bearer_challenge(resource_metadata: &str, e: &Error, code: ErrorCode, desc: &str) -> String {
    let mut v = format!("Bearer resource_metadata=\"{}\"", quoted(resource_metadata));
    if e.reason == Reason::MissingToken {
        return v;
    }
    // RFC 6750 §3.1 defines invalid_request, invalid_token and insufficient_scope; a policy
    // denial keeps its precise `access_denied`, as in the body.
    v.push_str(&format!(", error=\"{code}\""));
    v.push_str(&format!(", error_description=\"{}\"", quoted(desc)));
    if let Some(scope) = &e.scope {
        v.push_str(&format!(", scope=\"{}\"", quoted(scope)));
    }
    v
}

/// A value inside a quoted-string of a challenge: quotes and backslashes become `'`, and
/// anything that cannot appear in a header value is dropped.
fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RM: &str = "http://localhost:8443/.well-known/oauth-protected-resource";

    fn header<'a>(h: &'a HttpError, name: &str) -> Option<&'a str> {
        h.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_request_without_a_token_gets_a_bare_challenge() {
        let e = Error::new(Reason::MissingToken, "a bearer token is required");
        let h = render(
            &e,
            Surface::Resource {
                resource_metadata: RM,
            },
        );
        assert_eq!(h.status, 401);
        assert_eq!(
            header(&h, "www-authenticate"),
            Some(format!("Bearer resource_metadata=\"{RM}\"").as_str())
        );
        assert_eq!(h.body.error, ErrorCode::InvalidToken);
        assert_eq!(h.body.reason, Reason::MissingToken);
    }

    #[test]
    fn an_invalid_token_names_its_reason_in_body_and_challenge() {
        let e = Error::new(Reason::Revoked, "the token has been revoked");
        let h = render(
            &e,
            Surface::Resource {
                resource_metadata: RM,
            },
        );
        assert_eq!(h.status, 401);
        let c = header(&h, "www-authenticate").unwrap();
        assert!(c.contains("error=\"invalid_token\""), "{c}");
        assert!(c.contains("error_description=\"the token has been revoked\""));
        let body = serde_json::to_value(&h.body).unwrap();
        assert_eq!(body["error"], "invalid_token");
        assert_eq!(body["reason"], "revoked");
        assert_eq!(header(&h, "cache-control"), Some("no-store"));
    }

    #[test]
    fn insufficient_scope_carries_the_scope_needed() {
        let mut e = Error::new(
            Reason::InsufficientScope,
            "the token's scopes do not grant `read:x`",
        );
        e.scope = Some("read:x".to_owned());
        let h = render(
            &e,
            Surface::Resource {
                resource_metadata: RM,
            },
        );
        assert_eq!(h.status, 403);
        let c = header(&h, "www-authenticate").unwrap();
        assert!(
            c.contains("error=\"insufficient_scope\"") && c.contains("scope=\"read:x\""),
            "{c}"
        );
        assert_eq!(serde_json::to_value(&h.body).unwrap()["scope"], "read:x");
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let e = Error::new(Reason::ClientRateLimit, "slow down").with_retry_after(7);
        let h = render(
            &e,
            Surface::Resource {
                resource_metadata: RM,
            },
        );
        assert_eq!((h.status, header(&h, "retry-after")), (429, Some("7")));
        assert_eq!(h.body.retry_after, Some(7));
    }

    #[test]
    fn our_failures_are_concealed_at_oauth_endpoints_and_shown_at_the_resource() {
        let e = Error::new(Reason::Store, "disk I/O error at /var/lib/x");
        let h = render(&e, Surface::OAuth);
        assert!(h.concealed);
        assert_eq!((h.status, h.body.error), (500, ErrorCode::ServerError));
        assert!(!h.body.error_description.contains("disk"));
        let up = Error::new(Reason::UpstreamTimeout, "OpenSearch did not answer in time");
        let h = render(
            &up,
            Surface::Resource {
                resource_metadata: RM,
            },
        );
        assert_eq!((h.status, h.body.reason), (504, Reason::UpstreamTimeout));
        assert!(header(&h, "www-authenticate").is_none());
    }

    #[test]
    fn invalid_client_is_challenged_with_basic() {
        let e = Error::new(Reason::ClientAuthFailed, "client authentication failed");
        let h = render(&e, Surface::OAuth);
        assert_eq!(
            (h.status, header(&h, "www-authenticate")),
            (401, Some(BASIC_CHALLENGE))
        );
        assert_eq!(h.body.error, ErrorCode::InvalidClient);
    }

    #[test]
    fn a_bad_value_sent_to_the_admin_api_is_the_callers_error() {
        let e = Error::new(Reason::InvalidScopes, "scope `x` is not valid")
            .with_help("see the grammar");
        let h = render(&e, Surface::Admin);
        assert_eq!((h.status, h.body.error), (400, ErrorCode::InvalidRequest));
        assert_eq!(h.body.reason, Reason::InvalidScopes);
        assert_eq!(h.body.help.as_deref(), Some("see the grammar"));
    }

    #[test]
    fn challenge_values_cannot_break_out_of_their_quotes() {
        let e = Error::new(Reason::BadClaim, "claim `a\"b\\c` is \r\nbad");
        let h = render(
            &e,
            Surface::Resource {
                resource_metadata: RM,
            },
        );
        let c = header(&h, "www-authenticate").unwrap();
        assert!(
            !c.contains('\r') && !c.contains('\n') && !c.contains("a\"b"),
            "{c}"
        );
    }
}
