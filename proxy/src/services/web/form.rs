//! `application/x-www-form-urlencoded` request bodies, parsed strictly for OAuth: a parameter
//! given twice is an error (RFC 6749 §3.2), except `resource` (RFC 8707), and a parameter sent
//! without a value counts as omitted.

use axum::http::{HeaderMap, header};
use oauth4os_core::Reason;
use oauth4os_core::error::quote;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};

use crate::services::web::error::{OAuthError, OAuthResult};

/// Most parameters accepted in one request.
pub const MAX_PARAMS: usize = 32;
/// The only parameter that may be repeated.
const REPEATABLE: &[&str] = &["resource"];

/// A parsed form.
#[derive(Default)]
pub struct Form {
    params: Vec<(String, String)>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets or tokens: names only.
        f.debug_list()
            .entries(self.params.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Form {
    /// Parses the body of a POST whose headers must say it is a form.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> OAuthResult<Self> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media = content_type.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::new(
                Reason::BadForm,
                "the request body must be `application/x-www-form-urlencoded`",
            ));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| OAuthError::new(Reason::BadForm, "the request body is not UTF-8"))?;
        Self::from_encoded(text)
    }

    /// Parses a query string (or a form body already known to be one), with the same rules.
    pub fn from_encoded(text: &str) -> OAuthResult<Self> {
        let mut params: Vec<(String, String)> = Vec::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (Some(k), Some(v)) = (form_decode(k), form_decode(v)) else {
                return Err(OAuthError::new(
                    Reason::BadForm,
                    "the request is not valid form encoding",
                ));
            };
            if v.is_empty() {
                continue;
            }
            if params.len() == MAX_PARAMS {
                return Err(OAuthError::new(
                    Reason::BadForm,
                    format!("the request has more than {MAX_PARAMS} parameters"),
                ));
            }
            if !REPEATABLE.contains(&k.as_str()) && params.iter().any(|(n, _)| *n == k) {
                return Err(OAuthError::new(
                    Reason::DuplicateParameter,
                    format!("parameter {} is repeated", quote(&k)),
                ));
            }
            params.push((k, v));
        }
        Ok(Self { params })
    }

    /// The value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of a required parameter.
    pub fn require(&self, name: &str) -> OAuthResult<&str> {
        self.get(name).ok_or_else(|| {
            OAuthError::new(
                Reason::MissingParameter,
                format!("the request has no {} parameter", quote(name)),
            )
        })
    }
}

/// Decodes one form-encoded component: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16))?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Encodes one form component (the inverse of [`form_decode`]), for tests.
/// Runs an endpoint on a form body that axum has read (or failed to read: too large, broken).
pub(crate) async fn respond(
    body: Result<Bytes, BytesRejection>,
    endpoint: impl AsyncFnOnce(&[u8]) -> OAuthResult,
) -> Response {
    let result = match body {
        Ok(body) => endpoint(&body).await,
        Err(_) => Err(OAuthError::new(
            Reason::BadForm,
            "the request body cannot be read or is too large",
        )),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=UTF-8"
                .parse()
                .unwrap(),
        );
        h
    }

    #[test]
    fn decodes_and_round_trips() {
        assert_eq!(form_decode("a+b%3Ac%25").as_deref(), Some("a b:c%"));
        assert_eq!(form_decode("%E2%82%AC").as_deref(), Some("€"));
        for bad in ["%", "%4", "%zz", "%FF"] {
            assert_eq!(form_decode(bad), None, "{bad}");
        }
        for s in ["read:logs-* write:x", "a&b=c+d%", "üñí €"] {
            assert_eq!(
                form_decode(&oauth4os_core::http::form_component(s)).as_deref(),
                Some(s)
            );
        }
    }

    #[test]
    fn strict_parsing() {
        let f = Form::parse(&headers(), b"a=1&b=&resource=x&resource=y&c").unwrap();
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("b"), None, "an empty value counts as omitted");
        assert_eq!(f.all("resource"), vec!["x", "y"]);
        assert_eq!(
            f.require("c").unwrap_err().0.reason,
            Reason::MissingParameter
        );
        let e = Form::parse(&headers(), b"a=1&a=2").unwrap_err().0;
        assert_eq!(e.reason, Reason::DuplicateParameter);
        assert!(e.message.contains("`a`"));
        assert!(Form::parse(&headers(), b"a=%zz").is_err());
        assert!(Form::parse(&HeaderMap::new(), b"a=1").is_err());
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert!(Form::parse(&headers(), many.join("&").as_bytes()).is_err());
        // Debug output never shows values.
        let f = Form::parse(&headers(), b"client_secret=hunter2").unwrap();
        assert!(!format!("{f:?}").contains("hunter2"));
    }
}
