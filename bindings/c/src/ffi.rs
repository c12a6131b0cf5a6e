//! The ABI's conversions and the one place errors, panics and cancellation become a status.
//!
//! Every exported function runs its body through [`call`]: a panic becomes the facade's
//! `internal` error instead of unwinding into C, a facade [`CoreError`] is written to the
//! caller's `oauth4os_error **` out-parameter, and a cancelled call returns
//! [`OAUTH4OS_CANCELLED`](crate::OAUTH4OS_CANCELLED). Strings and bytes come in as
//! (pointer, length) views that this module reads without keeping them; what goes out is owned
//! by the caller until it hands it back to the matching `oauth4os_free_*`.

use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI64, Ordering};

use oauth4os_core::facade;
use oauth4os_core::{Error as CoreError, Reason};

use crate::{OAUTH4OS_CANCELLED, OAUTH4OS_ERROR, OAUTH4OS_OK};

/// A UTF-8 string the caller lends for the duration of one call: `ptr` to `len` bytes, not
/// NUL-terminated. For an optional parameter a NULL `ptr` means absent; for a required one a
/// NULL `ptr` with `len` 0 is the empty string.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Str {
    /// The first byte (may be NULL when `len` is 0).
    pub ptr: *const c_char,
    /// The number of bytes.
    pub len: usize,
}

/// Bytes the caller lends for the duration of one call; a NULL `ptr` means absent.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Bytes {
    /// The first byte (may be NULL: absent).
    pub ptr: *const u8,
    /// The number of bytes.
    pub len: usize,
}

/// An error: the facade's error record. Every string is owned by this record and NUL-terminated;
/// free the whole record with `oauth4os_free_error`.
#[repr(C)]
#[derive(Debug)]
pub struct Error {
    /// The stable machine code (`invalid_token`, ...).
    pub code: *mut c_char,
    /// The stable, finer-grained reason (`revoked`, `expired`, ...).
    pub reason: *mut c_char,
    /// What went wrong, lowercase, no trailing period.
    pub message: *mut c_char,
    /// Extra advice, or NULL.
    pub help: *mut c_char,
    /// The scope that would grant the request (`insufficient_scope`), or NULL.
    pub scope: *mut c_char,
    /// Seconds to wait before retrying (`rate_limited`), or -1.
    pub retry_after: i64,
}

/// An answer of the proxy to `oauth4os_client_request`; free it with `oauth4os_free_response`.
#[repr(C)]
#[derive(Debug)]
pub struct Response {
    /// The HTTP status.
    pub status: i32,
    /// The headers, a JSON array of `[name, value]` pairs (names lowercase), in order.
    pub headers_json: *mut c_char,
    /// The body (NULL when empty).
    pub body: *mut u8,
    /// The body's length.
    pub body_len: usize,
}

/// Why a call did not return normally.
#[derive(Debug)]
pub enum Fail {
    /// A facade error (or bad input to the ABI itself).
    Core(CoreError),
    /// The call's `oauth4os_cancel` was triggered.
    Cancelled,
}

impl From<CoreError> for Fail {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

/// What exported function bodies return.
pub type Out<T> = Result<T, Fail>;

/// Buffers handed out and not yet freed (strings, errors, responses): the leak tests read it.
pub static LIVE_BUFFERS: AtomicI64 = AtomicI64::new(0);

/// An `invalid_request` error about an argument of the ABI itself.
pub fn bad_arg(message: impl Into<String>) -> Fail {
    Fail::Core(CoreError::new(Reason::InvalidRequest, message))
}

/// Runs an exported function's body; see the module documentation.
pub fn call(err: *mut *mut Error, body: impl FnOnce() -> Out<()>) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|_| Err(Fail::Core(facade::panicked())));
    match outcome {
        Ok(()) => OAUTH4OS_OK,
        Err(Fail::Cancelled) => OAUTH4OS_CANCELLED,
        Err(Fail::Core(e)) => {
            // Building the record cannot panic (allocation failure aborts, as everywhere).
            if !err.is_null() {
                let record = Box::into_raw(Box::new(error_record(&e)));
                LIVE_BUFFERS.fetch_add(1, Ordering::Relaxed);
                // SAFETY: the caller passes either NULL (checked) or a writable `oauth4os_error *`.
                unsafe { err.write(record) };
            }
            OAUTH4OS_ERROR
        }
    }
}

/// A NUL-terminated copy of `s`; an interior NUL (never in the facade's own text) becomes `?`.
fn c_string(s: &str) -> *mut c_char {
    let bytes: Vec<u8> = s.bytes().map(|b| if b == 0 { b'?' } else { b }).collect();
    CString::new(bytes).unwrap_or_default().into_raw()
}

fn c_opt(s: Option<&str>) -> *mut c_char {
    s.map_or(std::ptr::null_mut(), c_string)
}

fn error_record(e: &CoreError) -> Error {
    Error {
        code: c_string(e.code.as_str()),
        reason: c_string(e.reason.as_str()),
        message: c_string(&e.message),
        help: c_opt(e.help.as_deref()),
        scope: c_opt(e.scope.as_deref()),
        retry_after: e
            .retry_after
            .and_then(|s| i64::try_from(s).ok())
            .unwrap_or(-1),
    }
}

