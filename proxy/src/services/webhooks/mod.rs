//! Webhooks: signed events (the Standard Webhooks layout) delivered from the store's durable
//! outbox, at least once.
//!
//! - Events are queued by the store, in the transaction that records their audit event (see
//!   [`crate::services::store::WebhookEvent`]); this module only tells the store which endpoint
//!   wants which event types ([`Webhooks::routes`]) and delivers.
//! - The [`worker`] claims due deliveries, POSTs each with `webhook-id` (the idempotency key,
//!   the same on every retry and replay), `webhook-timestamp` and `webhook-signature`
//!   ([`signer`]); a 2xx marks it delivered, anything else (or no answer in time) schedules the
//!   next attempt with exponential backoff and jitter, and after `max_attempts` it is a dead
//!   letter, listed and replayed through the admin API.
//! - A claim leases the delivery for the attempt's timeout and a margin: a proxy killed
//!   mid-delivery leaves it pending, and the next worker (after a restart, or on another
//!   replica) attempts it again with the same id once the lease has run out.

pub mod signer;
pub mod worker;

use std::collections::HashMap;
use std::time::Duration;

use oauth4os_core::admin::WebhookEventType;
use oauth4os_core::{Error, Reason, Result};

use crate::services::config::Loaded;
use crate::services::store::WebhookRoute;
pub use signer::WebhookSecret;
pub use worker::Worker;

/// One endpoint, ready to deliver to.
#[derive(Debug)]
pub struct Endpoint {
    /// Where events are POSTed.
    pub url: String,
    /// The signing key.
    pub secret: WebhookSecret,
    /// The event types it wants.
    pub events: Vec<WebhookEventType>,
    /// How long an attempt may take.
    pub timeout: Duration,
    /// Attempts before a dead letter.
    pub max_attempts: u32,
    /// The backoff between attempts.
    pub backoff: Backoff,
}

/// Exponential backoff with jitter: after the `n`th failed attempt, a wait drawn between half
/// and all of `min(cap, base × 2^(n-1))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait, in milliseconds.
    pub base_ms: u64,
    /// The longest wait, in milliseconds.
    pub cap_ms: u64,
}

impl Backoff {
    /// The longest wait after the `attempts`th failed attempt, before jitter.
    pub fn ceiling_ms(self, attempts: u32) -> u64 {
        let doublings = attempts.saturating_sub(1).min(63);
        self.base_ms
            .saturating_mul(1u64 << doublings)
            .min(self.cap_ms)
    }

    /// The wait after the `attempts`th failed attempt, `random` choosing where in the upper
    /// half of the ceiling it falls.
    pub fn delay_ms(self, attempts: u32, random: u64) -> u64 {
        let ceiling = self.ceiling_ms(attempts);
        let half = ceiling / 2;
        let spread = ceiling - half;
        half + random % spread.saturating_add(1)
    }
}

/// Every configured endpoint, by URL.
#[derive(Debug, Default)]
pub struct Webhooks {
    endpoints: HashMap<String, Endpoint>,
}

fn read_secret(loaded: &Loaded, i: usize) -> Result<WebhookSecret> {
    let Some(w) = loaded.config.webhooks.get(i) else {
        return Err(Error::internal("no such webhook"));
    };
    let (key, text) = match (&w.secret_env, &w.secret_file) {
        (Some(var), _) => (
            "secret_env",
            std::env::var(var).map_err(|_| {
                Error::new(
                    Reason::MissingSecret,
                    format!("environment variable `{var}` is not set"),
                )
            }),
        ),
        (None, Some(file)) => {
            let path = loaded.path(file);
            (
                "secret_file",
                std::fs::read_to_string(&path).map_err(|e| {
                    Error::new(
                        Reason::MissingSecret,
                        format!("cannot read `{}`: {e}", path.display()),
                    )
                }),
            )
        }
        (None, None) => (
            "url",
            Err(Error::new(
                Reason::MissingSecret,
                "a webhook needs `secret_env` or `secret_file`",
            )),
        ),
    };
    text.and_then(|t| WebhookSecret::parse(&t))
        .map_err(|e| loaded.error_at_key(&format!("webhooks[{i}].{key}"), e))
}

impl Webhooks {
    /// The endpoints of the configuration, their secrets read (an error names the file, line
    /// and key); `None` when there are none.
    pub fn from_config(loaded: &Loaded) -> Result<Option<Self>> {
        let mut endpoints = HashMap::new();
        for (i, w) in loaded.config.webhooks.iter().enumerate() {
            let secret = read_secret(loaded, i)?;
            endpoints.insert(
                w.url.to_string(),
                Endpoint {
                    url: w.url.to_string(),
                    secret,
                    events: w.event_types(),
                    timeout: Duration::from_millis(w.timeout_ms),
                    max_attempts: w.max_attempts,
                    backoff: Backoff {
                        base_ms: w.backoff_base_ms,
                        cap_ms: w.backoff_cap_ms,
                    },
                },
            );
        }
        Ok((!endpoints.is_empty()).then_some(Self { endpoints }))
    }

    /// What the store queues, and for whom.
    pub fn routes(&self) -> Vec<WebhookRoute> {
        self.endpoints
            .values()
            .map(|e| WebhookRoute {
                endpoint: e.url.clone(),
                events: e.events.clone(),
            })
            .collect()
    }

    /// The endpoint with this URL.
    pub fn endpoint(&self, url: &str) -> Option<&Endpoint> {
        self.endpoints.get(url)
    }

    /// The longest attempt of any endpoint.
    pub fn longest_timeout(&self) -> Duration {
        self.endpoints
            .values()
            .map(|e| e.timeout)
            .max()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let b = Backoff {
            base_ms: 100,
            cap_ms: 1_000,
        };
        let ceilings: Vec<u64> = (1..=6).map(|n| b.ceiling_ms(n)).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(b.ceiling_ms(u32::MAX), 1_000);
        for r in [0, 1, 77, u64::MAX] {
            let d = b.delay_ms(3, r);
            assert!((200..=400).contains(&d), "{d}");
        }
        assert_eq!(b.delay_ms(3, 0), 200);
        assert_eq!(b.delay_ms(3, 200), 400);
    }
}
