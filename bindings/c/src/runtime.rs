//! The binding's async story: one Tokio runtime for the library, and cancellation.
//!
//! An async facade entry runs to completion on the calling thread ([`block_on`]), as a blocking
//! C call; two runtime workers drive I/O and timers meanwhile. A call that is given an
//! `oauth4os_cancel` stops waiting as soon as it is triggered (from any thread): its future is
//! dropped, which the core's futures allow (the token client's single flight is a lock, so the
//! next caller simply takes over), and it returns `OAUTH4OS_CANCELLED`.

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;

use futures_util::future::{Either, select};
use oauth4os_core::{Error, facade};
use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::ffi::{Fail, Out};

/// A cancellation signal for calls that may wait on the network (`oauth4os_cancel`).
#[derive(Debug)]
pub struct Cancel(watch::Sender<bool>);

impl Default for Cancel {
    /// A signal not yet triggered.
    fn default() -> Self {
        Self(watch::Sender::new(false))
    }
}

impl Cancel {
    /// Triggers it: calls waiting on it return, later ones return at once.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

fn runtime() -> facade::Result<&'static Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("oauth4os")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
    });
    rt.as_ref().map_err(|e| Error::internal(e.clone()))
}

/// Runs an async facade entry to completion on the calling thread, or until `cancel` fires.
pub fn block_on<T>(
    cancel: Option<&Cancel>,
    fut: impl Future<Output = facade::Result<T>>,
) -> Out<T> {
    let rt = runtime()?;
    let fut = facade::catch_future(fut);
    let Some(cancel) = cancel else {
        return Ok(rt.block_on(fut)?);
    };
    let mut rx = cancel.0.subscribe();
    let cancelled = async move {
        if rx.wait_for(|fired| *fired).await.is_err() {
            // The sender outlives the call (the caller frees it afterwards): never reached.
            std::future::pending::<()>().await;
        }
    };
    match rt.block_on(select(pin!(fut), pin!(cancelled))) {
        Either::Left((result, _)) => Ok(result?),
        Either::Right(_) => Err(Fail::Cancelled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_triggered_cancel_stops_the_wait_and_an_untriggered_one_does_not() {
        let c = Cancel::default();
        assert!(matches!(block_on(Some(&c), async { Ok(3) }), Ok(3)));
        let waiting = async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        };
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                c.trigger();
            });
            assert!(matches!(block_on(Some(&c), waiting), Err(Fail::Cancelled)));
        });
        // Already triggered: returns at once.
        let never = std::future::pending::<facade::Result<()>>();
        assert!(matches!(block_on(Some(&c), never), Err(Fail::Cancelled)));
    }
}
