//! The binding's async story, its conversions and the one place errors become Java exceptions.
//!
//! Every native method body runs through [`run`]: a panic anywhere in it becomes an
//! `InternalException` (the facade's `panicked` error) instead of unwinding into the JVM, a
//! facade [`Error`] becomes the `OAuth4osException` subclass of its code, built by the Java
//! factory `OAuth4osException.fromNative` from the error's fields, and a closed handle becomes an
//! `IllegalStateException`. Async facade entries run on the one Tokio runtime of this library
//! ([`block_on`]); the Java package offers them as blocking methods and as `CompletableFuture`s.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use jni::objects::{JByteArray, JString, JThrowable};
use jni::{Env, EnvUnowned, JValue, errors::ThrowRuntimeExAndDefault, jni_sig, jni_str};
use oauth4os_core::Error;
use oauth4os_core::facade;
use tokio::runtime::Runtime;

/// Why a native method did not return normally.
#[derive(Debug)]
pub enum Fail {
    /// A facade error: thrown as the `OAuth4osException` of its code.
    Core(Error),
    /// A handle used after `close()`: thrown as an `IllegalStateException`.
    Closed(&'static str),
    /// A JNI call failed (a Java exception may already be pending).
    Jni(jni::errors::Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Core(e)
    }
}

impl From<jni::errors::Error> for Fail {
    fn from(e: jni::errors::Error) -> Self {
        Self::Jni(e)
    }
}

/// What native method bodies return.
pub type Out<T> = std::result::Result<T, Fail>;

/// Runs a native method body with the JNI environment; see the module documentation.
pub fn run<'l, T: Default>(
    unowned: &mut EnvUnowned<'l>,
    body: impl FnOnce(&mut Env<'l>) -> Out<T>,
) -> T {
    unowned
        .with_env(|env| -> jni::errors::Result<T> {
            let outcome = catch_unwind(AssertUnwindSafe(|| body(env)))
                .unwrap_or_else(|_| Err(Fail::Core(facade::panicked())));
            match outcome {
                Ok(value) => Ok(value),
                Err(fail) => {
                    throw(env, fail);
                    Ok(T::default())
                }
            }
        })
        .resolve::<ThrowRuntimeExAndDefault>()
}

fn throw(env: &mut Env<'_>, fail: Fail) {
    if env.exception_check() {
        return; // a Java exception is already on its way
    }
    let thrown = match fail {
        Fail::Core(e) => throw_core(env, &e),
        Fail::Closed(what) => env.throw_new(
            jni_str!("java/lang/IllegalStateException"),
            jni::strings::JNIString::from(format!("this {what} is closed")),
        ),
        Fail::Jni(e) => env.throw_new(
            jni_str!("java/lang/IllegalStateException"),
            jni::strings::JNIString::from(format!("oauth4os native call failed: {e}")),
        ),
    };
    // `throw` reports the pending exception as an error: nothing more to do either way.
    let _ = thrown;
}

fn throw_core(env: &mut Env<'_>, e: &Error) -> jni::errors::Result<()> {
    let code = env.new_string(e.code.as_str())?;
    let reason = env.new_string(e.reason.as_str())?;
    let message = env.new_string(&e.message)?;
    let help = opt_string(env, e.help.as_deref())?;
    let scope = opt_string(env, e.scope.as_deref())?;
    let retry_after = e
        .retry_after
        .and_then(|s| i64::try_from(s).ok())
        .unwrap_or(-1);
    let exception = env
        .call_static_method(
            jni_str!("io/oauth4os/OAuth4osException"),
            jni_str!("fromNative"),
            jni_sig!(
                (code: java.lang.String, reason: java.lang.String, message: java.lang.String,
                 help: java.lang.String, retry_after: jlong, scope: java.lang.String)
                    -> io.oauth4os.OAuth4osException
            ),
            &[
                JValue::Object(&code),
                JValue::Object(&reason),
                JValue::Object(&message),
                JValue::Object(&help),
                JValue::Long(retry_after),
                JValue::Object(&scope),
            ],
        )?
        .l()?;
    let exception = env.cast_local::<JThrowable>(exception)?;
    env.throw(exception)
}

/// A Java string for `value`, or `null`.
pub fn opt_string<'l>(env: &mut Env<'l>, value: Option<&str>) -> jni::errors::Result<JString<'l>> {
    match value {
        Some(s) => env.new_string(s),
        None => Ok(JString::default()),
    }
}

/// The Rust string of a Java argument that must not be `null`.
pub fn string(env: &Env<'_>, value: &JString<'_>, name: &str) -> Out<String> {
    if value.is_null() {
        return Err(Fail::Core(Error::new(
            oauth4os_core::Reason::InvalidRequest,
            format!("`{name}` must not be null"),
        )));
    }
    Ok(value.try_to_string(env)?)
}

/// The Rust string of an optional Java argument (`null`: absent).
pub fn opt(env: &Env<'_>, value: &JString<'_>) -> Out<Option<String>> {
    if value.is_null() {
        return Ok(None);
    }
    Ok(Some(value.try_to_string(env)?))
}

/// The bytes of an optional Java `byte[]` (`null`: absent).
pub fn bytes(env: &Env<'_>, value: &JByteArray<'_>) -> Out<Option<Vec<u8>>> {
    if value.is_null() {
        return Ok(None);
    }
    Ok(Some(env.convert_byte_array(value)?))
}

/// `now` as the facade takes it: a negative value means "the clock".
pub fn now(value: i64) -> Option<i64> {
    (value >= 0).then_some(value)
}

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

/// The library's runtime, built on first use: two workers drive I/O and timers while the
/// calling Java thread runs the future itself.
fn runtime() -> facade::Result<&'static Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("oauth4os")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
    });
    rt.as_ref().map_err(|e| Error::internal(e.clone()))
}

/// Runs an async facade entry to completion on the calling (Java) thread.
pub fn block_on<T>(fut: impl Future<Output = facade::Result<T>>) -> Out<T> {
    Ok(runtime()?.block_on(facade::catch_future(fut))?)
}
