//! The C ABI of oauth4os: `extern "C"` functions over `oauth4os_core::facade`, with the header
//! `include/oauth4os.h` written by cbindgen (`bash bindings/c/header.sh`). Go uses it through
//! cgo (sdks/go). It projects the facade mechanically (see `core/facade/surface.json`): it
//! converts types, owns the async runtime ([`runtime`]) and keeps panics on this side ([`ffi`]).
//! No rule lives here.
//!
//! Conventions (the manifest's `c` naming rule):
//! - names are `oauth4os_<namespace or class>_<name>`; a class is an opaque, thread-safe handle
//!   (`oauth4os_client *`) freed by `oauth4os_<class>_free`;
//! - strings and bytes come in as `oauth4os_str` / `oauth4os_bytes` views, lent for the call;
//!   an optional one is absent when its pointer is NULL; an optional `now` is a pointer (NULL:
//!   the clock);
//! - a fallible function returns `OAUTH4OS_OK`, `OAUTH4OS_ERROR` (then `*err` holds a new
//!   `oauth4os_error`, unless `err` is NULL) or `OAUTH4OS_CANCELLED`; results go to
//!   out-parameters; records and lists cross as JSON strings;
//! - everything the library hands out is freed by one `oauth4os_free_*` (strings, errors,
//!   responses) or `oauth4os_<class>_free` (handles); nothing else frees it;
//! - a function that may wait on the network takes an optional `oauth4os_cancel *`.
//!
//! A handle must not be freed while a call on it is running, nor used afterwards: the Go package
//! counts its calls so that `Close` frees the handle after the last one.
#![allow(
    unsafe_code,
    reason = "a C ABI exports `#[unsafe(no_mangle)]` functions that read the raw pointers C \
              passes; every unsafe block states what makes it sound, and nothing outside this \
              crate has any"
)]

mod client;
mod ffi;
mod runtime;
mod verifier;

use std::ffi::c_char;
use std::sync::atomic::{AtomicI64, Ordering};

use oauth4os_core::facade::{self, scopes, to_json};

pub use crate::client::ClientHandle;
pub use crate::ffi::{Bytes, Error, Response, Str};
use crate::ffi::{LIVE_BUFFERS, Out, call, drop_c_string, drop_error_fields, put, put_string};
pub use crate::runtime::Cancel;
pub use crate::verifier::VerifierHandle;

/// The call succeeded; its out-parameters are set.
pub const OAUTH4OS_OK: i32 = 0;
/// The call failed; `*err` holds the error (unless `err` was NULL).
pub const OAUTH4OS_ERROR: i32 = 1;
/// The call's `oauth4os_cancel` was triggered before it finished; nothing was returned.
pub const OAUTH4OS_CANCELLED: i32 = 2;

/// Live handles (clients, verifiers, cancels): the leak tests read it.
static LIVE_HANDLES: AtomicI64 = AtomicI64::new(0);

fn handle_made() {
    LIVE_HANDLES.fetch_add(1, Ordering::Relaxed);
}

fn handle_freed() {
    LIVE_HANDLES.fetch_sub(1, Ordering::Relaxed);
}

fn string_result(out: *mut *mut c_char, value: facade::Result<String>) -> Out<()> {
    // SAFETY: `out` is the caller's out-parameter, NULL-checked by `put_string`.
    unsafe { put_string(out, &value?) }
}

/// The suite version this library was built from (e.g. `0.1.0`); free it with
/// `oauth4os_free_string`. NULL only if the allocation failed.
#[unsafe(no_mangle)]
pub extern "C" fn oauth4os_version() -> *mut c_char {
    owned(|| Ok(facade::version().to_owned()))
}

/// Every error code in wire form, a JSON array of strings; free it with `oauth4os_free_string`.
#[unsafe(no_mangle)]
pub extern "C" fn oauth4os_error_codes() -> *mut c_char {
    owned(|| to_json(&facade::error_codes()))
}

/// Every error reason in wire form, a JSON array of strings; free it with
/// `oauth4os_free_string`.
#[unsafe(no_mangle)]
pub extern "C" fn oauth4os_error_reasons() -> *mut c_char {
    owned(|| to_json(&facade::error_reasons()))
}

