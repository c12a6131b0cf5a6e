//! The Java binding of oauth4os (jni): the native methods of `io.oauth4os.Native`, a private
//! class of the `io.oauth4os:oauth4os` jar (sdks/java). It projects `oauth4os_core::facade`
//! mechanically (see `core/facade/surface.json`): it converts types, owns the async runtime and
//! maps errors ([`runtime`]), keeps objects behind numeric handles ([`handles`]) and keeps panics
//! on this side. No rule lives here.
//!
//! Naming: `Native.<camelCase>` of the canonical name; a namespace or class is a prefix
//! (`scopesNormalize`, `verifierVerify`); records cross as JSON strings that the package parses;
//! an optional `now` is a `long` that is negative when absent.
#![allow(
    unsafe_code,
    reason = "jni's `jni_mangle` exports each native method under its JNI name, an \
              `unsafe(export_name)` attribute; this crate writes no unsafe block by hand"
)]

mod client;
mod handles;
mod runtime;
mod verifier;

use jni::objects::{JByteArray, JClass, JString};
use jni::sys::{jboolean, jlong};
use jni::{EnvUnowned, jni_mangle};
use oauth4os_core::facade::{self, scopes, to_json};

use crate::runtime::{Out, bytes, opt, run, string};

fn json_string<'l>(env: &mut jni::Env<'l>, value: facade::Result<String>) -> Out<JString<'l>> {
    Ok(env.new_string(value?)?)
}

/// The suite version this library was built from.
#[jni_mangle("io.oauth4os.Native")]
pub fn version<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>) -> JString<'l> {
    run(&mut env, |env| Ok(env.new_string(facade::version())?))
}

/// Every error code, a JSON array of strings.
#[jni_mangle("io.oauth4os.Native")]
pub fn error_codes<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>) -> JString<'l> {
    run(&mut env, |env| {
        json_string(env, to_json(&facade::error_codes()))
    })
}

/// Every error reason, a JSON array of strings.
#[jni_mangle("io.oauth4os.Native")]
pub fn error_reasons<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>) -> JString<'l> {
    run(&mut env, |env| {
        json_string(env, to_json(&facade::error_reasons()))
    })
}

/// What an OpenSearch request does: JSON `{endpoint, accesses}`.
#[jni_mangle("io.oauth4os.Native")]
pub fn classify<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    method: JString<'l>,
    path: JString<'l>,
    query: JString<'l>,
    body: JByteArray<'l>,
) -> JString<'l> {
    run(&mut env, |env| {
        let (method, path) = (string(env, &method, "method")?, string(env, &path, "path")?);
        let (query, body) = (opt(env, &query)?, bytes(env, &body)?);
        let c = facade::classify(&method, &path, query.as_deref(), body.as_deref())?;
        json_string(env, to_json(&c))
    })
}

/// The request decision and why, offline: JSON `{decision, endpoint, accesses, ...}`.
#[jni_mangle("io.oauth4os.Native")]
#[allow(
    clippy::too_many_arguments,
    reason = "the JNI environment and class, then the six parameters of the facade entry"
)]
pub fn decide<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    claims_json: JString<'l>,
    method: JString<'l>,
    path: JString<'l>,
    query: JString<'l>,
    body: JByteArray<'l>,
    policies_json: JString<'l>,
) -> JString<'l> {
    run(&mut env, |env| {
        let claims = string(env, &claims_json, "claimsJson")?;
        let (method, path) = (string(env, &method, "method")?, string(env, &path, "path")?);
        let (query, body) = (opt(env, &query)?, bytes(env, &body)?);
        let policies = opt(env, &policies_json)?;
        let d = facade::decide(
            &claims,
            &method,
            &path,
            query.as_deref(),
            body.as_deref(),
            policies.as_deref(),
        )?;
        json_string(env, to_json(&d))
    })
}

/// The normal form of a scope list.
#[jni_mangle("io.oauth4os.Native")]
pub fn scopes_normalize<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, s: JString<'l>) -> JString<'l> {
    run(&mut env, |env| {
        let s = string(env, &s, "scopes")?;
        json_string(env, scopes::normalize(&s))
    })
}

/// Whether `granted` allows `action` on `target`.
#[jni_mangle("io.oauth4os.Native")]
pub fn scopes_allows<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    granted: JString<'l>,
    action: JString<'l>,
    target: JString<'l>,
) -> jboolean {
    run(&mut env, |env| {
        let granted = string(env, &granted, "granted")?;
        let (action, target) = (
            string(env, &action, "action")?,
            string(env, &target, "target")?,
        );
        Ok(scopes::allows(&granted, &action, &target)?)
    })
}

/// Whether some scope of `granted` grants everything `scope` grants.
#[jni_mangle("io.oauth4os.Native")]
pub fn scopes_covers<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    granted: JString<'l>,
    scope: JString<'l>,
) -> jboolean {
    run(&mut env, |env| {
        let (granted, scope) = (
            string(env, &granted, "granted")?,
            string(env, &scope, "scope")?,
        );
        Ok(scopes::covers(&granted, &scope)?)
    })
}

/// Whether every scope of `requested` lies within `ceiling`.
#[jni_mangle("io.oauth4os.Native")]
pub fn scopes_is_within<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    requested: JString<'l>,
    ceiling: JString<'l>,
) -> jboolean {
    run(&mut env, |env| {
        let requested = string(env, &requested, "requested")?;
        let ceiling = string(env, &ceiling, "ceiling")?;
        Ok(scopes::is_within(&requested, &ceiling)?)
    })
}

/// What may be granted of `requested` under `allowed`.
#[jni_mangle("io.oauth4os.Native")]
pub fn scopes_attenuate<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    requested: JString<'l>,
    allowed: JString<'l>,
) -> JString<'l> {
    run(&mut env, |env| {
        let requested = string(env, &requested, "requested")?;
        let allowed = string(env, &allowed, "allowed")?;
        json_string(env, scopes::attenuate(&requested, &allowed))
    })
}

/// Whether the index pattern `pattern` matches the index name `index`.
#[jni_mangle("io.oauth4os.Native")]
pub fn scopes_matches<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    pattern: JString<'l>,
    index: JString<'l>,
) -> jboolean {
    run(&mut env, |env| {
        let (pattern, index) = (
            string(env, &pattern, "pattern")?,
            string(env, &index, "index")?,
        );
        Ok(scopes::matches(&pattern, &index)?)
    })
}

/// Test only: how many clients and verifiers are live (the leak tests compare it).
#[jni_mangle("io.oauth4os.Native")]
pub fn live_handles<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>) -> jlong {
    run(&mut env, |_| {
        let n = client::CLIENTS.len() + verifier::VERIFIERS.len();
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    })
}

/// Test only: panics inside a native call; the caller must get an `InternalException`.
#[jni_mangle("io.oauth4os.Native")]
pub fn test_panic<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>) {
    run(&mut env, |_| panic_now())
}

#[allow(
    clippy::panic,
    reason = "the test-only export proves that panics are contained"
)]
fn panic_now() -> Out<()> {
    panic!("deliberate test panic")
}
