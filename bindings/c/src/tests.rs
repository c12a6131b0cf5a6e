//! The ABI's own behaviour, called as C would: views, out-parameters, errors, ownership,
//! panics. What the facade answers is tested in core/.

use std::ffi::{CStr, c_char};
use std::ptr::null_mut;

use super::*;

/// The live counters are global: tests that read them run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn s(v: &str) -> Str {
    Str {
        ptr: v.as_ptr().cast(),
        len: v.len(),
    }
}

const ABSENT: Str = Str {
    ptr: std::ptr::null(),
    len: 0,
};

const NO_BYTES: Bytes = Bytes {
    ptr: std::ptr::null(),
    len: 0,
};

/// Takes an owned string back (and frees it).
fn take(p: *mut c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: a string this library returned.
    let v = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    // SAFETY: returned by the library, freed once.
    unsafe { oauth4os_free_string(p) };
    v
}

/// (code, reason, message) of an error record (and frees it).
fn take_error(e: *mut Error) -> (String, String, String) {
    assert!(!e.is_null());
    // SAFETY: a record this library returned.
    let r = unsafe { &*e };
    let f = |p: *mut c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    let out = (f(r.code), f(r.reason), f(r.message));
    // SAFETY: returned by the library, freed once.
    unsafe { oauth4os_free_error(e) };
    out
}

#[test]
fn strings_results_and_errors_cross_with_their_owner() {
    let _serial = serial();
    let buffers = oauth4os_test_live_buffers();
    assert_eq!(take(oauth4os_version()), facade::version());
    assert!(take(oauth4os_error_reasons()).contains("\"revoked\""));
    let (mut out, mut err) = (null_mut(), null_mut());
    // SAFETY: views of live strings, local out-parameters.
    let rc = unsafe { oauth4os_scopes_normalize(s("write:b read:a"), &mut out, &mut err) };
    assert_eq!((rc, take(out)), (OAUTH4OS_OK, "read:a write:b".into()));
    // SAFETY: as above.
    let rc = unsafe { oauth4os_scopes_normalize(s("read:Logs"), &mut out, &mut err) };
    assert_eq!(rc, OAUTH4OS_ERROR);
    let (code, reason, _) = take_error(err);
    assert_eq!(
        (code.as_str(), reason.as_str()),
        ("invalid_scope", "invalid_pattern")
    );
    // An error without an `err` out-parameter is only a status.
    // SAFETY: as above.
    let rc = unsafe { oauth4os_scopes_normalize(s("read:Logs"), &mut out, null_mut()) };
    assert_eq!(rc, OAUTH4OS_ERROR);
    let mut yes = false;
    // SAFETY: as above.
    let rc = unsafe { oauth4os_scopes_matches(s("logs-*"), s("logs-1"), &mut yes, null_mut()) };
    assert!(rc == OAUTH4OS_OK && yes);
    assert_eq!(
        oauth4os_test_live_buffers(),
        buffers,
        "everything handed out was freed"
    );
}

#[test]
fn bad_arguments_are_errors_not_crashes() {
    let _serial = serial();
    let (mut out, mut err) = (null_mut(), null_mut());
    let bad = [0xff_u8, 0xfe];
    let not_utf8 = Str {
        ptr: bad.as_ptr().cast(),
        len: 2,
    };
    // SAFETY: a view of a live array.
    let rc = unsafe { oauth4os_scopes_normalize(not_utf8, &mut out, &mut err) };
    assert_eq!(rc, OAUTH4OS_ERROR);
    let (code, _, message) = take_error(err);
    assert_eq!(code, "invalid_request");
    assert!(message.contains("`scopes`"), "{message}");
    // NULL out-parameter, NULL handle, NULL with a length.
    // SAFETY: as above.
    let rc = unsafe { oauth4os_scopes_normalize(s("read:a"), null_mut(), &mut err) };
    assert_eq!(
        (rc, take_error(err).0.as_str()),
        (OAUTH4OS_ERROR, "invalid_request")
    );
    // SAFETY: a NULL handle is refused before use.
    let rc = unsafe {
        client::oauth4os_client_token(std::ptr::null(), std::ptr::null(), &mut out, &mut err)
    };
    assert_eq!(rc, OAUTH4OS_ERROR);
    assert!(take_error(err).2.contains("`client` is NULL"));
    let dangling = Str {
        ptr: std::ptr::null(),
        len: 5,
    };
    // SAFETY: NULL with a length is refused before any read.
    let rc = unsafe { oauth4os_scopes_normalize(dangling, &mut out, &mut err) };
    assert_eq!(
        (rc, take_error(err).0.as_str()),
        (OAUTH4OS_ERROR, "invalid_request")
    );
    // A required empty string may be NULL with length 0; optional NULL is absent.
    // SAFETY: as above.
    let rc = unsafe { oauth4os_classify(s("GET"), s("/"), ABSENT, NO_BYTES, &mut out, &mut err) };
    assert_eq!(rc, OAUTH4OS_OK);
    assert!(take(out).contains("\"endpoint\":\"info\""));
}

#[test]
fn a_panic_becomes_an_internal_error() {
    let _serial = serial();
    let mut err = null_mut();
    // SAFETY: a local out-parameter.
    assert_eq!(unsafe { oauth4os_test_panic(&mut err) }, OAUTH4OS_ERROR);
    let (code, _, message) = take_error(err);
    assert_eq!(code, "internal");
    assert!(message.contains("panicked") && !message.contains("deliberate"));
}

#[test]
fn handles_verify_the_vectors_and_are_counted() {
    let _serial = serial();
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../../core/conformance/vectors.json")).unwrap();
    let (jwks, cfg) = (vectors["jwks"].to_string(), vectors["verifier"].to_string());
    let now = vectors["now"].as_i64().unwrap();
    let handles = oauth4os_test_live_handles();
    let (mut v, mut err) = (null_mut(), null_mut());
    // SAFETY: views of live strings, local out-parameters.
    let rc = unsafe { verifier::oauth4os_verifier_from_jwks(s(&jwks), s(&cfg), &mut v, &mut err) };
    assert_eq!(rc, OAUTH4OS_OK);
    assert_eq!(oauth4os_test_live_handles(), handles + 1);
    let mut out = null_mut();
    for case in vectors["verification"].as_array().unwrap() {
        let token = case["token"].as_str().unwrap();
        // SAFETY: a live handle, views of live strings, local out-parameters.
        let rc = unsafe {
            verifier::oauth4os_verifier_verify(
                v,
                std::ptr::null(),
                s(token),
                &now,
                &mut out,
                &mut err,
            )
        };
        let expect = &case["expect"];
        if expect["ok"] == true {
            assert_eq!(rc, OAUTH4OS_OK, "{}", case["name"]);
            let claims: serde_json::Value = serde_json::from_str(&take(out)).unwrap();
            assert_eq!(claims, expect["claims"], "{}", case["name"]);
        } else {
            assert_eq!(rc, OAUTH4OS_ERROR, "{}", case["name"]);
            let (code, reason, _) = take_error(err);
            assert_eq!(
                (code.as_str(), reason.as_str()),
                (
                    expect["code"].as_str().unwrap(),
                    expect["reason"].as_str().unwrap()
                )
            );
        }
    }
    // SAFETY: freed once, not used after.
    unsafe { verifier::oauth4os_verifier_free(v) };
    assert_eq!(oauth4os_test_live_handles(), handles);
}
