//! The binding's one tokio runtime, and the calls that keep panics on this side.
//!
//! Blocking calls release the GIL and `block_on` this runtime; awaitable calls (`*_async`) are
//! spawned on the same runtime through `pyo3-async-runtimes`. Every entry point goes through
//! [`call`], [`block_on`] or [`awaitable`], so a Rust panic becomes an `InternalError` (the
//! facade's `catch`) instead of unwinding into the interpreter.

use std::future::Future;
use std::sync::OnceLock;

use oauth4os_core::Error;
use oauth4os_core::facade::{self, Result};
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::error::to_py_err;

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

/// The runtime, built on first use and shared with `pyo3-async-runtimes`.
fn runtime() -> Result<&'static Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("oauth4os")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
    });
    match rt {
        Ok(rt) => {
            // Hand the runtime to pyo3-async-runtimes once, not on every call.
            static HANDED_OVER: std::sync::Once = std::sync::Once::new();
            HANDED_OVER.call_once(|| {
                let _ = pyo3_async_runtimes::tokio::init_with_runtime(rt);
            });
            Ok(rt)
        }
        Err(e) => Err(Error::internal(e.clone())),
    }
}

/// Runs a synchronous facade call.
pub fn call<T>(body: impl FnOnce() -> Result<T>) -> PyResult<T> {
    facade::catch(body).map_err(to_py_err)
}

/// Runs `fut` to completion on the runtime with the GIL released.
pub fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = Result<T>> + Send,
{
    py.detach(|| facade::catch(|| runtime()?.block_on(facade::catch_future(fut))))
        .map_err(to_py_err)
}

/// `fut` as a Python awaitable running on the runtime.
pub fn awaitable<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    runtime().map_err(to_py_err)?;
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        facade::catch_future(fut).await.map_err(to_py_err)
    })
}
