//! The binding's async story and its panic guard.
//!
//! Futures run on the one Tokio runtime napi-rs owns for this addon (its `tokio_rt` feature):
//! an `async fn` export becomes a Promise that settles when its future does. Every export goes
//! through [`call`] (synchronous) or [`spawn`] (asynchronous), so a Rust panic surfaces as an
//! `internal` error in JavaScript (the facade's `catch`) instead of unwinding into Node.

use std::future::Future;

use oauth4os_core::facade::{self, Result};

use crate::error::to_js;

/// Runs a synchronous facade call.
pub fn call<T>(body: impl FnOnce() -> Result<T>) -> napi::Result<T> {
    facade::catch(body).map_err(|e| to_js(&e))
}

/// Runs an asynchronous facade call; a panic while it is polled rejects the Promise.
pub async fn spawn<T, F>(body: F) -> napi::Result<T>
where
    F: Future<Output = Result<T>>,
{
    facade::catch_future(body).await.map_err(|e| to_js(&e))
}
