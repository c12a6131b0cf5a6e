//! Target `config`: the proxy's configuration parser over arbitrary text (lossily UTF-8).
//!
//! Invariants: nothing panics and nothing is read from disk; a refusal names the file and the
//! line (`fuzz.toml line N, column M: ...`), has no trailing period and is never `internal`.

use std::path::PathBuf;

use oauth4os_core::ErrorCode;
use oauth4os_proxy::Loaded;

/// The name errors must carry.
pub const SOURCE: &str = "fuzz.toml";

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Loaded::from_str(&text, SOURCE, PathBuf::from("/nonexistent/fuzz")) {
        Ok(loaded) => {
            // What the edge derives from a loaded file must not fail either.
            let _ = loaded.trusted_proxies();
            let _ = loaded.path(std::path::Path::new("relative/key.pem"));
        }
        Err(e) => {
            assert!(
                e.message.starts_with(&format!("{SOURCE} line ")),
                "the error does not say where: {} ({})",
                e.message,
                e.reason
            );
            assert!(!e.message.ends_with('.'), "trailing period: {}", e.message);
            // The reason is the value's own (`invalid_rate`, `alg_not_allowed`, ...), whatever
            // its code; only a broken invariant may be `internal`.
            assert_ne!(e.code, ErrorCode::Internal, "{}: {}", e.reason, e.message);
        }
    }
}
