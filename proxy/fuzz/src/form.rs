//! Target `form`: the form decoders (`application/x-www-form-urlencoded` bodies and query
//! strings, `services/web/form.rs`, and the admin API's query parser).
//!
//! An input reads like the end of an HTTP request: header lines (`Name: value`) up to the
//! first empty line, then the body. Without an empty line the whole input is a form body sent
//! with `Content-Type: application/x-www-form-urlencoded`.
//!
//! Invariants: nothing panics; a refusal is `invalid_request` (`bad_form` or
//! `duplicate_parameter`) whose message repeats no parameter value (values are secrets and
//! tokens); an accepted form holds exactly the pairs of the body with a non-empty value, each
//! once except `resource`, at most `MAX_PARAMS`; decoding inverts the core's encoder.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use oauth4os_core::error::quote;
use oauth4os_core::http::form_component;
use oauth4os_core::{ErrorCode, Reason};
use oauth4os_proxy::services::web::form::{Form, MAX_PARAMS, form_decode};
use oauth4os_proxy::services::web::json;

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let (headers, body) = split(data);
    let parsed = Form::parse(&headers, body);
    let text = std::str::from_utf8(body).ok();
    if let Some(text) = text {
        for part in text.split(['&', '=']) {
            round_trip(part);
        }
        // The admin API's query strings use the same decoding.
        let _ = json::query(Some(text), &["kind", "limit", "client_id", "resource"]);
    }
    match parsed {
        Ok(form) => {
            let text = text.expect("an accepted form is UTF-8");
            check_form(&form, text);
            // The same text as a query string parses the same way.
            assert!(Form::from_encoded(text).is_ok());
        }
        Err(e) => {
            let e = e.0;
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{}", e.message);
            assert!(
                matches!(e.reason, Reason::BadForm | Reason::DuplicateParameter),
                "undocumented refusal {}: {}",
                e.reason,
                e.message
            );
            check_refusal(&e, text);
        }
    }
}

/// Header lines up to the first empty line, then the body.
fn split(data: &[u8]) -> (HeaderMap, &[u8]) {
    let mut headers = HeaderMap::new();
    let mut rest = data;
    loop {
        let (line, after) = oauth4os_core_fuzz::split_line(rest);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if rest.len() == data.len() {
                // No header block at all: a plain form body.
                break;
            }
            return (headers, after);
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            break;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default().trim_ascii();
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        else {
            break;
        };
        headers.append(name, value);
        if after.is_empty() {
            break;
        }
        rest = after;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    (headers, data)
}

/// Every decodable `(name, value)` pair of a body, in order.
fn pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((form_decode(k)?, form_decode(v)?))
        })
}

/// A refusal's message is fixed text, or names the repeated parameter: never a value.
fn check_refusal(e: &oauth4os_core::Error, text: Option<&str>) {
    let Some(text) = text else {
        return;
    };
    if e.reason == Reason::DuplicateParameter {
        assert!(
            pairs(text).any(|(k, _)| e.message == format!("parameter {} is repeated", quote(&k))),
            "a duplicate is reported as: {}",
            e.message
        );
        return;
    }
    // The fixed texts are lowercase words, digits, `/`, `-` and backticks: a value with any
    // other character in the message came from the body.
    let fixed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || " `/-".contains(c);
    for (_, value) in pairs(text) {
        assert!(
            value.len() < 8 || value.chars().all(fixed) || !e.message.contains(&value),
            "the error repeats a parameter value: {}",
            e.message
        );
    }
}

fn check_form(form: &Form, text: &str) {
    let mut kept = 0;
    for (k, v) in pairs(text) {
        if v.is_empty() {
            continue;
        }
        kept += 1;
        if k == "resource" {
            assert!(form.all("resource").contains(&v.as_str()));
        } else {
            assert_eq!(form.get(&k), Some(v.as_str()), "parameter {k:?}");
            assert_eq!(form.all(&k).len(), 1, "{k:?} accepted twice");
        }
    }
    assert!(kept <= MAX_PARAMS, "{kept} parameters accepted");
}

fn round_trip(component: &str) {
    if let Some(decoded) = form_decode(component) {
        let again = form_decode(&form_component(&decoded));
        assert_eq!(
            again.as_deref(),
            Some(decoded.as_str()),
            "encode/decode differ"
        );
    }
}
