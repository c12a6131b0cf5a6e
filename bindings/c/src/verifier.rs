//! `oauth4os_verifier`: the facade's verifier behind an opaque handle; claims cross as JSON.

use std::ffi::c_char;

use oauth4os_core::facade::{self, to_json};

use crate::ffi::{Error, Out, Str, bad_arg, call, put, put_opt_string};
use crate::runtime::{Cancel, block_on};
use crate::{contained, handle_freed, handle_made, string_result};

/// A verifier (`oauth4os_verifier`): opaque, thread-safe.
#[derive(Debug)]
pub struct VerifierHandle(facade::Verifier);

/// # Safety
/// `verifier` is NULL (an error) or a live handle.
unsafe fn verifier<'a>(verifier: *const VerifierHandle) -> Out<&'a facade::Verifier> {
    // SAFETY: NULL or live, per the contract.
    unsafe { verifier.as_ref() }
        .map(|v| &v.0)
        .ok_or_else(|| bad_arg("`verifier` is NULL"))
}

/// # Safety
/// `now` is NULL or readable.
unsafe fn now(now: *const i64) -> Option<i64> {
    // SAFETY: per the contract.
    unsafe { now.as_ref() }.copied()
}

fn made(out: *mut *mut VerifierHandle, v: facade::Verifier) -> Out<()> {
    let h = Box::into_raw(Box::new(VerifierHandle(v)));
    handle_made();
    // SAFETY: the callers checked `out` is not NULL.
    unsafe { put(out, h) }
}

/// A verifier over the issuer's discovered (or configured) JWKS, from the JSON verifier
/// configuration; `*out` is the new handle.
///
/// # Safety
/// `config_json` is lent for the call; `out` is writable; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_new(
    config_json: Str,
    out: *mut *mut VerifierHandle,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        if out.is_null() {
            return Err(bad_arg("`out` is NULL"));
        }
        // SAFETY: lent for this call.
        let config = unsafe { config_json.get("config_json")? };
        made(out, facade::Verifier::new(config)?)
    })
}

/// A verifier over the keys of the JWKS document `jwks_json`; it never does I/O.
///
/// # Safety
/// As for `oauth4os_verifier_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_from_jwks(
    jwks_json: Str,
    config_json: Str,
    out: *mut *mut VerifierHandle,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        if out.is_null() {
            return Err(bad_arg("`out` is NULL"));
        }
        // SAFETY: lent for this call.
        let (jwks, config) =
            unsafe { (jwks_json.get("jwks_json")?, config_json.get("config_json")?) };
        made(out, facade::Verifier::from_jwks(jwks, config)?)
    })
}

/// Frees a verifier (NULL: nothing).
///
/// # Safety
/// `verifier` is NULL or a handle from this library, no call on it is running, and it is not
/// used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_free(verifier: *mut VerifierHandle) {
    if !verifier.is_null() {
        // SAFETY: per the contract, owned by us and freed once.
        contained(|| drop(unsafe { Box::from_raw(verifier) }));
        handle_freed();
    }
}

/// The verified claims of `token` as of `*now` (NULL: the clock), `*out` JSON `Claims`;
/// fetches keys when needed.
///
/// # Safety
/// `verifier` is a live handle; `cancel` NULL or live; `token` lent for the call; `now` NULL or
/// readable; `out` writable; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_verify(
    verifier: *const VerifierHandle,
    cancel: *const Cancel,
    token: Str,
    now: *const i64,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (v, cancel, token, now) = unsafe {
            (
                self::verifier(verifier)?,
                cancel.as_ref(),
                token.get("token")?,
                self::now(now),
            )
        };
        let c = block_on(cancel, v.verify(token, now))?;
        string_result(out, to_json(&*c))
    })
}

/// `oauth4os_verifier_verify` without waiting, for verifiers over fixed keys (`from_jwks`).
///
/// # Safety
/// As for `oauth4os_verifier_verify` (without `cancel`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_verify_sync(
    verifier: *const VerifierHandle,
    token: Str,
    now: *const i64,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (v, token, now) = unsafe {
            (
                self::verifier(verifier)?,
                token.get("token")?,
                self::now(now),
            )
        };
        let c = v.verify_sync(token, now)?;
        string_result(out, to_json(&*c))
    })
}

/// The claims of an already verified, still valid token from the cache (`*out` JSON `Claims`),
/// or `*out` NULL when it is not there.
///
/// # Safety
/// As for `oauth4os_verifier_verify_sync`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_cached(
    verifier: *const VerifierHandle,
    token: Str,
    now: *const i64,
    out: *mut *mut c_char,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (v, token, now) = unsafe {
            (
                self::verifier(verifier)?,
                token.get("token")?,
                self::now(now),
            )
        };
        let json = v.cached(token, now).map(|c| to_json(&*c)).transpose()?;
        // SAFETY: the caller's out-parameter.
        unsafe { put_opt_string(out, json.as_deref()) }
    })
}

/// Forgets cached verifications of tokens with this `jti`.
///
/// # Safety
/// `verifier` is a live handle; `jti` lent for the call; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_revoke_jti(
    verifier: *const VerifierHandle,
    jti: Str,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (v, jti) = unsafe { (self::verifier(verifier)?, jti.get("jti")?) };
        v.revoke_jti(jti);
        Ok(())
    })
}

/// Fetches the issuer's keys now (nothing for fixed keys).
///
/// # Safety
/// `verifier` is a live handle; `cancel` NULL or live; `err` writable or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauth4os_verifier_prefetch_keys(
    verifier: *const VerifierHandle,
    cancel: *const Cancel,
    err: *mut *mut Error,
) -> i32 {
    call(err, || {
        // SAFETY: per the contract.
        let (v, cancel) = unsafe { (self::verifier(verifier)?, cancel.as_ref()) };
        block_on(cancel, v.prefetch_keys())
    })
}
