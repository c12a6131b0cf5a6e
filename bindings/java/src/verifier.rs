//! `Verifier`: the facade's verifier behind a handle; claims cross as JSON.

use jni::objects::{JClass, JString};
use jni::sys::jlong;
use jni::{EnvUnowned, jni_mangle};
use oauth4os_core::facade::{self, to_json};

use crate::handles::Registry;
use crate::runtime::{Out, block_on, now, run, string};

/// The live verifiers.
pub static VERIFIERS: Registry<facade::Verifier> = Registry::new("Verifier");

fn claims<'l>(env: &mut jni::Env<'l>, c: &facade::Claims) -> Out<JString<'l>> {
    Ok(env.new_string(to_json(c)?)?)
}

/// A verifier over the issuer's discovered (or configured) JWKS; its handle.
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_new<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, config: JString<'l>) -> jlong {
    run(&mut env, |env| {
        let config = string(env, &config, "configJson")?;
        Ok(VERIFIERS.insert(facade::Verifier::new(&config)?))
    })
}

/// A verifier over the keys of a JWKS document; its handle.
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_from_jwks<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    jwks: JString<'l>,
    config: JString<'l>,
) -> jlong {
    run(&mut env, |env| {
        let jwks = string(env, &jwks, "jwksJson")?;
        let config = string(env, &config, "configJson")?;
        Ok(VERIFIERS.insert(facade::Verifier::from_jwks(&jwks, &config)?))
    })
}

/// Drops the verifier (a second call does nothing).
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_free<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, handle: jlong) {
    run(&mut env, |_| {
        VERIFIERS.free(handle);
        Ok(())
    })
}

/// The verified claims of `token` as of `now` (negative: the clock), fetching keys if needed.
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_verify<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    token: JString<'l>,
    at: jlong,
) -> JString<'l> {
    run(&mut env, |env| {
        let v = VERIFIERS.get(handle)?;
        let token = string(env, &token, "token")?;
        let c = block_on(async move { v.verify(&token, now(at)).await })?;
        claims(env, &c)
    })
}

/// [`verifier_verify`] without waiting, for verifiers over fixed keys.
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_verify_sync<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    token: JString<'l>,
    at: jlong,
) -> JString<'l> {
    run(&mut env, |env| {
        let v = VERIFIERS.get(handle)?;
        let token = string(env, &token, "token")?;
        let c = v.verify_sync(&token, now(at))?;
        claims(env, &c)
    })
}

/// The claims of an already verified, still valid token from the cache, else `null`.
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_cached<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    token: JString<'l>,
    at: jlong,
) -> JString<'l> {
    run(&mut env, |env| {
        let v = VERIFIERS.get(handle)?;
        let token = string(env, &token, "token")?;
        match v.cached(&token, now(at)) {
            Some(c) => claims(env, &c),
            None => Ok(JString::default()),
        }
    })
}

/// Forgets cached verifications of tokens with this `jti`.
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_revoke_jti<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    jti: JString<'l>,
) {
    run(&mut env, |env| {
        let v = VERIFIERS.get(handle)?;
        v.revoke_jti(&string(env, &jti, "jti")?);
        Ok(())
    })
}

/// Fetches the issuer's keys now (nothing for fixed keys).
#[jni_mangle("io.oauth4os.Native")]
pub fn verifier_prefetch_keys<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, handle: jlong) {
    run(&mut env, |_| {
        let v = VERIFIERS.get(handle)?;
        block_on(async move { v.prefetch_keys().await })
    })
}
