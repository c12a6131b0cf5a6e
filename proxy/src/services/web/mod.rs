//! HTTP helpers every feature shares: OAuth error bodies, form and JSON bodies, the bearer token
//! of a request.

pub mod error;
pub mod form;
pub mod json;

use axum::http::{HeaderMap, header};

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