/// The string `value` makes, owned by the caller; NULL if it failed or panicked.
fn owned(value: impl FnOnce() -> facade::Result<String>) -> *mut c_char {
    let mut p = std::ptr::null_mut();
    let status = call(std::ptr::null_mut(), || string_result(&raw mut p, value()));
    if status == OAUTH4OS_OK {
        p
    } else {
        std::ptr::null_mut()
    }
}

/// What an OpenSearch request does: `*out` is JSON `{endpoint, accesses: [{action, resource}]}`.
///
/// # Safety
/// Every `oauth4os_str`/`oauth4os_bytes` points to readable memory of its length for the call;
/// `out` and `err` are writable (or NULL: `err` only).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_classify(
    method: Str,
    path: Str,
    query: Str,
    body: Bytes,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: the views are lent for this call (the function's contract).
        let (method, path, query, body) = unsafe {
            (
                method.get("method")?,
                path.get("path")?,
                query.opt("query")?,
                body.opt("body")?,
            )
        };
        let c = facade::classify(method, path, query, body)?;
        string_result(out, to_json(&c))
    })
}

/// The request decision and why, offline: `*out` is JSON
/// `{decision, endpoint, accesses, policies, scopes, error?}`.
///
/// # Safety
/// As for `oauth4os_classify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_decide(
    claims_json: Str,
    method: Str,
    path: Str,
    query: Str,
    body: Bytes,
    policies_json: Str,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: the views are lent for this call (the function's contract).
        let (claims, method, path, query, body, policies) = unsafe {
            (
                claims_json.get("claims_json")?,
                method.get("method")?,
                path.get("path")?,
                query.opt("query")?,
                body.opt("body")?,
                policies_json.opt("policies_json")?,
            )
        };
        let d = facade::decide(claims, method, path, query, body, policies)?;
        string_result(out, to_json(&d))
    })
}

/// The normal form of a scope list: validated, deduplicated, sorted.
///
/// # Safety
/// As for `oauth4os_classify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_scopes_normalize(
    scopes: Str,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: lent for this call.
        let s = unsafe { scopes.get("scopes")? };
        string_result(out, scopes::normalize(s))
    })
}

/// Whether `granted` allows `action` on `target` (an index name or pattern).
///
/// # Safety
/// As for `oauth4os_classify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_scopes_allows(
    granted: Str,
    action: Str,
    target: Str,
    out: *mut bool,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: lent for this call; `out` is writable or NULL (checked by `put`).
        unsafe {
            let v = scopes::allows(
                granted.get("granted")?,
                action.get("action")?,
                target.get("target")?,
            )?;
            put(out, v)
        }
    })
}

/// Whether some scope of `granted` grants everything the single `scope` grants.
///
/// # Safety
/// As for `oauth4os_classify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_scopes_covers(
    granted: Str,
    scope: Str,
    out: *mut bool,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: lent for this call; `out` is writable or NULL (checked by `put`).
        unsafe {
            let v = scopes::covers(granted.get("granted")?, scope.get("scope")?)?;
            put(out, v)
        }
    })
}

/// Whether every scope of `requested` lies within `ceiling`.
///
/// # Safety
/// As for `oauth4os_classify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_scopes_is_within(
    requested: Str,
    ceiling: Str,
    out: *mut bool,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: lent for this call; `out` is writable or NULL (checked by `put`).
        unsafe {
            let v = scopes::is_within(requested.get("requested")?, ceiling.get("ceiling")?)?;
            put(out, v)
        }
    })
}

/// What may be granted of `requested` under `allowed` (all of it when `requested` is empty).
///
/// # Safety
/// As for `oauth4os_classify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_scopes_attenuate(
    requested: Str,
    allowed: Str,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: lent for this call.
        let (requested, allowed) =
            unsafe { (requested.get("requested")?, allowed.get("allowed")?) };
        string_result(out, scopes::attenuate(requested, allowed))
    })
}

