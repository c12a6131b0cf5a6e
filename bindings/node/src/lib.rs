//! The Node.js binding of the oauth4os core (napi-rs). It converts types, runs the core's futures
//! on one runtime ([`runtime`]), maps errors in one place ([`error`]) and keeps panics on this
//! side. Users install `sdks/node` (npm `oauth4os`), whose `index.js` wraps these exports.

mod client;
mod error;
mod runtime;
mod verifier;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use oauth4os_core::classify::{Request, classify as classify_request};
use oauth4os_core::{Action, ErrorCode, Result, ScopeSet};

pub use client::{NativeClient, NativeResponse, NativeStats};
pub use verifier::NativeVerifier;

use crate::error::{IntoJs, json};
use crate::runtime::{guard, spawn};

/// The suite version this addon was built from.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every error code of the core, in its wire form (`invalid_token`, ...).
#[napi]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// The marker in front of a serialised core error in a native error's message.
#[napi]
pub fn error_prefix() -> String {
    error::PREFIX.to_owned()
}

/// Classifies an OpenSearch request: JSON `{endpoint, accesses}`.
#[napi]
pub fn classify(
    method: String,
    path: String,
    query: Option<String>,
    body: Option<Buffer>,
) -> napi::Result<String> {
    guard(|| {
        let req = Request {
            method: &method,
            path: &path,
            query: query.as_deref(),
            body: body.as_deref().unwrap_or_default(),
        };
        json(&classify_request(&req)?)
    })
    .js()
}

/// Parses a space-separated scope list; answers its normal form.
#[napi]
pub fn scope_normalize(scopes: String) -> napi::Result<String> {
    guard(|| Ok(ScopeSet::parse(&scopes)?.to_string())).js()
}

/// Whether `granted` allows `action` (`read`, `write`, ...) on the index or pattern `target`.
#[napi]
pub fn scope_allows(granted: String, action: String, target: String) -> napi::Result<bool> {
    guard(|| {
        let action: Action = action.parse()?;
        Ok(ScopeSet::parse(&granted)?.allows(action, &target))
    })
    .js()
}

/// Whether every scope of `requested` is within `ceiling`.
#[napi]
pub fn scope_is_within(requested: String, ceiling: String) -> napi::Result<bool> {
    guard(|| Ok(ScopeSet::parse(&requested)?.is_within(&ScopeSet::parse(&ceiling)?))).js()
}

/// What may be granted of `requested` under `allowed` (`invalid_scope` when it exceeds it).
#[napi]
pub fn scope_attenuate(requested: String, allowed: String) -> napi::Result<String> {
    guard(|| {
        let granted =
            ScopeSet::attenuate(&ScopeSet::parse(&requested)?, &ScopeSet::parse(&allowed)?)?;
        Ok(granted.to_string())
    })
    .js()
}

/// Test only: panics on the synchronous path; the caller must get an `internal` error.
#[napi(js_name = "__testPanicSync")]
pub fn test_panic_sync() -> napi::Result<()> {
    guard(panic_now).js()
}

/// Test only: panics inside a future; the Promise must reject with an `internal` error.
#[napi(js_name = "__testPanicAsync")]
pub async fn test_panic_async() -> napi::Result<()> {
    spawn(async { panic_now() }).await.js()
}

#[allow(
    clippy::panic,
    reason = "the test-only exports prove that panics are contained"
)]
fn panic_now() -> Result<()> {
    panic!("deliberate test panic")
}
