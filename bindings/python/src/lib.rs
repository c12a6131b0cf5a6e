//! The CPython binding of oauth4os: `oauth4os._native`, a private module of the `oauth4os`
//! package (sdks/python). It projects `oauth4os_core::facade` mechanically (see
//! `core/facade/surface.json`): it converts types, owns the async runtime (`runtime`), maps
//! errors in one place (`error`) and keeps panics on this side. No rule lives here.
//!
//! Naming: an entry's canonical name as is; a namespace is a prefix (`scopes_normalize`); an
//! async entry is a blocking method (the GIL released) plus `<name>_async` (an awaitable).
#![allow(
    unsafe_code,
    reason = "pyo3's macros expand to unsafe FFI glue; this crate writes none by hand"
)]

mod client;
mod convert;
mod error;
mod functions;
mod runtime;
mod verifier;

use oauth4os_core::facade;
use pyo3::prelude::*;

/// Panics on purpose: lets the SDK's tests prove a panic surfaces as `InternalError`.
#[pyfunction]
#[allow(clippy::panic, reason = "the test hook exists to panic")]
fn _danger_panic_for_tests() -> PyResult<()> {
    runtime::call(|| panic!("test-only panic"))
}

/// The same, inside an awaitable.
#[pyfunction]
#[allow(clippy::panic, reason = "the test hook exists to panic")]
fn _danger_panic_async_for_tests(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    runtime::awaitable(py, async {
        if std::hint::black_box(true) {
            panic!("test-only panic");
        }
        Ok(())
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Constants are attributes: `version` is `__version__`, the others UPPER_SNAKE.
    m.add("__version__", facade::version())?;
    m.add("ERROR_CODES", facade::error_codes())?;
    m.add("ERROR_REASONS", facade::error_reasons())?;
    error::register(m)?;
    functions::register(m)?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::Response>()?;
    m.add_class::<verifier::Verifier>()?;
    m.add_class::<verifier::Claims>()?;
    m.add_function(wrap_pyfunction!(_danger_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(_danger_panic_async_for_tests, m)?)?;
    Ok(())
}
