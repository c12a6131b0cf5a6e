//! Client secrets: how they are stored and checked.
//!
//! - Secrets written in the configuration file are argon2id PHC strings. Argon2 is slow on
//!   purpose, so after one successful verification the SHA-256 of the secret is cached in
//!   memory (keyed by client and by the stored hash, so a changed hash invalidates it) and later
//!   presentations are compared with it in constant time. A failed attempt never fills the cache.
//! - Secrets the server generates (the admin API) are 256-bit random, so a plain SHA-256 is
//!   enough to store them: `sha256:<base64url>`.
//! - Every failed check costs one argon2 verification, against a dummy hash when the client is
//!   unknown, so an unknown client and a wrong secret cannot be told apart, by answer or by time.
//!   Concurrent argon2 work is bounded by a semaphore, and each source address (an IPv6
//!   address by its /64) may start at most `secret_checks_per_ip` of them (default 30 a
//!   minute): past that, the answer is 429 before any argon2 work, so wrong secrets cannot keep
//!   the machine's cores busy. A client whose secret is cached never reaches that limit.

use oauth4os_core::Reason;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth4os_core::ratelimit::{Rate, RateLimiter};
use oauth4os_core::{Error, Result};
use tokio::sync::Semaphore;

/// Source addresses whose slow checks are tracked at once (the oldest recovered are dropped).
const TRACKED_SOURCES: usize = 16_384;

/// The key a source is limited by: the address, or an IPv6 address's /64 (one host's share).
fn source_key(source: Option<std::net::IpAddr>) -> String {
    match source {
        None => "-".to_owned(),
        Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Some(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
}

/// A check refused because its source started too many slow checks; retry after this many
/// seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled(pub u64);

/// Longest secret accepted, in bytes.
pub const MAX_SECRET_LEN: usize = 1024;
const SHA256_PREFIX: &str = "sha256:";

/// A stored secret, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretHash {
    /// An argon2id PHC string.
    Argon2id(String),
    /// The SHA-256 of a server-generated random secret.
    Sha256([u8; 32]),
}

impl SecretHash {
    /// Parses a stored hash: `$argon2id$...` or `sha256:<base64url of 32 bytes>`.
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(b64) = s.strip_prefix(SHA256_PREFIX) {
            let bytes = URL_SAFE_NO_PAD.decode(b64).ok()?;
            return <[u8; 32]>::try_from(bytes).ok().map(SecretHash::Sha256);
        }
        let phc = PasswordHash::new(s).ok()?;
        (phc.algorithm.as_str() == Algorithm::Argon2id.ident().as_str())
            .then(|| SecretHash::Argon2id(s.to_owned()))
    }
}

/// Whether two secrets (tokens, verifiers, CSRF values) are equal, in constant time.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, data).as_ref());
    out
}

/// `n` random bytes.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    aws_lc_rs::rand::fill(&mut out)
        .map_err(|_| Error::internal("the system random generator failed"))?;
    Ok(out)
}

/// Hashes `secret` as an argon2id PHC string with the default parameters (19 MiB, t=2, p=1).
pub fn hash_secret(secret: &str) -> Result<String> {
    hash_secret_with(secret, Params::default())
}

/// Hashes `secret` as an argon2id PHC string with `params`.
pub(crate) fn hash_secret_with(secret: &str, params: Params) -> Result<String> {
    if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
        return Err(Error::new(
            Reason::InvalidSecret,
            format!("a client secret must be 1 to {MAX_SECRET_LEN} bytes long"),
        ));
    }
    let salt = random_bytes::<16>()?;
    Argon2::new(Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_with_salt(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::internal("argon2 hashing failed"))
}

/// A new server-generated secret and its stored form (`sha256:...`), for the admin API.
pub fn generate_secret() -> Result<(String, String)> {
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let stored = sha256_stored_form(&secret);
    Ok((secret, stored))
}

/// The `sha256:...` stored form of a high-entropy secret (server-generated, or the admin
/// secret from the environment, which is held in memory only).
pub fn sha256_stored_form(secret: &str) -> String {
    format!(
        "{SHA256_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(sha256(secret.as_bytes()))
    )
}

fn argon2_verify(secret: &[u8], phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default().verify_password(secret, &hash).is_ok(),
        Err(_) => false,
    }
}

#[derive(Debug, Clone, Copy)]
struct Cached {
    /// SHA-256 of the stored PHC string the secret was verified against.
    stored: [u8; 32],
    /// SHA-256 of the secret.
    secret: [u8; 32],
}

/// Checks presented secrets against stored hashes, with the digest cache.
#[derive(Debug)]
pub struct SecretVerifier {
    cache: RwLock<HashMap<String, Cached>>,
    argon2_slots: Arc<Semaphore>,
    /// Slow (argon2) checks started per source address.
    slow_checks: Option<RateLimiter>,
    /// Argon2 verifications run so far.
    argon2_runs: std::sync::atomic::AtomicU64,
    /// Verified against when the client is unknown, so that failure always costs the same.
    dummy: String,
}

