//! The FFI facade: the single list of what every SDK exposes.
//!
//! Every binding (`bindings/python`, `bindings/node`, `java`, `c`, `uniffi`) is a
//! mechanical projection of this module: it converts the plain types used here (strings, JSON,
//! numbers, bytes, opaque handles), runs the async entries on its runtime and maps [`Error`] to
//! its language's exceptions. No rule lives in a binding.
//!
//! - root functions: [`version`], [`error_codes`], [`classify`];
//! - [`scopes`]: the scope grammar's helpers (normalize, allows, covers, is_within, attenuate,
//!   matches), over space-separated scope strings;
//! - [`Client`]: token acquisition with single-flight auto-refresh, revocation, exchange and
//!   calls to the proxy, built from the JSON `ClientConfig`;
//! - [`Verifier`]: access-token verification (async, synchronous for fixed keys, and the
//!   verified-token cache lookup), built from a JSON verifier configuration;
//! - errors as data: [`Error`] (`code`, `reason`, `message`, `help`, `retry_after`,
//!   `scope`), in JSON through [`error_json`] for bindings that pass errors as strings.
//!
//! [`surface()`] describes all of it; `cargo run -p oauth4os-core --example surface` writes it to
//! `core/facade/surface.json`, which every SDK's tests check their exports against.
//!
//! Panics never cross: [`catch`] and [`catch_future`] turn one into an `internal` error.
//!
//! The facade needs the `http` feature (the default): its handles use the reqwest transport.
#![cfg(feature = "http")]

mod client;
pub mod scopes;
mod surface;
mod verifier;

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

pub use client::Client;
pub use surface::{Class, Function, Mode, Namespace, Param, Record, Surface, Type};
pub use verifier::Verifier;

pub use crate::claims::Claims;
pub use crate::classify::Classified;
pub use crate::client::{ClientStats, TokenResponse};
pub use crate::error::{Error, ErrorCode, Result};
pub use crate::http::HttpResponse;

use crate::classify::Request;
pub use crate::decision::Decision;

/// The suite version (the workspace's), e.g. `0.1.0`.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Every error code in its wire form (`invalid_token`, ...), in the core's order: bindings
/// build one exception class per code from it.
pub fn error_codes() -> Vec<&'static str> {
    ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

/// Every error reason in its wire form (`revoked`, `expired`, ...), in the core's order.
pub fn error_reasons() -> Vec<&'static str> {
    crate::error::Reason::ALL
        .iter()
        .map(|r| r.as_str())
        .collect()
}

/// The request decision, offline: may a token with these verified `claims` (the JSON a
/// verifier returns) make this request under these Cedar `policies` (a JSON object of file
/// name → policy text; none means the built-in scope policy only)? Returns the decision and
/// why. Without a cluster, a wildcard that custom policies must see resolved is denied with
/// `resolve_failed`; the proxy resolves it against OpenSearch.
pub fn decide(
    claims_json: &str,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&[u8]>,
    policies_json: Option<&str>,
) -> Result<Decision> {
    let bad = |what: &str, e: &serde_json::Error| {
        Error::new(
            crate::error::Reason::InvalidRequest,
            format!("{what}: {}", crate::error::describe_json_error(e)),
        )
    };
    let claims: crate::Claims =
        serde_json::from_str(claims_json).map_err(|e| bad("invalid claims", &e))?;
    let sources: Vec<(String, String)> = match policies_json {
        None => Vec::new(),
        Some(p) => serde_json::from_str::<std::collections::BTreeMap<String, String>>(p)
            .map_err(|e| bad("invalid policies", &e))?
            .into_iter()
            .collect(),
    };
    let refs: Vec<(&str, &str)> = sources
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let policies = crate::policy::PolicySet::from_sources(&refs)?;
    let subject = crate::decision::Subject {
        claims: &claims,
        tenant: claims.tenant.as_deref().unwrap_or("default"),
        policies: &policies,
    };
    let request = Request {
        method,
        path,
        query,
        body: body.unwrap_or_default(),
    };
    let fut = std::pin::pin!(crate::decision::decide(
        &request,
        &subject,
        &crate::decision::NoLookup,
        None
    ));
    // Nothing in an offline decision waits: one poll finishes it.
    match fut.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(d) => Ok(d),
        std::task::Poll::Pending => Err(Error::internal("an offline decision did not finish")),
    }
}

/// What an OpenSearch request does: its endpoint and every access it needs.
///
/// `path` is the raw (percent-encoded) path without the query, `query` the raw query string
/// without `?`.
pub fn classify(
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&[u8]>,
) -> Result<Classified> {
    crate::classify::classify(&Request {
        method,
        path,
        query,
        body: body.unwrap_or_default(),
    })
}

/// The JSON form of an error (`code`, `reason`, `message`, and `help`/`retry_after`/`scope` when set),
/// for bindings whose errors carry a string.
pub fn error_json(e: &Error) -> String {
    serde_json::to_string(e).unwrap_or_else(|_| {
        format!(
            r#"{{"code":"{}","reason":"internal","message":"an error could not be serialised"}}"#,
            ErrorCode::Internal
        )
    })
}

/// Any serialisable facade value as JSON, for bindings that pass results as strings.
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| Error::internal("a result could not be serialised"))
}

/// The error a caught panic becomes. The payload is not echoed: it could hold input.
pub fn panicked() -> Error {
    Error::internal("the native oauth4os code panicked; this is a bug")
        .with_help("please report it with the steps that led to it; the module is still usable")
}