/// Whether the index pattern `pattern` matches the index name `index`.
///
/// # Safety
/// As for `oauth4os_classify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_scopes_matches(
    pattern: Str,
    index: Str,
    out: *mut bool,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: lent for this call; `out` is writable or NULL (checked by `put`).
        unsafe {
            let v = scopes::matches(pattern.get("pattern")?, index.get("index")?)?;
            put(out, v)
        }
    })
}

/// A new cancellation signal; free it with `oauth4os_cancel_free` after the calls given it
/// have returned. NULL only if the allocation failed.
#[unsafe(no_mangle)]
pub extern "C" fn oauth4os_cancel_new() -> *mut Cancel {
    std::panic::catch_unwind(|| {
        handle_made();
        Box::into_raw(Box::new(Cancel::default()))
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Triggers `cancel` (from any thread): calls waiting on it return `OAUTH4OS_CANCELLED`.
///
/// # Safety
/// `cancel` is NULL (nothing happens) or a live `oauth4os_cancel`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_cancel_trigger(cancel: *const Cancel) {
    // SAFETY: NULL or live, per the contract.
    if let Some(c) = unsafe { cancel.as_ref() } {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.trigger()));
    }
}

/// Frees a cancellation signal (NULL: nothing).
///
/// # Safety
/// `cancel` is NULL or came from `oauth4os_cancel_new`, no call using it is running, and it is
/// not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_cancel_free(cancel: *mut Cancel) {
    if !cancel.is_null() {
        // SAFETY: per the contract, owned by us and freed once.
        contained(|| drop(unsafe { Box::from_raw(cancel) }));
        handle_freed();
    }
}

/// Runs a free function's body; a panic (none is known: these only drop values) stops there
/// instead of unwinding into C.
pub(crate) fn contained(body: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
}

/// Frees a string the library returned (NULL: nothing).
///
/// # Safety
/// `s` is NULL or a string this library returned, not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_free_string(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: per the contract.
        contained(|| unsafe { drop_c_string(s) });
        LIVE_BUFFERS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Frees an error record and its strings (NULL: nothing).
///
/// # Safety
/// `e` is NULL or an error this library returned, not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_free_error(e: *mut Error) {
    if !e.is_null() {
        // SAFETY: per the contract, the record came from `Box::into_raw` in `ffi::call`.
        let record = unsafe { Box::from_raw(e) };
        // SAFETY: its strings are the record's own.
        contained(|| unsafe { drop_error_fields(&record) });
        LIVE_BUFFERS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Frees a response record, its headers and its body (NULL: nothing).
///
/// # Safety
/// `r` is NULL or a response this library returned, not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_free_response(r: *mut Response) {
    if r.is_null() {
        return;
    }
    // SAFETY: per the contract, the record came from `Box::into_raw` in `ffi::response`.
    let record = unsafe { Box::from_raw(r) };
    // SAFETY: the headers came from `CString::into_raw`; the body, when not NULL, from a boxed
    // slice of exactly `body_len` bytes.
    contained(|| unsafe {
        drop_c_string(record.headers_json);
        if !record.body.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(record.body, record.body_len);
            drop(Box::from_raw(slice));
        }
    });
    LIVE_BUFFERS.fetch_sub(1, Ordering::Relaxed);
}

/// Test support: how many handles (clients, verifiers, cancels) are live.
#[unsafe(no_mangle)]
pub extern "C" fn oauth4os_test_live_handles() -> i64 {
    LIVE_HANDLES.load(Ordering::Relaxed)
}

/// Test support: how many returned strings, errors and responses are not freed yet.
#[unsafe(no_mangle)]
pub extern "C" fn oauth4os_test_live_buffers() -> i64 {
    LIVE_BUFFERS.load(Ordering::Relaxed)
}

/// Test support: panics inside the library; the caller must get an `internal` error.
///
/// # Safety
/// `err` is writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_test_panic(err: *mut *mut Error) -> i32 {
    call(err, panic_now)
}

#[allow(
    clippy::panic,
    reason = "the test-support export proves that panics are contained"
)]
fn panic_now() -> Out<()> {
    panic!("deliberate test panic")
}

#[cfg(test)]
mod tests;
