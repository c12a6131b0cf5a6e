//! JWKS discovery and caching for one issuer.
//!
//! - Discovery reads the issuer's RFC 8414 metadata, falling back to OpenID Connect discovery,
//!   and insists that the document's `issuer` is exactly the configured one.
//! - Keys are cached. An unknown `kid` triggers a refresh, but at most once per
//!   `min_refresh_interval` per issuer, and concurrent callers share one fetch: a flood of
//!   tokens with random `kid`s cannot amplify into requests to the provider.
//! - Keys older than `ttl` are refreshed on use; while the provider is down the cached keys keep
//!   working until they are `max_stale` old.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::error::Reason;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpTransport};
use crate::jwk::{KeySet, VerifyingKey};
use crate::jws::Algorithm;

/// Refresh and staleness settings.
#[derive(Debug, Clone, Copy)]
pub struct JwksPolicy {
    /// Least time between two fetches triggered by unknown `kid`s (default 30 s).
    pub min_refresh_interval: Duration,
    /// Age after which keys are refreshed on use (default 10 min).
    pub ttl: Duration,
    /// Age after which cached keys are no longer used when the provider is down (default 24 h).
    pub max_stale: Duration,
}

impl Default for JwksPolicy {
    fn default() -> Self {
        Self {
            min_refresh_interval: Duration::from_secs(30),
            ttl: Duration::from_secs(600),
            max_stale: Duration::from_secs(24 * 3600),
        }
    }
}

/// Where an issuer's metadata lives: RFC 8414 first, then OpenID Connect Discovery.
pub fn metadata_urls(issuer: &str) -> Vec<String> {
    let trimmed = issuer.trim_end_matches('/');
    let mut urls = Vec::with_capacity(2);
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    if let Some(scheme_end) = trimmed.find("://") {
        let after = scheme_end + 3;
        let (origin, path) = match trimmed.get(after..).and_then(|rest| rest.find('/')) {
            Some(i) => trimmed.split_at(after + i),
            None => (trimmed, ""),
        };
        urls.push(format!(
            "{origin}/.well-known/oauth-authorization-server{path}"
        ));
    }
    urls.push(format!("{trimmed}/.well-known/openid-configuration"));
    urls
}

/// RFC 8414 / OpenID Connect discovery metadata: the protocol type shared with the server.
pub type ProviderMetadata = crate::protocol::AuthorizationServerMetadata;

/// Fetches and validates the metadata of `issuer`.
pub async fn discover(transport: &dyn HttpTransport, issuer: &str) -> Result<ProviderMetadata> {
    let mut last = Error::new(Reason::DiscoveryFailed, "the issuer publishes no metadata");
    for url in metadata_urls(issuer) {
        let resp = match transport.send(HttpRequest::get(&url)).await {
            Ok(r) => r,
            Err(e) => {
                last = e;
                continue;
            }
        };
        if resp.status != 200 {
            last = Error::new(
                Reason::DiscoveryFailed,
                format!("metadata request answered HTTP {}", resp.status),
            );
            continue;
        }
        let meta: ProviderMetadata = serde_json::from_slice(&resp.body).map_err(|_| {
            Error::new(
                Reason::DiscoveryFailed,
                "the issuer's metadata is not valid JSON metadata",
            )
        })?;
        if meta.issuer != issuer {
            return Err(Error::new(
                Reason::IssuerMismatch,
                "the metadata's `issuer` differs from the configured issuer",
            )
            .with_help("configure the issuer exactly as the provider spells it"));
        }
        return Ok(meta);
    }
    Err(last)
}

#[derive(Debug, Default)]
struct State {
    keys: Arc<KeySet>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    jwks_uri: Option<String>,
}

