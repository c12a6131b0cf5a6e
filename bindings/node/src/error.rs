//! The one place where core errors become JavaScript errors.
//!
//! napi-rs errors carry a status and a message only, so the message is the core error as JSON
//! (`code`, `reason`, `message`, `help`, `retry_after`) behind [`PREFIX`]; the package's
//! `index.js` turns it into the `OAuth4osError` subclass of its code. The core's messages never
//! hold a token or a secret, so neither does this.

use oauth4os_core::{Error, Result};

/// Marks a message that carries a serialised core error.
pub const PREFIX: &str = "oauth4os-error:";

/// The JavaScript error for a core error.
pub fn to_js(e: &Error) -> napi::Error {
    let payload = serde_json::to_string(e).unwrap_or_else(|_| {
        format!(
            r#"{{"code":"internal","reason":"internal","message":"{}"}}"#,
            e.code
        )
    });
    napi::Error::new(napi::Status::GenericFailure, format!("{PREFIX}{payload}"))
}

/// Converts a core result at the export boundary.
pub trait IntoJs<T> {
    /// The result with a JavaScript error.
    fn js(self) -> napi::Result<T>;
}

impl<T> IntoJs<T> for Result<T> {
    fn js(self) -> napi::Result<T> {
        self.map_err(|e| to_js(&e))
    }
}

/// Serialises a core value that crosses as JSON.
pub fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| Error::internal("a result could not be serialised"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth4os_core::ErrorCode;

    #[test]
    fn the_message_carries_the_whole_error_as_json() {
        let mut e =
            Error::new(ErrorCode::RateLimited, "rate_limited", "slow down").with_help("wait");
        e.retry_after = Some(4);
        let js = to_js(&e);
        let payload = js.reason.strip_prefix(PREFIX).unwrap();
        let back: Error = serde_json::from_str(payload).unwrap();
        assert_eq!(back, e);
    }
}
