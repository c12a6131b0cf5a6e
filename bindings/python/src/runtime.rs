//! The binding's one tokio runtime, and the guards that keep panics on this side.
//!
//! Blocking calls (`Client.token()`, ...) release the GIL and `block_on` this runtime; awaitable
//! calls (`AsyncClient`) are spawned on the same runtime through `pyo3-async-runtimes`. Every
//! entry point runs inside [`guard`] or [`guard_future`], so a Rust panic becomes an
//! `InternalError` instead of unwinding into the interpreter.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use futures_util::FutureExt as _;
use oauth4os_core::Error;
use oauth4os_core::error::quote;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::error::to_py_err;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The runtime, built on first use and shared with `pyo3-async-runtimes`.
pub fn runtime() -> Result<&'static Runtime, Error> {
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

/// Runs `fut` to completion on the runtime with the GIL released.
pub fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = Result<T, Error>> + Send,
{
    let out = py.detach(|| {
        let rt = runtime()?;
        match catch_unwind(AssertUnwindSafe(|| rt.block_on(fut))) {
            Ok(r) => r,
            Err(payload) => Err(panicked(payload.as_ref())),
        }
    });
    out.map_err(to_py_err)
}

/// Runs `f`, turning a panic into `InternalError`.
pub fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(to_py_err(panicked(p.as_ref()))))
}

/// Wraps `fut` as a Python awaitable on the runtime; a panic inside it becomes `InternalError`.
pub fn guard_future<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    runtime().map_err(to_py_err)?;
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(r) => r.map_err(to_py_err),
            Err(payload) => Err(to_py_err(panicked(payload.as_ref()))),
        }
    })
}

/// The `internal` error for a caught panic, with the (bounded) panic message for a bug report.
fn panicked(payload: &(dyn Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Error::internal(format!(
        "a bug in oauth4os: the native code panicked with {}",
        quote(&what)
    ))
    .with_help("please report it; the client is still usable")
}
