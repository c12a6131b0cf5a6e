//! The resource side: bearer token → verification → classification → authorization of every
//! index (scopes, then Cedar) → per-client rate limit → forward to OpenSearch, streaming back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use oauth4os_core::authorize::{
    Principal, Resolved, authorize, resolve_path, resolved_names, wildcards_to_resolve,
};
use oauth4os_core::classify::{Request as OsRequest, classify};
use oauth4os_core::policy::PolicySet;
use oauth4os_core::{Claims, Error, ErrorCode, ScopeSet};
use serde_json::json;

use crate::app::App;
use crate::policies::DEFAULT_TENANT;

/// Headers never forwarded in either direction (RFC 9110 §7.6.1) plus identity headers the
/// proxy alone sets.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];
const IDENTITY: &[&str] = &[
    "authorization",
    "x-proxy-user",
    "x-proxy-roles",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-by",
    "x-real-ip",
    "forwarded",
    "cookie",
];

/// A JSON error response `{"error","error_description"}`.
pub fn error_response(status: StatusCode, code: &str, description: &str) -> Response {
    let mut r = (
        status,
        axum::Json(json!({"error": code, "error_description": description})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn www_authenticate(app: &App, error: Option<(&str, &str)>, scope: Option<&str>) -> HeaderValue {
    let mut v = format!("Bearer resource_metadata=\"{}\"", app.resource_metadata_url);
    if let Some((code, desc)) = error {
        v.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            desc.replace(['"', '\\'], "'")
        ));
    }
    if let Some(s) = scope {
        v.push_str(&format!(", scope=\"{s}\""));
    }
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

fn unauthorized(app: &App, err: Option<&Error>) -> Response {
    // RFC 6750 §3.1: no error code in the challenge when the request carried no token.
    let (code, desc) = match err {
        Some(e) => ("invalid_token", e.message.as_str()),
        None => ("invalid_request", "a bearer token is required"),
    };
    let mut r = error_response(StatusCode::UNAUTHORIZED, code, desc);
    let hv = www_authenticate(app, err.map(|_| (code, desc)), None);
    r.headers_mut().insert(header::WWW_AUTHENTICATE, hv);
    r
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
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
pub(crate) fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("iss")?.as_str().map(str::to_owned)
}

/// Verifies with the built-in server or the tenant whose issuer the token names; the tenant
/// and the policies its requests are decided with (a snapshot: admin changes apply to the next
/// request).
async fn verify<'a>(
    app: &'a App,
    token: &str,
) -> Result<(Arc<Claims>, &'a str, Arc<PolicySet>), Error> {
    let iss = unverified_issuer(token);
    let (claims, tenant) = if iss.as_deref() == Some(app.auth.issuer()) || iss.is_none() {
        (app.auth.verify(token).await?, DEFAULT_TENANT)
    } else {
        match app
            .tenants
            .iter()
            .find(|t| Some(t.issuer.as_str()) == iss.as_deref())
        {
            Some(t) => {
                let claims = t.verifier.verify(token).await?;
                // Revoked here through /oauth/revoke (RFC 7009): refused like our own.
                if let Some(jti) = claims.jti.as_deref()
                    && app.auth.tenant_token_revoked(&t.name, jti)
                {
                    return Err(Error::invalid_token(
                        "revoked",
                        "the token has been revoked",
                    ));
                }
                (claims, t.name.as_str())
            }
            None => {
                return Err(Error::invalid_token(
                    "unknown_issuer",
                    "the token's issuer is not trusted here",
                ));
            }
        }
    };
    let policies = app
        .live
        .snapshot()
        .set_for(tenant)
        .ok_or_else(|| Error::internal("a tenant has no policy set"))?;
    Ok((claims, tenant, policies))
}

fn status_for(e: &Error) -> StatusCode {
    if e.reason == "upstream_timeout" {
        return StatusCode::GATEWAY_TIMEOUT;
    }
    match e.code {
        ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope | ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Network => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Upstream => StatusCode::BAD_GATEWAY,
        ErrorCode::Internal | ErrorCode::Config => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Asks OpenSearch which concrete indices a pattern names right now.
async fn resolve(app: &App, pattern: &str) -> Result<Vec<String>, Error> {
    let url = format!("{}{}", app.upstream.base, resolve_path(pattern));
    let mut req = app.upstream.client().get(url);
    if let Some(a) = &app.upstream.authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    let resp = req
        .send()
        .await
        .map_err(|_| Error::network("OpenSearch is unreachable"))?;
    let status = resp.status().as_u16();
    let body = resp
        .bytes()
        .await
        .map_err(|_| Error::network("OpenSearch is unreachable"))?;
    resolved_names(status, &body)
}

/// The fallback handler: every request that is not an OAuth, well-known or ops route.
pub async fn proxy(State(app): State<Arc<App>>, req: Request) -> Response {
    match handle(&app, req).await {
        Ok(r) => r,
        Err(e) => {
            let status = status_for(&e);
            app.metrics.auth_failure(&e);
            match status {
                StatusCode::UNAUTHORIZED => unauthorized(&app, Some(&e)),
                StatusCode::FORBIDDEN => {
                    let mut r = error_response(status, e.code.as_str(), &e.message);
                    let needed = e.help.as_deref().and_then(|h| h.split('`').nth(1));
                    let hv = www_authenticate(&app, Some((e.code.as_str(), &e.message)), needed);
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, hv);
                    r
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let mut r = error_response(status, "rate_limited", &e.message);
                    let secs = e.retry_after.unwrap_or(1).to_string();
                    if let Ok(v) = HeaderValue::from_str(&secs) {
                        r.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                    r
                }
                _ => error_response(status, e.code.as_str(), &e.message),
            }
        }
    }
}

async fn handle(app: &Arc<App>, req: Request) -> Result<Response, Error> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = req.into_parts();
    let Some(token) = bearer(&parts.headers) else {
        return Ok(unauthorized(app, None));
    };
    let (claims, tenant, policies) = verify(app, token).await?;
    let body = to_bytes(body, app.loaded.config.max_body_bytes)
        .await
        .map_err(|_| {
            Error::invalid_request(
                "body_too_large",
                format!(
                    "the request body exceeds {} bytes",
                    app.loaded.config.max_body_bytes
                ),
            )
        })?;
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query();
    let classified = classify(&OsRequest {
        method,
        path,
        query,
        body: &body,
    })?;
    let scopes = ScopeSet::parse_claim(claims.scope.as_deref().unwrap_or(""));
    let client_id = claims
        .client_id
        .as_deref()
        .or(claims.sub.as_deref())
        .unwrap_or("unknown");
    let mut resolved = Resolved::new();
    for pattern in wildcards_to_resolve(&classified, &policies) {
        resolved.insert(pattern.to_owned(), resolve(app, pattern).await?);
    }
    let who = Principal {
        client_id,
        tenant,
        scopes: &scopes,
    };
    let decision = authorize(&classified, &who, &policies, method, &resolved);
    app.metrics.decision(decision.is_ok());
    decision?;
    let scope_names: Vec<String> = scopes.iter().map(ToString::to_string).collect();
    let scope_refs: Vec<&str> = scope_names.iter().map(String::as_str).collect();
    if let Err(limited) = app.limiter.check(client_id, &scope_refs, Instant::now()) {
        app.metrics.rate_limited();
        return Err(limited.into());
    }
    forward(
        app,
        parts,
        body,
        client_id,
        &scopes,
        peer,
        classified.endpoint,
    )
    .await
}

/// OpenSearch accepts only JSON (or NDJSON) bodies, but `curl -d` sends a form content type: a
/// body labelled as a form (or not labelled) is relabelled for the endpoint.
fn content_type_for(headers: &HeaderMap, endpoint: &str, has_body: bool) -> Option<HeaderValue> {
    let current = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_form = current.is_empty() || current.starts_with("application/x-www-form-urlencoded");
    if !has_body || !is_form {
        return None;
    }
    let ndjson = matches!(endpoint, "bulk" | "msearch" | "msearch_template");
    Some(HeaderValue::from_static(if ndjson {
        "application/x-ndjson"
    } else {
        "application/json"
    }))
}

async fn forward(
    app: &App,
    parts: axum::http::request::Parts,
    body: bytes::Bytes,
    user: &str,
    scopes: &ScopeSet,
    peer: Option<std::net::IpAddr>,
    endpoint: &str,
) -> Result<Response, Error> {
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!("{}{path_and_query}", app.upstream.base);
    let mut headers = HeaderMap::new();
    let connection_named: Vec<String> = parts
        .headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n)
            || IDENTITY.contains(&n)
            || connection_named.iter().any(|c| c == n)
        {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    if let Some(ct) = content_type_for(&parts.headers, endpoint, !body.is_empty()) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    let roles = app.roles_for(scopes).join(",");
    let set = |h: &mut HeaderMap, n: &'static str, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(HeaderName::from_static(n), v);
        }
    };
    set(&mut headers, "x-proxy-user", user);
    set(&mut headers, "x-proxy-roles", &roles);
    if let Some(ip) = peer {
        set(&mut headers, "x-forwarded-for", &ip.to_string());
    }
    if let Some(a) = &app.upstream.authorization {
        set(&mut headers, "authorization", a);
    }
    let started = Instant::now();
    let resp = app
        .upstream
        .client()
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    app.metrics.upstream_latency(started.elapsed());
    let resp = resp.map_err(|e| {
        if e.is_timeout() {
            Error::new(
                ErrorCode::Upstream,
                "upstream_timeout",
                "OpenSearch did not answer in time",
            )
        } else if e.is_connect() {
            Error::network("OpenSearch is unavailable")
        } else {
            Error::upstream("upstream_failed", "the request to OpenSearch failed")
        }
    })?;
    let mut out = Response::builder().status(resp.status().as_u16());
    if let Some(h) = out.headers_mut() {
        for (name, value) in resp.headers() {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                h.append(name.clone(), value.clone());
            }
        }
    }
    out.body(Body::from_stream(resp.bytes_stream()))
        .map_err(|_| Error::internal("cannot build the response"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bearer_extractor_refuses_what_is_ambiguous() {
        let h = |values: &[&str]| {
            let mut m = HeaderMap::new();
            for v in values {
                m.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            }
            m
        };
        assert_eq!(bearer(&h(&["Bearer abc"])), Some("abc"));
        assert_eq!(bearer(&h(&["bearer  abc "])), Some("abc"));
        for bad in [
            &[][..],
            &["Basic abc"],
            &["Bearer"],
            &["Bearer "],
            &["Bearer a", "Bearer b"],
        ] {
            assert_eq!(bearer(&h(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn errors_map_to_their_http_status() {
        let cases = [
            (Error::invalid_token("expired", "x"), 401),
            (
                Error::new(ErrorCode::InsufficientScope, "insufficient_scope", "x"),
                403,
            ),
            (
                Error::new(ErrorCode::AccessDenied, "policy_denied", "x"),
                403,
            ),
            (Error::new(ErrorCode::RateLimited, "rate_limited", "x"), 429),
            (Error::network("x"), 503),
            (
                Error::new(ErrorCode::Upstream, "upstream_timeout", "x"),
                504,
            ),
            (Error::upstream("upstream_failed", "x"), 502),
            (Error::invalid_request("unclassified", "x"), 400),
        ];
        for (e, want) in cases {
            assert_eq!(status_for(&e).as_u16(), want, "{}", e.reason);
        }
    }

    #[test]
    fn form_bodies_are_relabelled_for_opensearch() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            content_type_for(&h, "search", true).unwrap(),
            "application/json"
        );
        assert_eq!(
            content_type_for(&h, "bulk", true).unwrap(),
            "application/x-ndjson"
        );
        assert!(content_type_for(&h, "search", false).is_none());
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(content_type_for(&h, "search", true).is_none());
        assert_eq!(
            content_type_for(&HeaderMap::new(), "count", true).unwrap(),
            "application/json"
        );
    }
}
