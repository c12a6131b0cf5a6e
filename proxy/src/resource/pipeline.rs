//! The resource side: bearer token → verification → classification → authorization of every
//! index (scopes, then Cedar) → per-client rate limit → forward to OpenSearch, streaming back.

use oauth4os_core::Reason;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use oauth4os_core::authorize::Resolved;
use oauth4os_core::classify::Request as OsRequest;
use oauth4os_core::decision::{Lookup, Subject, decide};
use oauth4os_core::policy::PolicySet;
use oauth4os_core::protocol::render::Surface;
use oauth4os_core::{Claims, Error, ErrorCode, ScopeSet};

use super::{ResourceProxy, TenantRuntime};
use crate::services::forwarded::Origin;
use crate::services::policies::DEFAULT_TENANT;
use crate::services::web::{self, bearer};
use oauth4os_core::jws::unverified_issuer;

/// Headers never forwarded in either direction (RFC 9110 §7.6.1), and the framing headers the
/// proxy sets itself.
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
/// Never forwarded to OpenSearch: identity headers only the proxy sets, the client's cookies,
/// and `Expect` (the body has already been read).
const IDENTITY: &[&str] = &[
    "expect",
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

/// Where a token comes from, with its claims when its verifier's cache already holds them.
enum Source<'a> {
    Builtin(Option<Arc<Claims>>),
    Tenant(&'a TenantRuntime, Option<Arc<Claims>>),
    Unknown,
}

/// Picks the verifier for `token`. A token seen before is in its verifier's cache and needs
/// no decoding; any other is routed by its unverified `iss`, which the chosen verifier checks.
fn source<'a>(app: &'a ResourceProxy, token: &str) -> Source<'a> {
    let now = oauth4os_core::verify::unix_now();
    for t in &app.tenants {
        if let Some(claims) = t.verifier.cached(token, now) {
            return Source::Tenant(t, Some(claims));
        }
    }
    if let Some(claims) = app.auth.verified(token, now) {
        return Source::Builtin(Some(claims));
    }
    match unverified_issuer(token).as_deref() {
        None => Source::Builtin(None),
        Some(iss) if iss == app.auth.issuer() => Source::Builtin(None),
        Some(iss) => app
            .tenants
            .iter()
            .find(|t| t.issuer == iss)
            .map_or(Source::Unknown, |t| Source::Tenant(t, None)),
    }
}

/// Verifies with the built-in server or the tenant whose issuer the token names; the tenant
/// and the policies its requests are decided with (a snapshot: admin changes apply to the next
/// request). A cached token is answered without waiting; the others' verification (which may
/// fetch keys) is boxed, so that the request's future stays small.
async fn verify<'a>(
    app: &'a ResourceProxy,
    token: &str,
) -> Result<(Arc<Claims>, &'a str, Arc<PolicySet>), Error> {
    let (claims, tenant) = match source(app, token) {
        Source::Builtin(Some(claims)) => (app.auth.verify_cached(claims)?, DEFAULT_TENANT),
        Source::Builtin(None) => (Box::pin(app.auth.verify(token)).await?, DEFAULT_TENANT),
        Source::Tenant(t, cached) => {
            let claims = match cached {
                Some(claims) => claims,
                None => Box::pin(t.verifier.verify(token)).await?,
            };
            (claims, t.name.as_str())
        }
        Source::Unknown => {
            return Err(Error::new(
                Reason::UnknownIssuer,
                "the token's issuer is not trusted here",
            ));
        }
    };
    let policies = app
        .live
        .snapshot()
        .set_for(tenant)
        .ok_or_else(|| Error::internal("a tenant has no policy set"))?;
    Ok((claims, tenant, policies))
}

/// What the decision asks of the proxy: what index names reach, from OpenSearch (through the
/// cached snapshot); a tenant's token revoked here (RFC 7009) is refused (the built-in server's
/// own tokens are checked when verified).
struct Upstream<'a>(&'a ResourceProxy);

impl Lookup for Upstream<'_> {
    async fn resolve(&self, patterns: &[&str]) -> Result<Option<Resolved>, Error> {
        // Boxed: a refresh of the snapshot keeps the request's future small.
        Box::pin(self.0.indices.resolve(&self.0.upstream, patterns))
            .await
            .map(Some)
    }

    async fn rerouting(
        &self,
        pipelines: &[String],
        written: &[&str],
    ) -> Result<Option<String>, Error> {
        Box::pin(
            self.0
                .indices
                .rerouting(&self.0.upstream, pipelines, written),
        )
        .await
    }

    fn continuation(
        &self,
        continuation: &oauth4os_core::classify::Continuation,
    ) -> Option<oauth4os_core::decision::Opened> {
        self.0.contexts.opened(continuation)
    }

    fn check_revoked(&self, claims: &Claims, tenant: &str) -> Result<(), Error> {
        if tenant == DEFAULT_TENANT {
            return Ok(());
        }
        self.0.auth.refuse_revoked_tenant_token(tenant, claims)
    }
}

