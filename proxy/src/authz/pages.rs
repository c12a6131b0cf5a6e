//! What the authorization endpoints show a browser: the consent page (`consent.html`, every
//! value escaped), error pages, redirects, and the security headers they carry.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth4os_core::http::form_urlencode;

use super::pending::{AuthzRequest, CONSENT_PATH};
use crate::services::store::ClientRecord;

const CONSENT_PAGE: &str = include_str!("consent.html");

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn security_headers(resp: &mut Response, form_action: &str) {
    let h = resp.headers_mut();
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self' {form_action}"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// An error shown to the user (never redirected): the client or redirect URI is not trusted.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>oauth4os: sign-in failed</title><h1>Sign-in failed</h1><p>{}</p>",
        escape_html(message)
    );
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    security_headers(&mut resp, "");
    resp
}

pub(crate) fn redirect(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub(crate) fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", form_urlencode(params))
}

pub(crate) fn origin_of(uri: &str) -> &str {
    let after = uri.find("://").map_or(0, |i| i + 3);
    let end = uri
        .get(after..)
        .and_then(|rest| rest.find(['/', '?']))
        .map_or(uri.len(), |i| after + i);
    uri.get(..end).unwrap_or(uri)
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn consent_page(
    id: &str,
    csrf: &str,
    client: &ClientRecord,
    req: &AuthzRequest,
    subject: &str,
) -> String {
    let scopes: String = req
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| format!("<li><code>{}</code></li>", escape_html(s)))
        .collect();
    CONSENT_PAGE
        .replace("{{client}}", &escape_html(&client.id))
        .replace("{{subject}}", &escape_html(subject))
        .replace("{{redirect}}", &escape_html(origin_of(&req.redirect_uri)))
        .replace("{{scopes}}", &scopes)
        .replace("{{request}}", &escape_html(id))
        .replace("{{csrf}}", &escape_html(csrf))
        .replace("{{action}}", CONSENT_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"
        );
    }

    #[test]
    fn origins_and_params() {
        assert_eq!(
            origin_of("https://app.example:8443/cb?x=1"),
            "https://app.example:8443"
        );
        assert_eq!(origin_of("http://127.0.0.1:9/"), "http://127.0.0.1:9");
        assert_eq!(
            with_params("https://a/cb?x=1", &[("code", "c d")]),
            "https://a/cb?x=1&code=c+d"
        );
    }
}
