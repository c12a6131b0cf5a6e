//! Pure functions of the core: scopes and OpenSearch request classification.

use oauth4os_core::classify::{Request, classify as core_classify};
use oauth4os_core::{Action, Error, IndexPattern, Scope, ScopeSet};
use pyo3::prelude::*;

use crate::convert::Json;
use crate::error::to_py_err;
use crate::runtime::guard;

fn checked<T>(f: impl FnOnce() -> Result<T, Error>) -> PyResult<T> {
    guard(|| f().map_err(to_py_err))
}

/// The normalised form of a scope string (sorted, deduplicated).
#[pyfunction]
pub fn scopes_parse(scopes: &str) -> PyResult<String> {
    checked(|| Ok(ScopeSet::parse(scopes)?.to_string()))
}

/// Whether some scope of `granted` allows `action` on `target` (an index name or pattern).
#[pyfunction]
pub fn scopes_allows(granted: &str, action: &str, target: &str) -> PyResult<bool> {
    checked(|| Ok(ScopeSet::parse(granted)?.allows(action.parse::<Action>()?, target)))
}

/// Whether `pattern` (e.g. `logs-*`) matches the index name `index`.
#[pyfunction]
pub fn pattern_matches(pattern: &str, index: &str) -> PyResult<bool> {
    checked(|| Ok(IndexPattern::parse(pattern)?.matches(index)))
}

/// Whether some scope of `granted` covers the single scope `scope`.
#[pyfunction]
pub fn scopes_covers(granted: &str, scope: &str) -> PyResult<bool> {
    checked(|| Ok(ScopeSet::parse(granted)?.covers(&Scope::parse(scope)?)))
}

/// Whether every scope of `requested` lies within `ceiling`.
#[pyfunction]
pub fn scopes_is_within(requested: &str, ceiling: &str) -> PyResult<bool> {
    checked(|| Ok(ScopeSet::parse(requested)?.is_within(&ScopeSet::parse(ceiling)?)))
}

/// Attenuation: `requested` if it lies within `allowed` (all of `allowed` when empty).
#[pyfunction]
pub fn scopes_attenuate(requested: &str, allowed: &str) -> PyResult<String> {
    checked(|| {
        let r = ScopeSet::parse(requested)?;
        Ok(ScopeSet::attenuate(&r, &ScopeSet::parse(allowed)?)?.to_string())
    })
}

/// Classifies an OpenSearch request: `{"endpoint": ..., "accesses": [...]}`.
#[pyfunction]
#[pyo3(signature = (method, path, body=None, query=None))]
pub fn classify(
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    query: Option<&str>,
) -> PyResult<Json> {
    checked(|| {
        let req = Request {
            method,
            path,
            query,
            body: body.unwrap_or_default(),
        };
        Json::of(&core_classify(&req)?)
    })
}