/// The cached keys of one issuer.
pub struct JwksCache {
    issuer: String,
    algorithms: Vec<Algorithm>,
    policy: JwksPolicy,
    transport: Arc<dyn HttpTransport>,
    state: RwLock<State>,
    fetch: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// A cache for `issuer`, discovering its JWKS URL unless `jwks_uri` is given.
    pub fn new(
        issuer: &str,
        jwks_uri: Option<String>,
        algorithms: Vec<Algorithm>,
        policy: JwksPolicy,
        transport: Arc<dyn HttpTransport>,
    ) -> Self {
        Self {
            issuer: issuer.to_owned(),
            algorithms,
            policy,
            transport,
            state: RwLock::new(State {
                jwks_uri,
                ..State::default()
            }),
            fetch: tokio::sync::Mutex::new(()),
        }
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn snapshot(&self) -> (Arc<KeySet>, Option<Instant>, Option<Instant>) {
        match self.state.read() {
            Ok(s) => (s.keys.clone(), s.fetched_at, s.last_attempt),
            Err(poisoned) => {
                let s = poisoned.into_inner();
                (s.keys.clone(), s.fetched_at, s.last_attempt)
            }
        }
    }

    /// The current keys, fetching them if there are none or they are older than the ttl.
    pub async fn keys(&self) -> Result<Arc<KeySet>> {
        let (keys, fetched_at, _) = self.snapshot();
        if fetched_at.is_some_and(|t| t.elapsed() < self.policy.ttl) {
            return Ok(keys);
        }
        let fetched = self.refresh(true).await;
        let (keys, fetched_at, _) = self.snapshot();
        let usable =
            !keys.is_empty() && fetched_at.is_some_and(|t| t.elapsed() < self.policy.max_stale);
        match fetched {
            Ok(k) => Ok(k),
            Err(_) if usable => Ok(keys),
            Err(e) => Err(e),
        }
    }

    /// The key for `kid`, refreshing once (rate-limited) if it is unknown.
    pub async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Vec<VerifyingKey>> {
        let keys = self.keys().await?;
        if let Some(found) = lookup(&keys, kid, alg) {
            return Ok(found);
        }
        // Unknown kid: maybe the provider rotated. Refresh at most once per interval.
        let keys = self.refresh(false).await.unwrap_or(keys);
        lookup(&keys, kid, alg)
            .ok_or_else(|| Error::new(Reason::UnknownKid, "no key of the issuer matches the token"))
    }

    /// Fetches the JWKS now unless a fetch happened within the minimum interval
    /// (or, with `due`, the keys are not stale any more because another caller refreshed).
    async fn refresh(&self, due: bool) -> Result<Arc<KeySet>> {
        let _guard = self.fetch.lock().await;
        let (keys, fetched_at, last_attempt) = self.snapshot();
        if due && fetched_at.is_some_and(|t| t.elapsed() < self.policy.ttl) {
            return Ok(keys);
        }
        if last_attempt.is_some_and(|t| t.elapsed() < self.policy.min_refresh_interval) {
            let too_old = fetched_at.is_none_or(|t| t.elapsed() >= self.policy.max_stale);
            return if keys.is_empty() || too_old {
                Err(Error::new(
                    Reason::JwksUnavailable,
                    "the issuer's keys could not be fetched recently",
                ))
            } else {
                Ok(keys)
            };
        }
        self.with_state(|s| s.last_attempt = Some(Instant::now()));
        let fetched = self.fetch_keys().await?;
        let fetched = Arc::new(fetched);
        self.with_state(|s| {
            s.keys = fetched.clone();
            s.fetched_at = Some(Instant::now());
        });
        Ok(fetched)
    }

    fn with_state(&self, f: impl FnOnce(&mut State)) {
        match self.state.write() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    async fn fetch_keys(&self) -> Result<KeySet> {
        let known_uri = match self.state.read() {
            Ok(s) => s.jwks_uri.clone(),
            Err(p) => p.into_inner().jwks_uri.clone(),
        };
        let uri = match known_uri {
            Some(u) => u,
            None => {
                let meta = discover(self.transport.as_ref(), &self.issuer).await?;
                let uri = meta.jwks_uri.ok_or_else(|| {
                    Error::new(
                        Reason::DiscoveryFailed,
                        "the issuer's metadata has no `jwks_uri`",
                    )
                })?;
                self.with_state(|s| s.jwks_uri = Some(uri.clone()));
                uri
            }
        };
        let resp = self.transport.send(HttpRequest::get(&uri)).await?;
        if resp.status != 200 {
            return Err(Error::new(
                Reason::JwksUnavailable,
                format!("the JWKS request answered HTTP {}", resp.status),
            ));
        }
        KeySet::from_jwks(&resp.body, &self.algorithms)
    }
}

fn lookup(keys: &KeySet, kid: Option<&str>, alg: Algorithm) -> Option<Vec<VerifyingKey>> {
    let found = keys.keys_for(kid, alg);
    (!found.is_empty()).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_follow_rfc_8414_path_insertion() {
        assert_eq!(
            metadata_urls("https://idp.example"),
            vec![
                "https://idp.example/.well-known/oauth-authorization-server",
                "https://idp.example/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("https://idp.example/tenant1/"),
            vec![
                "https://idp.example/.well-known/oauth-authorization-server/tenant1",
                "https://idp.example/tenant1/.well-known/openid-configuration"
            ]
        );
    }
}
