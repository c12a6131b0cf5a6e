//! `Client`: the facade's token client behind a handle; tokens cross as JSON.

use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString};
use jni::sys::jlong;
use jni::{EnvUnowned, jni_mangle};
use oauth4os_core::facade::{self, to_json};

use crate::handles::Registry;
use crate::runtime::{Out, block_on, bytes, opt, run, string};

/// The live clients.
pub static CLIENTS: Registry<facade::Client> = Registry::new("Client");

fn json<'l>(env: &mut jni::Env<'l>, value: facade::Result<String>) -> Out<JString<'l>> {
    Ok(env.new_string(value?)?)
}

/// A client from the JSON client configuration; its handle.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_new<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, config: JString<'l>) -> jlong {
    run(&mut env, |env| {
        let config = string(env, &config, "configJson")?;
        Ok(CLIENTS.insert(facade::Client::new(&config)?))
    })
}

/// Drops the client (a second call does nothing).
#[jni_mangle("io.oauth4os.Native")]
pub fn client_free<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, handle: jlong) {
    run(&mut env, |_| {
        CLIENTS.free(handle);
        Ok(())
    })
}

/// A valid token (JSON `TokenResponse`), cached and renewed before it expires.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_token<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, handle: jlong) -> JString<'l> {
    run(&mut env, |env| {
        let c = CLIENTS.get(handle)?;
        let t = block_on(async move { c.token().await })?;
        json(env, to_json(&t))
    })
}

/// The access token string.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_access_token<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    run(&mut env, |env| {
        let c = CLIENTS.get(handle)?;
        let t = block_on(async move { c.access_token().await })?;
        Ok(env.new_string(t)?)
    })
}

/// A new token unless the cached one was replaced since `stale` (JSON `TokenResponse`).
#[jni_mangle("io.oauth4os.Native")]
pub fn client_refresh<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    stale: JString<'l>,
) -> JString<'l> {
    run(&mut env, |env| {
        let c = CLIENTS.get(handle)?;
        let stale = opt(env, &stale)?;
        let t = block_on(async move { c.refresh(stale.as_deref()).await })?;
        json(env, to_json(&t))
    })
}

/// Forgets the cached token.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_invalidate<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, handle: jlong) {
    run(&mut env, |_| {
        CLIENTS.get(handle)?.invalidate();
        Ok(())
    })
}

/// RFC 7009: revokes `token`, or the client's own tokens when `null`.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_revoke<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    token: JString<'l>,
) {
    run(&mut env, |env| {
        let c = CLIENTS.get(handle)?;
        let token = opt(env, &token)?;
        block_on(async move { c.revoke(token.as_deref()).await })
    })
}

/// RFC 8693 token exchange (JSON `TokenResponse`, not cached).
#[jni_mangle("io.oauth4os.Native")]
pub fn client_exchange<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    subject_token: JString<'l>,
    subject_token_type: JString<'l>,
    scope: JString<'l>,
    resource: JString<'l>,
) -> JString<'l> {
    run(&mut env, |env| {
        let c = CLIENTS.get(handle)?;
        let subject = string(env, &subject_token, "subjectToken")?;
        let ty = opt(env, &subject_token_type)?;
        let (scope, resource) = (opt(env, &scope)?, opt(env, &resource)?);
        let t = block_on(async move {
            c.exchange(
                &subject,
                ty.as_deref(),
                scope.as_deref(),
                resource.as_deref(),
            )
            .await
        })?;
        json(env, to_json(&t))
    })
}

/// `method path` to the proxy with the bearer token: `[status and headers as JSON, body]`.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_request<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    method: JString<'l>,
    path: JString<'l>,
    body: JByteArray<'l>,
) -> JObjectArray<'l> {
    run(&mut env, |env| {
        let c = CLIENTS.get(handle)?;
        let (method, path) = (string(env, &method, "method")?, string(env, &path, "path")?);
        let body = bytes(env, &body)?;
        let resp = block_on(async move { c.request(&method, &path, body).await })?;
        let head = to_json(&(resp.status, &resp.headers))?;
        let head = env.new_string(head)?;
        let body = env.byte_array_from_slice(&resp.body)?;
        let out = env.new_object_array(2, jni::jni_str!("java/lang/Object"), JObject::null())?;
        out.set_element(env, 0, &head)?;
        out.set_element(env, 1, &body)?;
        Ok(out)
    })
}

/// `POST /<index>/_search` with the JSON `query`: the JSON answer.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_search<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    handle: jlong,
    index: JString<'l>,
    query_json: JString<'l>,
) -> JString<'l> {
    run(&mut env, |env| {
        let c = CLIENTS.get(handle)?;
        let index = string(env, &index, "index")?;
        let query = string(env, &query_json, "queryJson")?;
        let answer = block_on(async move { c.search(&index, &query).await })?;
        json(env, to_json(&answer))
    })
}

/// Requests sent to the token endpoint.
#[jni_mangle("io.oauth4os.Native")]
pub fn client_stats<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, handle: jlong) -> jlong {
    run(&mut env, |_| {
        let s = CLIENTS.get(handle)?.stats();
        Ok(i64::try_from(s.token_requests).unwrap_or(i64::MAX))
    })
}