impl SecretVerifier {
    /// A verifier whose dummy hash uses the parameters of `like` (a stored argon2id hash),
    /// or argon2's defaults; each source may start `per_source` argon2 checks (`None`: no
    /// limit).
    pub fn new(like: Option<&str>, per_source: Option<Rate>) -> Result<Self> {
        let params = like
            .and_then(|s| PasswordHash::new(s).ok())
            .and_then(|h| Params::try_from(&h).ok())
            .unwrap_or_default();
        let dummy_secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            cache: RwLock::new(HashMap::new()),
            argon2_slots: Arc::new(Semaphore::new(slots)),
            argon2_runs: std::sync::atomic::AtomicU64::new(0),
            slow_checks: per_source
                .map(|r| RateLimiter::with_max_clients(Some(r), TRACKED_SOURCES)),
            dummy: hash_secret_with(&dummy_secret, params)?,
        })
    }

    /// Whether `secret` is the secret of `client_id` whose stored hash is `stored` (`None`:
    /// the client is unknown; the answer is then `false`, after the same work), presented from
    /// `source`; [`Throttled`] when that needs an argon2 check and `source` has started too
    /// many.
    pub async fn verify(
        &self,
        client_id: &str,
        stored: Option<&str>,
        secret: &str,
        source: Option<std::net::IpAddr>,
    ) -> std::result::Result<bool, Throttled> {
        let presented = sha256(secret.as_bytes());
        let parsed = stored.and_then(SecretHash::parse);
        let phc = match parsed {
            Some(SecretHash::Sha256(want)) => {
                if verify_slices_are_equal(&presented, &want).is_ok() {
                    return Ok(true);
                }
                None
            }
            Some(SecretHash::Argon2id(phc)) => {
                if self.cached_match(client_id, &phc, &presented) {
                    return Ok(true);
                }
                Some(phc)
            }
            None => None,
        };
        if let Some(limiter) = &self.slow_checks {
            limiter
                .check(&source_key(source), &[], std::time::Instant::now())
                .map_err(|limited| Throttled(limited.retry_after_secs()))?;
        }
        let ok = self.argon2(secret, phc.as_deref()).await;
        if ok && let Some(phc) = phc {
            let entry = Cached {
                stored: sha256(phc.as_bytes()),
                secret: presented,
            };
            if let Ok(mut cache) = self.cache.write() {
                cache.insert(client_id.to_owned(), entry);
            }
        }
        Ok(ok)
    }

    fn cached_match(&self, client_id: &str, phc: &str, presented: &[u8; 32]) -> bool {
        let Ok(cache) = self.cache.read() else {
            return false;
        };
        cache.get(client_id).is_some_and(|c| {
            c.stored == sha256(phc.as_bytes())
                && verify_slices_are_equal(&c.secret, presented).is_ok()
        })
    }

    /// One argon2 verification on the blocking pool, against `phc` or the dummy hash (which
    /// never matches).
    async fn argon2(&self, secret: &str, phc: Option<&str>) -> bool {
        let Ok(_slot) = self.argon2_slots.clone().acquire_owned().await else {
            return false;
        };
        self.argon2_runs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let is_real = phc.is_some();
        let phc = phc.unwrap_or(&self.dummy).to_owned();
        let secret = secret.to_owned();
        let ok = tokio::task::spawn_blocking(move || argon2_verify(secret.as_bytes(), &phc))
            .await
            .unwrap_or(false);
        ok && is_real
    }

    /// Argon2 verifications run so far (for tests).
    #[cfg(test)]
    pub(crate) fn argon2_runs(&self) -> u64 {
        self.argon2_runs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a digest is cached for the client (for tests).
    #[cfg(test)]
    pub(crate) fn is_cached(&self, client_id: &str) -> bool {
        self.cache.read().is_ok_and(|c| c.contains_key(client_id))
    }
}

/// 128 random bits, base64url.
pub(crate) fn random_id() -> Result<String, Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<16>()?))
}

/// Cheap argon2id parameters for tests (256 KiB, t=1).
#[cfg(test)]
pub(crate) fn test_hash(secret: &str) -> String {
    let params = Params::new(256, 1, 1, None).unwrap();
    hash_secret_with(secret, params).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_source_may_start_only_so_many_slow_checks() {
        let stored = test_hash("right");
        let v = SecretVerifier::new(Some(&stored), Some(Rate::per_minute(2).unwrap())).unwrap();
        let a: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b_neighbour: std::net::IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        // Two wrong secrets from `a` are checked (and fail); the third is refused unchecked,
        // and so is the right one.
        assert_eq!(
            v.verify("c", Some(&stored), "wrong", Some(a)).await,
            Ok(false)
        );
        assert_eq!(
            v.verify("c", Some(&stored), "wrong", Some(a)).await,
            Ok(false)
        );
        let Err(Throttled(wait)) = v.verify("c", Some(&stored), "wrong", Some(a)).await else {
            panic!("a third slow check from one source within the minute");
        };
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(
            v.verify("c", Some(&stored), "right", Some(a))
                .await
                .is_err()
        );
        assert_eq!(v.argon2_runs(), 2, "refused checks did no argon2 work");
        // Another source is not affected; its right secret is then cached, and a cached
        // secret is never throttled (it costs no argon2 work).
        assert_eq!(
            v.verify("c", Some(&stored), "right", Some(b)).await,
            Ok(true)
        );
        for _ in 0..5 {
            assert_eq!(
                v.verify("c", Some(&stored), "right", Some(a)).await,
                Ok(true)
            );
        }
        assert_eq!(v.argon2_runs(), 3, "cached secrets do no argon2 work");
        // An IPv6 /64 is one source.
        assert_eq!(v.verify("u", None, "x", Some(b_neighbour)).await, Ok(false));
        assert!(v.verify("u", None, "x", Some(b)).await.is_err());
        assert_eq!(
            source_key(Some("::ffff:192.0.2.1".parse().unwrap())),
            "192.0.2.1"
        );
    }

    #[tokio::test]
    async fn without_a_limit_nothing_is_throttled() {
        let stored = test_hash("right");
        let v = SecretVerifier::new(Some(&stored), None).unwrap();
        for _ in 0..5 {
            assert_eq!(v.verify("c", Some(&stored), "wrong", None).await, Ok(false));
        }
    }
}