/// Runs `body`; a panic becomes an `internal` error instead of unwinding into the host.
pub fn catch<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| Err(panicked()))
}

/// `fut`, with a panic while it is polled turned into an `internal` error.
pub fn catch_future<T, F>(fut: F) -> CatchPanic<F>
where
    F: Future<Output = Result<T>>,
{
    CatchPanic(Box::pin(fut))
}

/// The future of [`catch_future`].
#[derive(Debug)]
pub struct CatchPanic<F>(Pin<Box<F>>);

impl<T, F> Future for CatchPanic<F>
where
    F: Future<Output = Result<T>>,
{
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
            .unwrap_or_else(|_| Poll::Ready(Err(panicked())))
    }
}

/// The description of the whole surface: what `core/facade/surface.json` holds.
///
/// One line per entry: a new facade function (e.g. the request decision) is its `Function`
/// constant next to its code plus one line here.
pub fn surface() -> Surface {
    Surface::new(
        vec![VERSION, ERROR_CODES, ERROR_REASONS, CLASSIFY, DECIDE],
        vec![scopes::SURFACE],
        vec![client::SURFACE, verifier::SURFACE],
    )
}

const VERSION: Function =
    Function::constant("version", "the suite version, e.g. `0.1.0`", Type::Str);

const ERROR_CODES: Function = Function::constant(
    "error_codes",
    "every error code in wire form, in the core's order (one exception class each)",
    Type::List(&Type::Str),
);

const ERROR_REASONS: Function = Function::constant(
    "error_reasons",
    "every error reason in wire form, in the core's order (`revoked`, `expired`, ...)",
    Type::List(&Type::Str),
);

const DECIDE: Function = Function::sync(
    "decide",
    "the request decision and why, offline: verified claims (JSON) + request + Cedar policies \
     (JSON object name → text) → `{decision, endpoint, accesses, policies, scopes, error?}`",
    &[
        Param::required("claims_json", Type::Str),
        Param::required("method", Type::Str),
        Param::required("path", Type::Str),
        Param::optional("query", Type::Str),
        Param::optional("body", Type::Bytes),
        Param::optional("policies_json", Type::Str),
    ],
    Type::Record("Decision"),
    &[ErrorCode::InvalidRequest, ErrorCode::Config],
);

const CLASSIFY: Function = Function::sync(
    "classify",
    "what an OpenSearch request does: `{endpoint, accesses: [{action, resource}]}`",
    &[
        Param::required("method", Type::Str),
        Param::required("path", Type::Str),
        Param::optional("query", Type::Str),
        Param::optional("body", Type::Bytes),
    ],
    Type::Record("Classified"),
    &[ErrorCode::InvalidRequest],
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Reason;

    #[test]
    fn a_panic_becomes_an_internal_error_without_its_payload() {
        #[allow(clippy::panic, reason = "the test panics on purpose")]
        let e = catch::<()>(|| panic!("boom secret")).unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
        assert!(e.message.contains("panicked") && !e.message.contains("boom"));
        assert_eq!(catch(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_panic_in_a_future_becomes_an_internal_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        #[allow(clippy::panic, reason = "the test panics on purpose")]
        let e = rt
            .block_on(catch_future::<(), _>(async { panic!("boom") }))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
        assert_eq!(rt.block_on(catch_future(async { Ok(1) })).unwrap(), 1);
    }

    #[test]
    fn errors_cross_as_json_with_every_field() {
        let mut e = Error::new(Reason::Expired, "the token expired").with_help("get a new one");
        e.retry_after = Some(3);
        let back: Error = serde_json::from_str(&error_json(&e)).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn decide_explains_offline_with_the_policies_given() {
        let claims = r#"{"iss":"i","aud":["a"],"exp":1,"client_id":"bot","scope":"read:logs-*"}"#;
        let d = decide(claims, "GET", "/logs-1/_search", None, None, None).unwrap();
        assert!(d.is_allowed());
        assert_eq!(d.accesses[0].scope.as_deref(), Some("read:logs-*"));
        let forbid = r#"{"no.cedar":"@id(\"no-1\") forbid(principal, action, resource is OAuth4os::Index) when { resource.name == \"logs-1\" };"}"#;
        let d = decide(claims, "GET", "/logs-1/_search", None, None, Some(forbid)).unwrap();
        let e = d.error.unwrap();
        assert_eq!(e.reason, Reason::PolicyDenied);
        let d = decide(claims, "GET", "/metrics/_search", None, None, None).unwrap();
        assert_eq!(d.error.unwrap().scope.as_deref(), Some("read:metrics"));
        assert_eq!(
            decide("{}", "GET", "/", None, None, None).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            decide(
                claims,
                "GET",
                "/",
                None,
                None,
                Some(r#"{"x.cedar":"nonsense"}"#)
            )
            .unwrap_err()
            .code,
            ErrorCode::Config
        );
    }

    #[test]
    fn classify_takes_the_query_apart_from_the_path() {
        let c = classify("GET", "/logs-1/_search", Some("q=a"), None).unwrap();
        assert_eq!(c.endpoint, "search");
        let e = classify("GET", "/logs%zz/_search", None, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(error_codes().len(), ErrorCode::ALL.len());
        assert!(error_reasons().contains(&"revoked"));
        assert_eq!(version(), env!("CARGO_PKG_VERSION"));
    }
}
