//! `[[webhooks]]`: endpoints that receive signed events (the Standard Webhooks layout).
//!
//! The URL must be `https://`, or `http://` to a loopback address; the secret (`whsec_` and
//! base64, as Standard Webhooks prints it) comes from an environment variable or a file, never
//! from the configuration file itself.

use std::net::IpAddr;
use std::path::PathBuf;

use oauth4os_core::admin::WebhookEventType;
use oauth4os_core::error::quote;
use oauth4os_core::{Error, Reason};
use serde::Deserialize;

use super::typed::{self, FromConfig};

/// One `[[webhooks]]` endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    /// Where events are POSTed.
    #[serde(deserialize_with = "typed::one")]
    pub url: WebhookUrl,
    /// Environment variable holding the signing secret (`whsec_<base64>`).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// File holding the signing secret (`whsec_<base64>`).
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// The event types sent; every type when absent.
    #[serde(default, deserialize_with = "typed::list")]
    pub events: Vec<WebhookEventType>,
    /// How long an attempt may take, in milliseconds (default 10 000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts before an event becomes a dead letter (default 12).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The wait after the first failure, in milliseconds, doubled after each further one
    /// (default 1 000); each wait is drawn between half of it and all of it (jitter).
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    /// The longest wait between two attempts, in milliseconds (default 3 600 000, an hour).
    #[serde(default = "default_backoff_cap_ms")]
    pub backoff_cap_ms: u64,
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_max_attempts() -> u32 {
    12
}

fn default_backoff_base_ms() -> u64 {
    1_000
}

fn default_backoff_cap_ms() -> u64 {
    3_600_000
}

/// Bounds of the numbers of an endpoint.
pub const TIMEOUT_MS: std::ops::RangeInclusive<u64> = 100..=300_000;
/// Bounds of `max_attempts`.
pub const MAX_ATTEMPTS: std::ops::RangeInclusive<u32> = 1..=100;
/// Bounds of `backoff_base_ms` and `backoff_cap_ms`.
pub const BACKOFF_MS: std::ops::RangeInclusive<u64> = 10..=86_400_000;

impl WebhookEndpoint {
    /// Checks what serde cannot: a secret source, the numbers' bounds. On error, the key
    /// (below `webhooks[i]`) and the error.
    pub fn check(&self) -> Result<(), (&'static str, Error)> {
        let bad = |key, msg: String| Err((key, Error::new(Reason::InvalidWebhook, msg)));
        match (&self.secret_env, &self.secret_file) {
            (Some(_), Some(_)) => {
                return bad(
                    "secret_file",
                    "set `secret_env` or `secret_file`, not both".into(),
                );
            }
            (None, None) => {
                return Err((
                    "url",
                    Error::new(
                        Reason::MissingSecret,
                        "a webhook needs its signing secret: set `secret_env` or `secret_file`",
                    )
                    .with_help("generate one with `echo whsec_$(openssl rand -base64 32)`"),
                ));
            }
            _ => {}
        }
        if !TIMEOUT_MS.contains(&self.timeout_ms) {
            return bad(
                "timeout_ms",
                format!(
                    "must be between {} and {}, not {}",
                    TIMEOUT_MS.start(),
                    TIMEOUT_MS.end(),
                    self.timeout_ms
                ),
            );
        }
        if !MAX_ATTEMPTS.contains(&self.max_attempts) {
            return bad(
                "max_attempts",
                format!(
                    "must be between {} and {}, not {}",
                    MAX_ATTEMPTS.start(),
                    MAX_ATTEMPTS.end(),
                    self.max_attempts
                ),
            );
        }
        for (key, v) in [
            ("backoff_base_ms", self.backoff_base_ms),
            ("backoff_cap_ms", self.backoff_cap_ms),
        ] {
            if !BACKOFF_MS.contains(&v) {
                return bad(
                    key,
                    format!(
                        "must be between {} and {}, not {v}",
                        BACKOFF_MS.start(),
                        BACKOFF_MS.end()
                    ),
                );
            }
        }
        if self.backoff_cap_ms < self.backoff_base_ms {
            return bad(
                "backoff_cap_ms",
                "must not be below `backoff_base_ms`".into(),
            );
        }
        Ok(())
    }

    /// The event types it wants: those listed, or every one.
    pub fn event_types(&self) -> Vec<WebhookEventType> {
        if self.events.is_empty() {
            WebhookEventType::ALL.to_vec()
        } else {
            self.events.clone()
        }
    }
}

impl FromConfig for WebhookEventType {
    fn from_config(s: &str) -> Result<Self, Error> {
        WebhookEventType::from_wire(s).ok_or_else(|| {
            let known: Vec<&str> = WebhookEventType::ALL.iter().map(|t| t.as_str()).collect();
            Error::new(
                Reason::InvalidWebhook,
                format!(
                    "{} is not a webhook event type (known: {})",
                    quote(s),
                    known.join(", ")
                ),
            )
        })
    }
}

/// A webhook endpoint URL: `https://`, or `http://` to a loopback address; a host, no
/// credentials, no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(a) => IpAddr::V4(*a).is_loopback(),
        url::Host::Ipv6(a) => IpAddr::V6(*a).is_loopback(),
    }
}

impl FromConfig for WebhookUrl {
    fn from_config(s: &str) -> Result<Self, Error> {
        // A URL with credentials is never repeated in the message.
        let shown = if s.contains('@') {
            "the webhook URL".to_owned()
        } else {
            quote(s)
        };
        let bad = |why: &str| Error::new(Reason::InvalidWebhook, format!("{shown} {why}"));
        let url = url::Url::parse(s).map_err(|_| bad("is not an absolute URL"))?;
        let host = url.host().ok_or_else(|| bad("has no host"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("cannot carry credentials (sign with `secret_env`)"));
        }
        if url.fragment().is_some() {
            return Err(bad("cannot have a fragment"));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(bad(
                    "is plain http to a host that is not loopback: webhooks need https",
                )
                .with_help("use an https:// URL (http:// is accepted for 127.0.0.1, [::1] and localhost only)"));
            }
            _ => return Err(bad("is not an https:// URL")),
        }
        Ok(Self(url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_https_except_to_loopback() {
        for ok in [
            "https://hooks.example/oauth4os",
            "https://10.0.0.1:8443/h?x=1",
            "http://127.0.0.1:9999/h",
            "http://[::1]:9999/h",
            "http://localhost/h",
        ] {
            assert!(WebhookUrl::from_config(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("http://hooks.example/h", "not loopback"),
            ("http://10.0.0.1/h", "not loopback"),
            ("ftp://hooks.example/h", "not an https"),
            ("hooks.example/h", "not an absolute URL"),
            ("https://user:pw@hooks.example/h", "credentials"),
            ("https://hooks.example/h#frag", "fragment"),
        ] {
            let e = WebhookUrl::from_config(bad).unwrap_err();
            assert_eq!(e.reason, Reason::InvalidWebhook, "{bad}");
            assert!(e.message.contains(says), "{bad}: {}", e.message);
            assert!(!e.message.contains("pw@"), "{}", e.message);
        }
    }
}
