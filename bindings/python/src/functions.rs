//! The facade's free functions: `classify`, `decide` and the `scopes` namespace
//! (`scopes_<name>`).

use oauth4os_core::facade::{self, scopes};
use pyo3::prelude::*;

use crate::convert::Json;
use crate::runtime::call;

#[pyfunction]
#[pyo3(signature = (method, path, query=None, body=None))]
fn classify(method: &str, path: &str, query: Option<&str>, body: Option<&[u8]>) -> PyResult<Json> {
    call(|| Json::of(&facade::classify(method, path, query, body)?))
}

#[pyfunction]
#[pyo3(signature = (claims_json, method, path, query=None, body=None, policies_json=None))]
fn decide(
    claims_json: &str,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&[u8]>,
    policies_json: Option<&str>,
) -> PyResult<Json> {
    call(|| {
        Json::of(&facade::decide(
            claims_json,
            method,
            path,
            query,
            body,
            policies_json,
        )?)
    })
}

#[pyfunction]
fn scopes_normalize(scopes: &str) -> PyResult<String> {
    call(|| scopes::normalize(scopes))
}

#[pyfunction]
fn scopes_allows(granted: &str, action: &str, target: &str) -> PyResult<bool> {
    call(|| scopes::allows(granted, action, target))
}

#[pyfunction]
fn scopes_covers(granted: &str, scope: &str) -> PyResult<bool> {
    call(|| scopes::covers(granted, scope))
}

#[pyfunction]
fn scopes_is_within(requested: &str, ceiling: &str) -> PyResult<bool> {
    call(|| scopes::is_within(requested, ceiling))
}

#[pyfunction]
fn scopes_attenuate(requested: &str, allowed: &str) -> PyResult<String> {
    call(|| scopes::attenuate(requested, allowed))
}

#[pyfunction]
fn scopes_matches(pattern: &str, index: &str) -> PyResult<bool> {
    call(|| scopes::matches(pattern, index))
}

/// Adds every free function to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(classify, m)?)?;
    m.add_function(wrap_pyfunction!(decide, m)?)?;
    m.add_function(wrap_pyfunction!(scopes_normalize, m)?)?;
    m.add_function(wrap_pyfunction!(scopes_allows, m)?)?;
    m.add_function(wrap_pyfunction!(scopes_covers, m)?)?;
    m.add_function(wrap_pyfunction!(scopes_is_within, m)?)?;
    m.add_function(wrap_pyfunction!(scopes_attenuate, m)?)?;
    m.add_function(wrap_pyfunction!(scopes_matches, m)?)?;
    Ok(())
}
