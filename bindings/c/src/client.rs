//! `oauth4os_client`: the facade's token client behind an opaque handle; tokens cross as JSON.

use std::ffi::c_char;

use oauth4os_core::facade::{self, to_json};

use crate::ffi::{Bytes, Error, Out, Response, Str, bad_arg, call, put, put_string, response};
use crate::runtime::{Cancel, block_on};
use crate::{contained, handle_freed, handle_made, string_result};

/// A token client (`oauth4os_client`): opaque, thread-safe.
#[derive(Debug)]
pub struct ClientHandle(facade::Client);

/// The client behind `client` (shared: the facade client is an `Arc` inside).
///
/// # Safety
/// `client` is NULL (an error) or a live handle.
unsafe fn client<'a>(client: *const ClientHandle) -> Out<&'a facade::Client> {
    // SAFETY: NULL or live, per the contract.
    unsafe { client.as_ref() }
        .map(|c| &c.0)
        .ok_or_else(|| bad_arg("`client` is NULL"))
}

/// A client from the JSON client configuration; `*out` is the new handle.
///
/// # Safety
/// `config_json` is lent for the call; `out` is writable; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_new(
    config_json: Str,
    out: *mut *mut ClientHandle,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        if out.is_null() {
            return Err(bad_arg("`out` is NULL"));
        }
        // SAFETY: lent for this call.
        let config = unsafe { config_json.get("config_json")? };
        let c = Box::into_raw(Box::new(ClientHandle(facade::Client::new(config)?)));
        handle_made();
        // SAFETY: checked non-NULL.
        unsafe { put(out, c) }
    })
}

/// Frees a client (NULL: nothing).
///
/// # Safety
/// `client` is NULL or a handle from `oauth4os_client_new`, no call on it is running, and it
/// is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_free(client: *mut ClientHandle) {
    if !client.is_null() {
        // SAFETY: per the contract, owned by us and freed once.
        contained(|| drop(unsafe { Box::from_raw(client) }));
        handle_freed();
    }
}

/// A valid token, `*out` JSON `TokenResponse`: cached, or acquired once for every concurrent
/// caller, renewed early.
///
/// # Safety
/// `client` is a live handle; `cancel` NULL or live; `out` writable; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_token(
    client: *const ClientHandle,
    cancel: *const Cancel,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (c, cancel) = unsafe { (self::client(client)?, cancel.as_ref()) };
        let t = block_on(cancel, c.token())?;
        string_result(out, to_json(&t))
    })
}

/// The access token string of `oauth4os_client_token`.
///
/// # Safety
/// As for `oauth4os_client_token`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_access_token(
    client: *const ClientHandle,
    cancel: *const Cancel,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (c, cancel) = unsafe { (self::client(client)?, cancel.as_ref()) };
        let t = block_on(cancel, c.access_token())?;
        // SAFETY: the caller's out-parameter.
        unsafe { put_string(out, &t) }
    })
}

/// A new token (`*out` JSON `TokenResponse`) unless the cached one was already replaced since
/// `stale` (optional) was handed out.
///
/// # Safety
/// As for `oauth4os_client_token`; `stale` is lent for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_refresh(
    client: *const ClientHandle,
    cancel: *const Cancel,
    stale: Str,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (c, cancel, stale) =
            unsafe { (self::client(client)?, cancel.as_ref(), stale.opt("stale")?) };
        let t = block_on(cancel, c.refresh(stale))?;
        string_result(out, to_json(&t))
    })
}

/// Forgets the cached token.
///
/// # Safety
/// `client` is a live handle; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_invalidate(
    client: *const ClientHandle,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        unsafe { self::client(client)? }.invalidate();
        Ok(())
    })
}

/// RFC 7009: revokes `token`, or this client's current tokens (then forgotten) when absent.
///
/// # Safety
/// As for `oauth4os_client_refresh`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_revoke(
    client: *const ClientHandle,
    cancel: *const Cancel,
    token: Str,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (c, cancel, token) =
            unsafe { (self::client(client)?, cancel.as_ref(), token.opt("token")?) };
        block_on(cancel, c.revoke(token))
    })
}

/// RFC 8693 token exchange of `subject_token` (`*out` JSON `TokenResponse`, not cached).
///
/// # Safety
/// As for `oauth4os_client_refresh`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_exchange(
    client: *const ClientHandle,
    cancel: *const Cancel,
    subject_token: Str,
    subject_token_type: Str,
    scope: Str,
    resource: Str,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (c, cancel, subject, ty, scope, resource) = unsafe {
            (
                self::client(client)?,
                cancel.as_ref(),
                subject_token.get("subject_token")?,
                subject_token_type.opt("subject_token_type")?,
                scope.opt("scope")?,
                resource.opt("resource")?,
            )
        };
        let t = block_on(cancel, c.exchange(subject, ty, scope, resource))?;
        string_result(out, to_json(&t))
    })
}

/// `method path` to the proxy with the bearer token (one refresh and retry after a 401);
/// `*out` is the answer, freed with `oauth4os_free_response`.
///
/// # Safety
/// As for `oauth4os_client_refresh`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_request(
    client: *const ClientHandle,
    cancel: *const Cancel,
    method: Str,
    path: Str,
    body: Bytes,
    out: *mut *mut Response,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        if out.is_null() {
            return Err(bad_arg("`out` is NULL"));
        }
        // SAFETY: per the contract.
        let (c, cancel, method, path, body) = unsafe {
            (
                self::client(client)?,
                cancel.as_ref(),
                method.get("method")?,
                path.get("path")?,
                body.opt("body")?,
            )
        };
        let r = block_on(cancel, c.request(method, path, body.map(<[u8]>::to_vec)))?;
        let headers = to_json(&r.headers)?;
        // SAFETY: checked non-NULL.
        unsafe { put(out, response(r.status, &headers, r.body)) }
    })
}

/// `POST /<index>/_search` with the JSON `query_json`; `*out` is the JSON answer.
///
/// # Safety
/// As for `oauth4os_client_refresh`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_search(
    client: *const ClientHandle,
    cancel: *const Cancel,
    index: Str,
    query_json: Str,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (c, cancel, index, query) = unsafe {
            (
                self::client(client)?,
                cancel.as_ref(),
                index.get("index")?,
                query_json.get("query_json")?,
            )
        };
        let answer = block_on(cancel, c.search(index, query))?;
        string_result(out, to_json(&answer))
    })
}

/// Counters, `*out` JSON `ClientStats` (`token_requests`).
///
/// # Safety
/// `client` is a live handle; `out` writable; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_client_stats(
    client: *const ClientHandle,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let s = unsafe { self::client(client)? }.stats();
        string_result(out, to_json(&s))
    })
}