/// The fallback handler: every request that is not an OAuth, well-known or ops route.
pub async fn proxy(State(app): State<Arc<ResourceProxy>>, req: Request) -> Response {
    let origin = req.extensions().get::<Origin>().cloned();
    respond(&app, origin, req).await
}

/// The pipeline for one request from `origin`, errors turned into their JSON answers by the
/// core's one renderer.
pub async fn respond(app: &Arc<ResourceProxy>, origin: Option<Origin>, req: Request) -> Response {
    match handle(app, origin, req).await {
        Ok(r) => r,
        Err(e) => {
            if e.reason != Reason::MissingToken {
                app.metrics.auth_failure(&e);
            }
            let surface = Surface::Resource {
                resource_metadata: &app.resource_metadata_url,
            };
            web::error::respond(&e, surface)
        }
    }
}

/// Which front a token is presented to. Each accepts only the tokens meant for it (RFC 8707):
/// a token for `/mcp` is refused by the OpenSearch front and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Front {
    /// The OpenSearch HTTP front.
    OpenSearch,
    /// The MCP endpoint.
    Mcp,
}

/// Refuses a token that is not meant for `front`: at `/mcp` it must name the MCP resource
/// among its audiences; at the OpenSearch front it must name something else than the MCP
/// resource (the verifier has already checked it names one of the accepted audiences).
fn check_front(app: &ResourceProxy, claims: &Claims, front: Front) -> Result<(), Error> {
    let Some(mcp) = app.mcp_resource.as_deref() else {
        return Ok(());
    };
    let for_mcp = |a: &String| oauth4os_core::resource::same_resource(a, mcp);
    let ok = match front {
        Front::Mcp => claims.aud.iter().any(for_mcp),
        Front::OpenSearch => !claims.aud.iter().all(for_mcp),
    };
    if ok {
        return Ok(());
    }
    let (message, help) = match front {
        Front::Mcp => (
            "the token is not meant for the MCP endpoint",
            format!("request a token with `resource={mcp}` (RFC 8707)"),
        ),
        Front::OpenSearch => (
            "the token is meant for the MCP endpoint, not the OpenSearch front",
            "request a token for the OpenSearch front (without `resource`, or with its own)"
                .to_owned(),
        ),
    };
    Err(Error::new(Reason::WrongAudience, message).with_help(help))
}

/// A verified caller: the token's claims, its tenant and the policies its requests are
/// decided with.
pub(crate) struct Caller<'a> {
    /// The verified token's claims.
    pub claims: Arc<Claims>,
    /// The tenant whose issuer signed it.
    pub tenant: &'a str,
    /// That tenant's policies (a snapshot).
    pub policies: Arc<PolicySet>,
}

impl Caller<'_> {
    /// The subject the decision judges.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            claims: &self.claims,
            tenant: self.tenant,
            policies: &self.policies,
        }
    }
}

/// The bearer token of a request to `front`, verified: signature, issuer, audience (and that
/// it is meant for this front), expiry, revocation, certificate binding (RFC 8705) and the
/// client's address allowlist.
pub(crate) async fn authenticate<'a>(
    app: &'a ResourceProxy,
    parts: &axum::http::request::Parts,
    origin: Option<&Origin>,
    front: Front,
) -> Result<Caller<'a>, Error> {
    let Some(token) = bearer(&parts.headers) else {
        return Err(Error::new(
            Reason::MissingToken,
            "a bearer token is required",
        ));
    };
    let (claims, tenant, policies) = verify(app, token).await?;
    check_front(app, &claims, front)?;
    let certificate = crate::services::forwarded::certificate_thumbprint(&parts.extensions);
    oauth4os_core::verify::check_certificate_binding(&claims, certificate)?;
    app.auth.check_client_origin(&claims, tenant, origin)?;
    Ok(Caller {
        claims,
        tenant,
        policies,
    })
}

/// The decision on `request` for `caller`, counted against the rate limits and in the
/// metrics; a denial as the error to answer.
pub(crate) async fn authorize(
    app: &ResourceProxy,
    caller: &Caller<'_>,
    request: &OsRequest<'_>,
) -> Result<oauth4os_core::decision::Decision, Error> {
    let limiter = Some((app.limiter.as_ref(), Instant::now()));
    let decision = decide(request, &caller.subject(), &Upstream(app), limiter).await;
    if let Some(e) = decision.error {
        match e.code {
            ErrorCode::RateLimited => app.metrics.rate_limited(),
            ErrorCode::InsufficientScope | ErrorCode::AccessDenied => app.metrics.decision(false),
            _ => {}
        }
        return Err(e);
    }
    app.metrics.decision(true);
    Ok(decision)
}

/// The decision on `request` for `caller` without counting it anywhere: what
/// `explain_access` reports.
pub(crate) async fn explain(
    app: &ResourceProxy,
    caller: &Caller<'_>,
    request: &OsRequest<'_>,
) -> oauth4os_core::decision::Decision {
    decide(request, &caller.subject(), &Upstream(app), None).await
}