/// Frees the strings of an error record (not the record itself).
///
/// # Safety
/// `e`'s strings are those [`error_record`] made, each freed once.
pub unsafe fn drop_error_fields(e: &Error) {
    for p in [e.code, e.reason, e.message, e.help, e.scope] {
        // SAFETY: per the contract, each is NULL or came from `CString::into_raw`.
        unsafe { drop_c_string(p) };
    }
}

/// Frees a string made by `CString::into_raw` (NULL: nothing).
///
/// # Safety
/// `p` is NULL or came from `CString::into_raw` and was not freed yet.
pub unsafe fn drop_c_string(p: *mut c_char) {
    if !p.is_null() {
        // SAFETY: per the contract.
        drop(unsafe { CString::from_raw(p) });
    }
}

fn utf8<'a>(bytes: &'a [u8], name: &str) -> Out<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| bad_arg(format!("`{name}` is not valid UTF-8")))
}

/// The bytes of a lent view; NULL is `None`.
///
/// # Safety
/// A non-NULL `ptr` points to `len` readable bytes that stay valid and unchanged for the call.
unsafe fn view<'a>(ptr: *const u8, len: usize, name: &str) -> Out<Option<&'a [u8]>> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(None)
        } else {
            Err(bad_arg(format!("`{name}` is NULL with a length of {len}")))
        };
    }
    if isize::try_from(len).is_err() {
        return Err(bad_arg(format!("`{name}` is too long")));
    }
    // SAFETY: per the contract; the length fits `isize`.
    Ok(Some(unsafe { std::slice::from_raw_parts(ptr, len) }))
}

impl Str {
    /// A required string (NULL with length 0: the empty string).
    ///
    /// # Safety
    /// As for every `oauth4os_str` argument: see the type's documentation.
    pub unsafe fn get<'a>(self, name: &str) -> Out<&'a str> {
        // SAFETY: forwarded contract.
        let bytes = unsafe { view(self.ptr.cast(), self.len, name)? };
        utf8(bytes.unwrap_or_default(), name)
    }

    /// An optional string (NULL: absent).
    ///
    /// # Safety
    /// As for [`Str::get`].
    pub unsafe fn opt<'a>(self, name: &str) -> Out<Option<&'a str>> {
        // SAFETY: forwarded contract.
        match unsafe { view(self.ptr.cast(), self.len, name)? } {
            None => Ok(None),
            Some(b) => utf8(b, name).map(Some),
        }
    }
}

impl Bytes {
    /// Optional bytes (NULL: absent).
    ///
    /// # Safety
    /// As for [`Str::get`].
    pub unsafe fn opt<'a>(self, name: &str) -> Out<Option<&'a [u8]>> {
        // SAFETY: forwarded contract.
        unsafe { view(self.ptr, self.len, name) }
    }
}

/// Writes an owned copy of `s` to the out-parameter `out`.
///
/// # Safety
/// `out` is NULL (an error) or writable.
pub unsafe fn put_string(out: *mut *mut c_char, s: &str) -> Out<()> {
    if out.is_null() {
        return Err(bad_arg("`out` is NULL"));
    }
    if s.contains('\0') {
        return Err(Fail::Core(CoreError::internal(
            "a result holds a NUL character, which a C string cannot",
        )));
    }
    let p = c_string(s);
    LIVE_BUFFERS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: checked non-NULL, writable per the contract.
    unsafe { out.write(p) };
    Ok(())
}

/// [`put_string`] for an optional result: NULL when absent.
///
/// # Safety
/// As for [`put_string`].
pub unsafe fn put_opt_string(out: *mut *mut c_char, s: Option<&str>) -> Out<()> {
    match s {
        // SAFETY: forwarded contract.
        Some(s) => unsafe { put_string(out, s) },
        None if out.is_null() => Err(bad_arg("`out` is NULL")),
        None => {
            // SAFETY: checked non-NULL, writable per the contract.
            unsafe { out.write(std::ptr::null_mut()) };
            Ok(())
        }
    }
}

/// Writes `value` to the out-parameter `out`.
///
/// # Safety
/// `out` is NULL (an error) or writable.
pub unsafe fn put<T>(out: *mut T, value: T) -> Out<()> {
    if out.is_null() {
        return Err(bad_arg("`out` is NULL"));
    }
    // SAFETY: checked non-NULL, writable per the contract.
    unsafe { out.write(value) };
    Ok(())
}

/// A response record of the library's own.
pub fn response(status: u16, headers_json: &str, body: Vec<u8>) -> *mut Response {
    let body_len = body.len();
    let body = if body.is_empty() {
        std::ptr::null_mut()
    } else {
        Box::into_raw(body.into_boxed_slice()).cast::<u8>()
    };
    LIVE_BUFFERS.fetch_add(1, Ordering::Relaxed);
    Box::into_raw(Box::new(Response {
        status: i32::from(status),
        headers_json: c_string(headers_json),
        body,
        body_len,
    }))
}
