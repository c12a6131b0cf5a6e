//! The CPython binding of oauth4os: `oauth4os._native`, a private module of the `oauth4os`
//! package (sdks/python). It converts types, owns the async runtime (`runtime`), maps errors in
//! one place (`error`) and keeps panics on this side; every rule lives in `oauth4os-core`.

mod client;
mod convert;
mod error;
mod pure;
mod runtime;
mod verify;

use pyo3::prelude::*;

/// Panics on purpose: lets the SDK's tests prove a panic surfaces as `InternalError`.
#[pyfunction]
#[allow(clippy::panic, reason = "the test hook exists to panic")]
fn _danger_panic_for_tests() -> PyResult<()> {
    runtime::guard(|| panic!("test-only panic"))
}

/// The same, inside an awaitable.
#[pyfunction]
#[allow(clippy::panic, reason = "the test hook exists to panic")]
fn _danger_panic_async_for_tests(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    runtime::guard_future(py, async {
        if std::hint::black_box(true) {
            panic!("test-only panic");
        }
        Ok(())
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "ERROR_CODES",
        oauth4os_core::ErrorCode::ALL.map(|c| c.as_str()).to_vec(),
    )?;
    error::register(m)?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::RawResponse>()?;
    m.add_class::<verify::Verifier>()?;
    m.add_class::<verify::Claims>()?;
    m.add_function(wrap_pyfunction!(pure::scopes_parse, m)?)?;
    m.add_function(wrap_pyfunction!(pure::scopes_allows, m)?)?;
    m.add_function(wrap_pyfunction!(pure::pattern_matches, m)?)?;
    m.add_function(wrap_pyfunction!(pure::scopes_covers, m)?)?;
    m.add_function(wrap_pyfunction!(pure::scopes_is_within, m)?)?;
    m.add_function(wrap_pyfunction!(pure::scopes_attenuate, m)?)?;
    m.add_function(wrap_pyfunction!(pure::classify, m)?)?;
    m.add_function(wrap_pyfunction!(_danger_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(_danger_panic_async_for_tests, m)?)?;
    Ok(())
}
