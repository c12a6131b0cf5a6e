//! JSON answers and bodies of the admin API and dynamic client registration.

#![allow(
    clippy::result_large_err,
    reason = "handlers answer errors as ready responses, built once per failed call"
)]

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth4os_core::error::{describe_json_error, quote};
use oauth4os_core::protocol::render::Surface;
use oauth4os_core::{Error, Reason};
use serde::de::DeserializeOwned;

use super::error::{no_store, respond};
use super::form::form_decode;

/// An admin API error answer for `reason`.
pub fn fail(reason: Reason, description: &str) -> Response {
    from_core(Error::new(reason, description))
}

/// The admin API's answer to a core error: bad values sent to it are the caller's
/// `invalid_request`; our own failures are logged and answered as an opaque `server_error`.
pub fn from_core(e: Error) -> Response {
    no_store(respond(&e, Surface::Admin))
}

/// A JSON answer.
pub fn json<T: serde::Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Parses a JSON body: `application/json`, an object of known fields only.
pub fn body<T: DeserializeOwned>(headers: &HeaderMap, bytes: &Bytes) -> Result<T, Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(fail(
            Reason::UnsupportedMediaType,
            "the body must be `application/json`",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        fail(
            Reason::BadBody,
            &format!("invalid body: {}", describe_json_error(&e)),
        )
    })
}

/// Parses a query string into known parameters, each at most once.
pub fn query<'a>(raw: Option<&str>, known: &[&'a str]) -> Result<Vec<(&'a str, String)>, Response> {
    let mut out: Vec<(&'a str, String)> = Vec::new();
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (form_decode(k), form_decode(v)) else {
            return Err(fail(
                Reason::BadQuery,
                "the query string is not valid form encoding",
            ));
        };
        let Some(name) = known.iter().find(|n| **n == k) else {
            return Err(fail(
                Reason::BadQuery,
                &format!(
                    "unknown query parameter {} (known: {})",
                    quote(&k),
                    known.join(", ")
                ),
            ));
        };
        if out.iter().any(|(n, _)| n == name) {
            return Err(fail(
                Reason::DuplicateParameter,
                &format!("query parameter {} is repeated", quote(&k)),
            ));
        }
        out.push((name, v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_accept_known_parameters_once() {
        let q = query(Some("kind=a&limit=5"), &["kind", "limit"]).unwrap();
        assert_eq!(q, vec![("kind", "a".to_owned()), ("limit", "5".to_owned())]);
        assert!(query(Some("x=1"), &["kind"]).is_err());
        assert!(query(Some("kind=1&kind=2"), &["kind"]).is_err());
        assert!(query(Some("kind=%zz"), &["kind"]).is_err());
    }
}
