//! The one place where core errors become JavaScript errors.
//!
//! napi-rs errors carry a status and a message only, so the message is the facade's error JSON
//! (`code`, `reason`, `message`, `help`, `retry_after`, `scope`) behind [`PREFIX`]; the package's
//! `index.js` turns it into the `OAuth4osError` subclass of its code. The core's messages never
//! hold a token or a secret, so neither does this.

use oauth4os_core::Error;
use oauth4os_core::facade::error_json;

/// Marks a message that carries a serialised core error.
pub const PREFIX: &str = "oauth4os-error:";

/// The JavaScript error for a core error.
pub fn to_js(e: &Error) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("{PREFIX}{}", error_json(e)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth4os_core::Reason;

    #[test]
    fn the_message_carries_the_whole_error_as_json() {
        let e = Error::new(Reason::Expired, "the token expired").with_help("get a new one");
        let js = to_js(&e);
        let payload = js.reason.strip_prefix(PREFIX).unwrap();
        assert_eq!(payload, error_json(&e));
    }
}
