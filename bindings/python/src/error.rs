//! The one place where core errors become Python exceptions.
//!
//! `OAuth4osError` is the base; each [`ErrorCode`] has its own subclass. Instances carry
//! `code`, `reason`, `message`, `help`, `retry_after` and `scope`; each class also has its `code` as a
//! class attribute. Messages come from the core and never contain a token or a secret.

use oauth4os_core::{Error, ErrorCode};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

create_exception!(
    oauth4os,
    OAuth4osError,
    PyException,
    "Base class of every oauth4os error."
);

macro_rules! subclasses {
    ($($name:ident => $code:ident),* $(,)?) => {
        $(create_exception!(oauth4os, $name, OAuth4osError);)*

        /// The exception class of `code`; a code without its own class gets the base class
        /// (and fails the SDK's test that every code has one).
        fn class_of(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
            match code {
                $(ErrorCode::$code => py.get_type::<$name>(),)*
                _ => py.get_type::<OAuth4osError>(),
            }
        }

        /// Adds the base class, every subclass and `ERROR_CLASSES` (code → class, in the core's order).
        pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            let py = m.py();
            let base = py.get_type::<OAuth4osError>();
            base.setattr("code", "")?;
            base.setattr("reason", "")?;
            base.setattr("message", "")?;
            base.setattr("help", py.None())?;
            base.setattr("retry_after", py.None())?;
            base.setattr("scope", py.None())?;
            m.add("OAuth4osError", base)?;
            $(m.add(stringify!($name), py.get_type::<$name>())?;)*
            let mut classes = Vec::new();
            for code in ErrorCode::ALL {
                let class = class_of(py, code);
                if !class.is(&py.get_type::<OAuth4osError>()) {
                    class.setattr("code", code.as_str())?;
                }
                classes.push((code.as_str(), class));
            }
            m.add("ERROR_CLASSES", classes)?;
            Ok(())
        }
    };
}

subclasses! {
    InvalidRequestError => InvalidRequest,
    InvalidClientError => InvalidClient,
    InvalidGrantError => InvalidGrant,
    UnauthorizedClientError => UnauthorizedClient,
    UnsupportedGrantTypeError => UnsupportedGrantType,
    InvalidScopeError => InvalidScope,
    InvalidTokenError => InvalidToken,
    InsufficientScopeError => InsufficientScope,
    AccessDeniedError => AccessDenied,
    InvalidTargetError => InvalidTarget,
    UnsupportedTokenTypeError => UnsupportedTokenType,
    InvalidClientMetadataError => InvalidClientMetadata,
    InvalidRedirectUriError => InvalidRedirectUri,
    UnsupportedResponseTypeError => UnsupportedResponseType,
    ServerError => ServerError,
    TemporarilyUnavailableError => TemporarilyUnavailable,
    RateLimitedError => RateLimited,
    NotFoundError => NotFound,
    ConflictError => Conflict,
    NetworkError => Network,
    UpstreamError => Upstream,
    ConfigError => Config,
    InternalError => Internal,
}

/// The Python exception for a core error.
pub fn to_py_err(e: Error) -> PyErr {
    Python::attach(|py| {
        let err = PyErr::from_type(class_of(py, e.code), e.to_string());
        let value = err.value(py);
        let set = || -> PyResult<()> {
            value.setattr("code", e.code.as_str())?;
            value.setattr("reason", e.reason.as_str())?;
            value.setattr("message", &e.message)?;
            value.setattr("help", e.help.as_deref())?;
            value.setattr("retry_after", e.retry_after)?;
            value.setattr("scope", e.scope.as_deref())?;
            Ok(())
        };
        match set() {
            Ok(()) => err,
            Err(other) => other,
        }
    })
}