async fn handle(
    app: &Arc<ResourceProxy>,
    origin: Option<Origin>,
    req: Request,
) -> Result<Response, Error> {
    let (parts, body) = req.into_parts();
    let caller = authenticate(app, &parts, origin.as_ref(), Front::OpenSearch).await?;
    let body = to_bytes(body, app.max_body_bytes).await.map_err(|_| {
        Error::new(
            Reason::BodyTooLarge,
            format!("the request body exceeds {} bytes", app.max_body_bytes),
        )
    })?;
    let request = OsRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        body: &body,
    };
    let decision = authorize(app, &caller, &request).await?;
    let subject = caller.subject();
    let endpoint = decision.endpoint.unwrap_or("");
    let opening = super::contexts::opening(
        &decision,
        parts.uri.query(),
        &body,
        subject.client_id(),
        caller.tenant,
    );
    let axum::http::request::Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    let response = forward(
        app,
        Outgoing {
            method,
            uri,
            headers,
            body,
        },
        subject.client_id(),
        &decision.scopes,
        origin.as_ref(),
        endpoint,
    )
    .await?;
    match opening {
        Some(opening) if response.status().is_success() => {
            let (head, body) = response.into_parts();
            let body = super::contexts::bind(&app.contexts, opening, body).await;
            Ok(Response::from_parts(head, body))
        }
        _ => Ok(response),
    }
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

/// A request on its way to OpenSearch: the client's method, path and headers (the identity
/// and hop-by-hop ones are stripped on the way) and the body already read.
pub(crate) struct Outgoing {
    /// The method.
    pub method: axum::http::Method,
    /// The path and query (the scheme and authority are OpenSearch's).
    pub uri: axum::http::Uri,
    /// The headers the client sent.
    pub headers: HeaderMap,
    /// The body.
    pub body: bytes::Bytes,
}

/// Sends an authorized request to OpenSearch as `user` with the roles `scopes` map to, and
/// the proxy's own credentials; the answer streams back.
pub(crate) async fn forward(
    app: &ResourceProxy,
    outgoing: Outgoing,
    user: &str,
    scopes: &ScopeSet,
    origin: Option<&Origin>,
    endpoint: &str,
) -> Result<Response, Error> {
    let Outgoing {
        method,
        uri,
        mut headers,
        body,
    } = outgoing;
    let is_head = method == axum::http::Method::HEAD;
    let root = axum::http::uri::PathAndQuery::from_static("/");
    let target = app.upstream.uri(uri.path_and_query().unwrap_or(&root))?;
    let content_type = content_type_for(&headers, endpoint, !body.is_empty());
    strip_headers(&mut headers, true);
    if let Some(ct) = content_type {
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
    if let Some(o) = origin {
        set(&mut headers, "x-forwarded-for", &o.forwarded_for);
    }
    if let Some(a) = app.upstream.authorization() {
        headers.insert(header::AUTHORIZATION, a.clone());
    }
    let mut req = axum::http::Request::new(http_body_util::Full::new(body));
    *req.method_mut() = method;
    *req.uri_mut() = target;
    *req.headers_mut() = headers;
    let started = Instant::now();
    let resp = app.upstream.send(req).await;
    app.metrics.upstream_latency(started.elapsed());
    app.indices.after(endpoint);
    let (mut head, incoming) = resp?.into_parts();
    // The length of a HEAD answer is that of the body it does not carry: kept as sent.
    let head_length = is_head
        .then(|| head.headers.get(header::CONTENT_LENGTH).cloned())
        .flatten();
    strip_headers(&mut head.headers, false);
    if let Some(length) = head_length {
        head.headers.insert(header::CONTENT_LENGTH, length);
    }
    Ok(Response::from_parts(head, Body::new(incoming)))
}

/// Removes the hop-by-hop headers, those the `Connection` header names and, with `identity`,
/// the identity headers only the proxy may set. One pass over what is there: the usual
/// request has none of them but `Authorization`, `Host` and `Content-Length`.
fn strip_headers(headers: &mut HeaderMap, identity: bool) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    let doomed: Vec<HeaderName> = headers
        .keys()
        .filter(|k| {
            let n = k.as_str();
            HOP_BY_HOP.contains(&n) || (identity && IDENTITY.contains(&n)) || named.contains(k)
        })
        .cloned()
        .collect();
    for name in doomed {
        headers.remove(name);
    }
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
    fn hop_by_hop_headers_and_those_connection_names_are_stripped() {
        let mut h = HeaderMap::new();
        for (n, v) in [
            ("connection", "keep-alive, X-Secret-Hop"),
            ("x-secret-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("content-type", "application/json"),
            ("x-opaque-id", "abc"),
        ] {
            h.append(n, HeaderValue::from_static(v));
        }
        let mut with_identity = h.clone();
        for n in IDENTITY {
            with_identity.append(*n, HeaderValue::from_static("smuggled"));
        }
        strip_headers(&mut h, false);
        let mut left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-type", "x-opaque-id"]);
        // Towards OpenSearch, every identity header a client sent goes too.
        strip_headers(&mut with_identity, true);
        let mut left: Vec<&str> = with_identity.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-type", "x-opaque-id"]);
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
