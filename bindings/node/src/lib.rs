//! The Node.js binding of oauth4os (napi-rs). It projects `oauth4os_core::facade` mechanically
//! (see `core/facade/surface.json`): it converts types, runs the facade's futures on the runtime
//! napi-rs owns ([`runtime`]), maps errors in one place ([`error`]) and keeps panics on this
//! side. Users install `sdks/node` (npm `oauth4os`), whose `index.js` wraps these exports.
//!
//! Naming: canonical names in camelCase; a namespace is a prefix (`scopesNormalize`); a
//! constant is a function; an async entry returns a Promise. Records cross as JSON strings
//! (parsed by `index.js`) or plain objects. Names starting with `_` are private to the package.
#![allow(
    unsafe_code,
    reason = "napi-derive's generated glue carries `#[allow(unsafe_code)]`; this crate writes none by hand"
)]

mod client;
mod error;
mod runtime;
mod verifier;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use oauth4os_core::facade::{self, scopes, to_json};

pub use client::{Client, ClientStats, Response};
pub use verifier::Verifier;

use crate::runtime::{call, spawn};

/// The suite version this addon was built from.
#[napi]
pub fn version() -> String {
    facade::version().to_owned()
}

/// Every error code of the core, in its wire form (`invalid_token`, ...).
#[napi]
pub fn error_codes() -> Vec<String> {
    facade::error_codes()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Every error reason of the core, in its wire form (`revoked`, `expired`, ...).
#[napi]
pub fn error_reasons() -> Vec<String> {
    facade::error_reasons()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Classifies an OpenSearch request: JSON `{endpoint, accesses}`.
#[napi]
pub fn classify(
    method: String,
    path: String,
    query: Option<String>,
    body: Option<Buffer>,
) -> napi::Result<String> {
    call(|| {
        let c = facade::classify(&method, &path, query.as_deref(), body.as_deref())?;
        to_json(&c)
    })
}

/// The request decision and why, offline: JSON `{decision, endpoint, accesses, policies,
/// scopes, error?}` for verified claims (JSON), a request and Cedar policies (JSON object).
#[napi]
pub fn decide(
    claims_json: String,
    method: String,
    path: String,
    query: Option<String>,
    body: Option<Buffer>,
    policies_json: Option<String>,
) -> napi::Result<String> {
    call(|| {
        let d = facade::decide(
            &claims_json,
            &method,
            &path,
            query.as_deref(),
            body.as_deref(),
            policies_json.as_deref(),
        )?;
        to_json(&d)
    })
}

/// The normal form of a scope list: validated, deduplicated, sorted.
#[napi]
pub fn scopes_normalize(scopes: String) -> napi::Result<String> {
    call(|| scopes::normalize(&scopes))
}

/// Whether `granted` allows `action` on `target` (an index name or pattern).
#[napi]
pub fn scopes_allows(granted: String, action: String, target: String) -> napi::Result<bool> {
    call(|| scopes::allows(&granted, &action, &target))
}

/// Whether some scope of `granted` grants everything the single `scope` grants.
#[napi]
pub fn scopes_covers(granted: String, scope: String) -> napi::Result<bool> {
    call(|| scopes::covers(&granted, &scope))
}

/// Whether every scope of `requested` lies within `ceiling`.
#[napi]
pub fn scopes_is_within(requested: String, ceiling: String) -> napi::Result<bool> {
    call(|| scopes::is_within(&requested, &ceiling))
}

/// What may be granted of `requested` under `allowed` (`invalid_scope` when it exceeds it).
#[napi]
pub fn scopes_attenuate(requested: String, allowed: String) -> napi::Result<String> {
    call(|| scopes::attenuate(&requested, &allowed))
}

/// Whether the index pattern `pattern` matches the index name `index`.
#[napi]
pub fn scopes_matches(pattern: String, index: String) -> napi::Result<bool> {
    call(|| scopes::matches(&pattern, &index))
}

/// The marker in front of a serialised core error in a native error's message.
#[napi(js_name = "_errorPrefix")]
pub fn error_prefix() -> String {
    error::PREFIX.to_owned()
}

/// Test only: panics on the synchronous path; the caller must get an `internal` error.
#[napi(js_name = "__testPanicSync")]
pub fn test_panic_sync() -> napi::Result<()> {
    call(panic_now)
}

/// Test only: panics inside a future; the Promise must reject with an `internal` error.
#[napi(js_name = "__testPanicAsync")]
pub async fn test_panic_async() -> napi::Result<()> {
    spawn(async { panic_now() }).await
}

#[allow(
    clippy::panic,
    reason = "the test-only exports prove that panics are contained"
)]
fn panic_now() -> facade::Result<()> {
    panic!("deliberate test panic")
}
