//! HTTP helpers every feature shares: OAuth error bodies, form and JSON bodies, the bearer token
//! of a request.

pub mod error;
pub mod form;
pub mod json;

use axum::http::{HeaderMap, header};
use base64::Engine as _;

/// The bearer token of a request: the one `Authorization: Bearer` header (two are ambiguous,
/// so neither is used).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    // Two `Authorization` headers are ambiguous: neither is used.
    let (Some(v), None) = (values.next(), values.next()) else {
        return None;
    };
    let v = v.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// The `iss` of a token, read without verification, only to pick the verifier.
pub fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    #[derive(serde::Deserialize)]
    struct Iss<'a> {
        #[serde(borrow)]
        iss: Option<std::borrow::Cow<'a, str>>,
    }
    // Only `iss` is kept: no map of every claim is built for it.
    let v: Iss<'_> = serde_json::from_slice(&bytes).ok()?;
    v.iss.map(std::borrow::Cow::into_owned)
}
