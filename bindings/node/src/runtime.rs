//! The binding's async story and its panic guard.
//!
//! Futures run on the one Tokio runtime napi-rs owns for this addon (its `tokio_rt` feature):
//! an `async fn` export becomes a Promise that settles when its future does. Every export goes
//! through [`guard`] (synchronous) or [`spawn`] (asynchronous), so a Rust panic surfaces as an
//! `internal` error in JavaScript instead of unwinding into Node and aborting the process.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use futures_util::FutureExt;
use oauth4os_core::{Error, Result};

fn panicked() -> Error {
    Error::internal("the native oauth4os module panicked; this is a bug")
        .with_help("please report it with the steps that led to it")
}

/// Runs a synchronous export body; a panic becomes an `internal` error.
pub fn guard<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| Err(panicked()))
}

/// Runs an asynchronous export body; a panic while it is polled rejects the caller's Promise
/// with an `internal` error.
pub async fn spawn<T, F>(body: F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    AssertUnwindSafe(body)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(panicked()))
}

/// Drives a future that needs no I/O to completion on the calling thread (verification with
/// fixed keys): it is polled once and must be ready; a future that would wait is refused, never
/// blocked on. Panics become `internal` errors like in [`guard`].
pub fn now_or_never<T>(body: impl Future<Output = Result<T>>) -> Result<T> {
    guard(|| {
        let fut = pin!(body);
        match fut.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(Error::internal(
                "a synchronous call needed I/O; use the asynchronous method",
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth4os_core::ErrorCode;

    #[test]
    fn a_panic_in_a_sync_body_becomes_an_internal_error() {
        let e = guard::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
        assert!(!e.message.contains("boom"), "the payload is not echoed");
        assert_eq!(guard(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_panic_in_a_future_becomes_an_internal_error() {
        let e = now_or_never(spawn::<(), _>(async { panic!("boom") })).unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
        assert_eq!(now_or_never(spawn(async { Ok(1) })).unwrap(), 1);
    }

    #[test]
    fn a_future_that_would_wait_is_refused_not_blocked_on() {
        let e = now_or_never(async {
            std::future::pending::<()>().await;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
    }
}
