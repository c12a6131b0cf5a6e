//! The delivery worker: a tokio task that claims due deliveries from the store's outbox and
//! delivers them, a bounded number at a time, each in its own task.

use std::sync::Arc;
use std::time::Duration;

use oauth4os_core::admin::DeliveryStatus;
use oauth4os_core::verify::unix_now;
use oauth4os_core::{Error, Reason, Result};
use tokio::sync::Semaphore;

use super::{Endpoint, Webhooks};
use crate::services::store::{OutboxDelivery, Store};

/// How often the outbox is looked at when nothing was due (a read, never a write).
const POLL: Duration = Duration::from_millis(200);
/// Deliveries in flight at once.
const IN_FLIGHT: usize = 16;
/// How much longer than the attempt's timeout a claim lasts: a delivery is attempted again
/// only when its previous attempt cannot still be running.
const LEASE_MARGIN_MS: i64 = 5_000;
/// Longest error text kept with a delivery.
const MAX_ERROR_LEN: usize = 200;

/// The running worker; stops when dropped.
#[derive(Debug)]
pub struct Worker(tokio::task::JoinHandle<()>);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn random_u64() -> u64 {
    crate::services::secrets::random_bytes::<8>().map_or(0, u64::from_le_bytes)
}

/// The HTTP client of the worker: no redirects (a receiver answers, it does not send us
/// elsewhere), each attempt's timeout set per endpoint.
fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("oauth4os-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            Error::new(
                Reason::HttpClient,
                format!("cannot build the webhook HTTP client: {e}"),
            )
        })
}

impl Webhooks {
    /// Starts delivering from `store`'s outbox.
    pub fn spawn(self: &Arc<Self>, store: Arc<dyn Store>) -> Result<Worker> {
        let http = client()?;
        let hooks = self.clone();
        Ok(Worker(tokio::spawn(async move {
            hooks.run(store, http).await;
        })))
    }

    async fn run(self: Arc<Self>, store: Arc<dyn Store>, http: reqwest::Client) {
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        let lease_ms = i64::try_from(self.longest_timeout().as_millis())
            .unwrap_or(i64::MAX)
            .saturating_add(LEASE_MARGIN_MS);
        loop {
            let free = slots.available_permits();
            let now = now_ms();
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                store
                    .claim_webhook_deliveries(now, now.saturating_add(lease_ms), free)
                    .await
            };
            let claimed = match claimed {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: cannot claim deliveries");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::time::sleep(POLL).await;
                continue;
            }
            for d in claimed {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (hooks, store, http) = (self.clone(), store.clone(), http.clone());
                tokio::spawn(async move {
                    hooks.deliver(&*store, &http, d).await;
                    drop(permit);
                });
            }
        }
    }

    /// One attempt of one claimed delivery, and its outcome recorded.
    async fn deliver(&self, store: &dyn Store, http: &reqwest::Client, d: OutboxDelivery) {
        let Some(endpoint) = self.endpoint(&d.endpoint) else {
            // Its endpoint left the configuration: a dead letter at once (replayable if it
            // comes back).
            let r = store
                .mark_webhook_failed(
                    d.id.clone(),
                    "the endpoint is no longer configured".into(),
                    now_ms(),
                    0,
                )
                .await;
            if let Err(e) = r {
                tracing::warn!(id = %d.id, error = %e, "webhooks: cannot record a failure");
            }
            return;
        };
        let outcome = attempt(http, endpoint, &d).await;
        let recorded = match outcome {
            Ok(()) => store
                .mark_webhook_delivered(d.id.clone(), unix_now())
                .await
                .map(|_| {
                    tracing::debug!(id = %d.id, endpoint = %d.endpoint, attempts = d.attempts, "webhook delivered");
                }),
            Err(why) => {
                let wait = endpoint.backoff.delay_ms(d.attempts, random_u64());
                let next = now_ms().saturating_add(i64::try_from(wait).unwrap_or(i64::MAX));
                let status = store
                    .mark_webhook_failed(d.id.clone(), why.clone(), next, endpoint.max_attempts)
                    .await;
                status.map(|s| match s {
                    Some(DeliveryStatus::Dead) => tracing::warn!(
                        id = %d.id, endpoint = %d.endpoint, attempts = d.attempts, error = %why,
                        "webhook delivery failed for the last time: dead letter"
                    ),
                    _ => tracing::info!(
                        id = %d.id, endpoint = %d.endpoint, attempts = d.attempts, error = %why,
                        retry_in_ms = wait, "webhook delivery failed; retrying"
                    ),
                })
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the delivery is attempted again: at least once.
            tracing::warn!(id = %d.id, error = %e, "webhooks: cannot record an attempt");
        }
    }
}

/// POSTs one delivery: `Ok` on a 2xx answer, else why not (no secret, no body echoed).
async fn attempt(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    d: &OutboxDelivery,
) -> std::result::Result<(), String> {
    let timestamp = unix_now();
    let signature = endpoint.secret.sign(&d.id, timestamp, d.body.as_bytes());
    let sent = http
        .post(&endpoint.url)
        .timeout(endpoint.timeout)
        .header("content-type", "application/json")
        .header("webhook-id", &d.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(d.body.clone())
        .send()
        .await;
    let why = match sent {
        Ok(r) if r.status().is_success() => return Ok(()),
        Ok(r) => format!("the endpoint answered {}", r.status().as_u16()),
        Err(e) if e.is_timeout() => format!("no answer within {} ms", endpoint.timeout.as_millis()),
        Err(e) if e.is_connect() => "cannot connect to the endpoint".to_owned(),
        Err(_) => "the request to the endpoint failed".to_owned(),
    };
    Err(why.chars().take(MAX_ERROR_LEN).collect())
}
