//! Per-client and per-scope rate limits with GCRA, the generic cell rate algorithm.
//!
//! A [`Rate`] of `n` requests per `period` with burst `b` behaves like a bucket of `b` tokens
//! refilled at `n` per `period`: a client may send `b` requests at once, then one every
//! `period / n`. Over any interval of length `t`, at most `b + n * t / period` requests pass.
//! GCRA keeps a single number per key, the theoretical arrival time (TAT), and is exact: the
//! arithmetic is done in integer nanoseconds scaled by `n`, so `retry_after` is never off by a
//! rounding error.
//!
//! The [`RateLimiter`] is synchronous and runtime-agnostic: callers pass the current
//! [`Instant`], which also makes it testable with an injected clock. It is safe to share between
//! threads and tasks; each check takes one short lock on the shard that holds the client.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Reason;
use crate::error::{Error, Result, quote};

/// The longest period a rate may have.
pub const MAX_PERIOD: Duration = Duration::from_secs(86_400);

/// How many clients a [`RateLimiter`] tracks at most, unless told otherwise.
pub const DEFAULT_MAX_CLIENTS: usize = 100_000;

/// A rate limit: `requests` per `period`, with bursts of up to `burst` requests.
///
/// Written `<requests>/<period>[ burst <burst>]`, e.g. `100/s`, `6000/min`, `10/s burst 20` or
/// `5/10s`. Period units are `ms`, `s`, `min`, `h` and `d` (also `sec`, `second(s)`,
/// `minute(s)`, `hour(s)`, `day(s)`), optionally preceded by a count. Without `burst`, the
/// burst is `requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    requests: u32,
    period: Duration,
    burst: u32,
}

impl Rate {
    /// `requests` per `period`, with bursts of up to `burst`. The counts must be positive and
    /// the period a whole number of milliseconds, at most [`MAX_PERIOD`].
    pub fn new(requests: u32, period: Duration, burst: u32) -> Result<Self> {
        let bad = |why: &str| {
            Error::new(Reason::InvalidRate, format!("invalid rate: {why}")).with_help(RATE_HELP)
        };
        if requests == 0 {
            return Err(bad("the number of requests must be at least 1"));
        }
        if burst == 0 {
            return Err(bad("the burst must be at least 1"));
        }
        if period.is_zero()
            || period > MAX_PERIOD
            || !period.subsec_nanos().is_multiple_of(1_000_000)
        {
            return Err(bad(
                "the period must be a whole number of milliseconds, up to a day",
            ));
        }
        Ok(Self {
            requests,
            period,
            burst,
        })
    }

    /// `requests` per second, with bursts of up to `requests`.
    pub fn per_second(requests: u32) -> Result<Self> {
        Self::new(requests, Duration::from_secs(1), requests)
    }

    /// `requests` per minute, with bursts of up to `requests`.
    pub fn per_minute(requests: u32) -> Result<Self> {
        Self::new(requests, Duration::from_secs(60), requests)
    }

    /// The same rate with another burst.
    pub fn with_burst(self, burst: u32) -> Result<Self> {
        Self::new(self.requests, self.period, burst)
    }

    /// Requests per period.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The largest burst.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The steady rate in requests per second.
    pub fn per_second_f64(&self) -> f64 {
        f64::from(self.requests) / self.period.as_secs_f64()
    }

    fn period_nanos(&self) -> u128 {
        self.period.as_nanos()
    }
}

const RATE_HELP: &str = "write `<requests>/<period>[ burst <n>]`, e.g. `100/s`, `6000/min` or \
                         `10/s burst 20`";

/// Period units, longest first for display.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("min", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

fn unit_millis(unit: &str) -> Option<u64> {
    Some(match unit {
        "ms" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "second" | "seconds" => 1_000,
        "min" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return None,
    })
}

impl FromStr for Rate {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::new(
                Reason::InvalidRate,
                format!("invalid rate {}: {why}", quote(s)),
            )
            .with_help(RATE_HELP)
        };
        let count = |text: &str, what: &str| -> Result<u32> {
            let text = text.trim();
            match text.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                Ok(_) => Err(bad(&format!("the {what} must be at least 1"))),
                Err(_) => Err(bad(&format!("the {what} {} is not a number", quote(text)))),
            }
        };
        let (rate, burst) = match s.split_once("burst") {
            Some((rate, burst)) => (rate, Some(count(burst, "burst")?)),
            None => (s, None),
        };
        let Some((requests, period)) = rate.split_once('/') else {
            return Err(bad("expected `<requests>/<period>`"));
        };
        let requests = count(requests, "number of requests")?;
        let period = period.trim();
        let digits = period
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(period.len());
        let (multiplier, unit) = period.split_at_checked(digits).unwrap_or(("", period));
        let multiplier = if multiplier.is_empty() {
            1
        } else {
            count(multiplier, "period")?
        };
        let Some(millis) = unit_millis(unit.trim()) else {
            return Err(bad(&format!(
                "unknown period unit {} (use `ms`, `s`, `min`, `h` or `d`)",
                quote(unit.trim())
            )));
        };
        let period = Duration::from_millis(u64::from(multiplier).saturating_mul(millis));
        if period > MAX_PERIOD {
            return Err(bad("the period is longer than a day"));
        }
        Self::new(requests, period, burst.unwrap_or(requests))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = u64::try_from(self.period.as_millis()).unwrap_or(u64::MAX);
        let (unit, size) = UNITS
            .into_iter()
            .find(|(_, size)| millis.is_multiple_of(*size))
            .unwrap_or(("ms", 1));
        let count = millis / size;
        write!(f, "{}/", self.requests)?;
        if count != 1 {
            write!(f, "{count}")?;
        }
        f.write_str(unit)?;
        if self.burst != self.requests {
            write!(f, " burst {}", self.burst)?;
        }
        Ok(())
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A request was refused by a rate limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    /// How long until the same request would pass.
    pub retry_after: Duration,
    /// The scope whose limit refused the request, or `None` for the client's own limit.
    pub scope: Option<String>,
}

impl RateLimited {
    /// `retry_after` in whole seconds, rounded up, at least 1: the `Retry-After` header value.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        let rounded = if self.retry_after.subsec_nanos() > 0 {
            secs.saturating_add(1)
        } else {
            secs
        };
        rounded.max(1)
    }

    /// The public error: code `rate_limited`, with `retry_after` set.
    pub fn to_error(&self) -> Error {
        let secs = self.retry_after_secs();
        let (reason, message) = match &self.scope {
            None => (
                Reason::ClientRateLimit,
                "too many requests from this client".to_owned(),
            ),
            Some(scope) => (
                Reason::ScopeRateLimit,
                format!("too many requests with scope {}", quote(scope)),
            ),
        };
        let unit = if secs == 1 { "second" } else { "seconds" };
        Error::new(reason, message)
            .with_help(format!("retry in {secs} {unit}"))
            .with_retry_after(secs)
    }
}

impl From<RateLimited> for Error {
    fn from(limited: RateLimited) -> Self {
        limited.to_error()
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_error().fmt(f)
    }
}

impl std::error::Error for RateLimited {}

/// GCRA state for one key.
#[derive(Debug, Clone, Copy)]
struct Cell {
    /// The rate the state was computed for; another rate starts afresh.
    rate: Rate,
    /// The theoretical arrival time, in nanoseconds since the limiter's epoch times
    /// `rate.requests`.
    tat: u128,
}

impl Cell {
    /// Nanoseconds since the epoch at which this key is back to a full burst.
    fn recovered_at(&self) -> u128 {
        self.tat / u128::from(self.rate.requests)
    }
}

/// Checks one request against `rate`: the new TAT if it conforms, else how long to wait.
fn gcra(cell: Option<&Cell>, rate: Rate, now_nanos: u128) -> std::result::Result<u128, Duration> {
    let n = u128::from(rate.requests);
    let now = now_nanos * n;
    let increment = rate.period_nanos();
    let tolerance = u128::from(rate.burst - 1) * increment;
    let tat = match cell {
        Some(cell) if cell.rate == rate => cell.tat.max(now),
        _ => now,
    };
    let conforms_at = tat.saturating_sub(tolerance);
    if now < conforms_at {
        let wait = (conforms_at - now).div_ceil(n);
        Err(Duration::from_nanos(
            u64::try_from(wait).unwrap_or(u64::MAX),
        ))
    } else {
        Ok(tat + increment)
    }
}

/// The limits state of one client.
#[derive(Debug, Default)]
struct ClientState {
    client: Option<Cell>,
    /// One cell per scope limit the client has hit; bounded by the configured scope limits.
    scopes: Vec<(String, Cell)>,
}

impl ClientState {
    fn recovered_at(&self) -> u128 {
        let scopes = self.scopes.iter().map(|(_, c)| c.recovered_at());
        self.client
            .iter()
            .map(Cell::recovered_at)
            .chain(scopes)
            .max()
            .unwrap_or(0)
    }
}

type Shard = Mutex<HashMap<String, ClientState>>;

/// A non-empty list of shards.
#[derive(Debug)]
struct Shards {
    first: Shard,
    rest: Vec<Shard>,
}

impl Shards {
    fn len(&self) -> usize {
        self.rest.len() + 1
    }

    fn get(&self, i: usize) -> &Shard {
        match i.checked_sub(1) {
            Some(j) => self.rest.get(j).unwrap_or(&self.first),
            None => &self.first,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Shard> {
        std::iter::once(&self.first).chain(&self.rest)
    }
}

#[derive(Debug, Default)]
struct Rates {
    clients: HashMap<String, Rate>,
    scopes: HashMap<String, Rate>,
}

/// Rate limits per client and per (client, scope).
///
/// The client limit is the one set with [`set_client_rate`](Self::set_client_rate), else the
/// default rate; a scope limit set with [`set_scope_rate`](Self::set_scope_rate) applies to
/// each client separately, to the requests that pass that scope to [`check`](Self::check).
///
/// Memory is bounded: at most `max_clients` clients are tracked. When a new client would
/// exceed it, clients whose limits have fully recovered are dropped first, which changes
/// nothing as their state equals a fresh one; if none has, the one closest to recovery is.
#[derive(Debug)]
pub struct RateLimiter {
    default_rate: Option<Rate>,
    rates: RwLock<Rates>,
    shards: Shards,
    max_per_shard: usize,
    hasher: RandomState,
    /// The first instant seen; times are kept as nanoseconds since it.
    epoch: OnceLock<Instant>,
}

impl RateLimiter {
    /// A limiter applying `default_rate` to every client without its own rate, tracking up
    /// to [`DEFAULT_MAX_CLIENTS`] clients.
    pub fn new(default_rate: Option<Rate>) -> Self {
        Self::with_max_clients(default_rate, DEFAULT_MAX_CLIENTS)
    }

    /// A limiter tracking at most `max_clients` clients (at least 1).
    pub fn with_max_clients(default_rate: Option<Rate>, max_clients: usize) -> Self {
        let max_clients = max_clients.max(1);
        // About a thousand clients per shard, at most 16 shards.
        let shards = (max_clients / 1024).clamp(1, 16);
        Self {
            default_rate,
            rates: RwLock::default(),
            shards: Shards {
                first: Mutex::default(),
                rest: (1..shards).map(|_| Mutex::default()).collect(),
            },
            max_per_shard: max_clients.div_ceil(shards),
            hasher: RandomState::new(),
            epoch: OnceLock::new(),
        }
    }

    /// Sets the rate of one client, replacing the default rate for it.
    pub fn set_client_rate(&self, client: &str, rate: Rate) {
        let mut rates = self.rates.write().unwrap_or_else(PoisonError::into_inner);
        rates.clients.insert(client.to_owned(), rate);
    }

    /// Removes the rate of one client: the default rate applies to it again.
    pub fn clear_client_rate(&self, client: &str) {
        let mut rates = self.rates.write().unwrap_or_else(PoisonError::into_inner);
        rates.clients.remove(client);
    }

    /// Sets the rate of a scope, e.g. `write:logs-*`, for each client.
    pub fn set_scope_rate(&self, scope: &str, rate: Rate) {
        let mut rates = self.rates.write().unwrap_or_else(PoisonError::into_inner);
        rates.scopes.insert(scope.to_owned(), rate);
    }

    /// Counts a request of `client` that uses `scopes` against the client's limit and the
    /// limit of each of those scopes that has one. The request is counted only if every limit
    /// lets it through; otherwise nothing is counted and the longest wait is returned.
    pub fn check(
        &self,
        client: &str,
        scopes: &[&str],
        now: Instant,
    ) -> std::result::Result<(), RateLimited> {
        let (client_rate, scope_rates) = {
            let rates = self.rates.read().unwrap_or_else(PoisonError::into_inner);
            let client_rate = rates.clients.get(client).copied().or(self.default_rate);
            let mut scope_rates: Vec<(&str, Rate)> = Vec::new();
            if !rates.scopes.is_empty() {
                for (i, scope) in scopes.iter().enumerate() {
                    let repeated = scopes.get(..i).is_some_and(|before| before.contains(scope));
                    if let Some(rate) = rates.scopes.get(*scope).filter(|_| !repeated) {
                        scope_rates.push((scope, *rate));
                    }
                }
            }
            (client_rate, scope_rates)
        };
        if client_rate.is_none() && scope_rates.is_empty() {
            return Ok(());
        }
        let t = self.nanos(now);
        let mut shard = self
            .shard(client)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let state = shard.get(client);

        // Decide everything before changing anything.
        let mut refusal: Option<RateLimited> = None;
        let mut refuse = |wait: Duration, scope: Option<&str>| {
            if refusal.as_ref().is_none_or(|r| wait > r.retry_after) {
                refusal = Some(RateLimited {
                    retry_after: wait,
                    scope: scope.map(str::to_owned),
                });
            }
        };
        let client_tat = match client_rate {
            Some(rate) => match gcra(state.and_then(|s| s.client.as_ref()), rate, t) {
                Ok(tat) => Some(Cell { rate, tat }),
                Err(wait) => {
                    refuse(wait, None);
                    None
                }
            },
            None => None,
        };
        let mut scope_tats = Vec::with_capacity(scope_rates.len());
        for (scope, rate) in &scope_rates {
            let cell = state.and_then(|s| s.scopes.iter().find(|(k, _)| k == scope));
            match gcra(cell.map(|(_, c)| c), *rate, t) {
                Ok(tat) => scope_tats.push((*scope, Cell { rate: *rate, tat })),
                Err(wait) => refuse(wait, Some(scope)),
            }
        }
        if let Some(refusal) = refusal {
            return Err(refusal);
        }

        if !shard.contains_key(client) {
            self.make_room(&mut shard, t);
            shard.insert(client.to_owned(), ClientState::default());
        }
        if let Some(state) = shard.get_mut(client) {
            if client_tat.is_some() {
                state.client = client_tat;
            }
            for (scope, cell) in scope_tats {
                match state.scopes.iter_mut().find(|(k, _)| k == scope) {
                    Some((_, existing)) => *existing = cell,
                    None => state.scopes.push((scope.to_owned(), cell)),
                }
            }
        }
        Ok(())
    }

    /// Number of clients tracked.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether no client is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every client whose limits have fully recovered by `now`; this changes no
    /// decision. Optional: a full shard does it by itself.
    pub fn purge(&self, now: Instant) {
        let t = self.nanos(now);
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            shard.retain(|_, state| state.recovered_at() > t);
        }
    }

    /// Frees a slot in a full shard: recovered clients first, else the closest to recovery.
    fn make_room(&self, shard: &mut HashMap<String, ClientState>, t: u128) {
        if shard.len() < self.max_per_shard {
            return;
        }
        shard.retain(|_, state| state.recovered_at() > t);
        while shard.len() >= self.max_per_shard {
            let oldest = shard
                .iter()
                .min_by_key(|(_, state)| state.recovered_at())
                .map(|(client, _)| client.clone());
            match oldest {
                Some(client) => shard.remove(&client),
                None => break,
            };
        }
    }

    fn shard(&self, client: &str) -> &Shard {
        let n = self.shards.len() as u64;
        let i = usize::try_from(self.hasher.hash_one(client) % n).unwrap_or(0);
        self.shards.get(i)
    }

    fn nanos(&self, now: Instant) -> u128 {
        let epoch = *self.epoch.get_or_init(|| now);
        now.saturating_duration_since(epoch).as_nanos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use proptest::prelude::*;

    fn rate(s: &str) -> Rate {
        s.parse().unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn rates_parse_and_display() {
        let cases = [
            ("100/s", "100/s", 100, 1_000, 100),
            ("6000/min", "6000/min", 6000, 60_000, 6000),
            ("10/s burst 20", "10/s burst 20", 10, 1_000, 20),
            (" 10 / second  burst 1 ", "10/s burst 1", 10, 1_000, 1),
            ("5/10s", "5/10s", 5, 10_000, 5),
            ("1/250ms", "1/250ms", 1, 250, 1),
            ("3/hour", "3/h", 3, 3_600_000, 3),
            ("7/d", "7/d", 7, 86_400_000, 7),
            ("2/90s", "2/90s", 2, 90_000, 2),
        ];
        for (text, shown, requests, period_ms, burst) in cases {
            let r = rate(text);
            assert_eq!(
                (r.requests(), r.period(), r.burst()),
                (requests, ms(period_ms), burst),
                "{text}"
            );
            assert_eq!(r.to_string(), shown);
            assert_eq!(rate(shown), r);
        }
        assert_eq!(rate("6000/min").per_second_f64(), 100.0);
        assert_eq!(
            Rate::per_second(10).unwrap().with_burst(20).unwrap(),
            rate("10/s burst 20")
        );
        assert_eq!(Rate::per_minute(60).unwrap(), rate("60/min"));
    }

    #[test]
    fn bad_rates_are_config_errors() {
        for text in [
            "",
            "100",
            "0/s",
            "-1/s",
            "x/s",
            "10/fortnight",
            "10/",
            "10/0s",
            "10/s burst 0",
            "10/s burst",
            "10/s burst x",
            "1/2d",
            "99999999999/s",
        ] {
            let e = text.parse::<Rate>().unwrap_err();
            assert_eq!(
                (e.code, e.reason.as_str()),
                (ErrorCode::Config, "invalid_rate"),
                "{text}"
            );
            assert!(e.message.starts_with("invalid rate `"), "{}", e.message);
            assert!(e.help.is_some());
        }
        assert!(Rate::new(1, Duration::from_micros(1500), 1).is_err());
        assert!(Rate::new(1, Duration::ZERO, 1).is_err());
    }

    #[test]
    fn rates_serialise_as_strings() {
        let r = rate("10/s burst 20");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"10/s burst 20\"");
        assert_eq!(
            serde_json::from_str::<Rate>("\"6000/min\"").unwrap(),
            rate("6000/min")
        );
        assert!(serde_json::from_str::<Rate>("\"fast\"").is_err());
    }

    #[test]
    fn a_burst_is_allowed_then_denied() {
        let limiter = RateLimiter::new(Some(rate("10/s burst 5")));
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(limiter.check("a", &[], t0), Ok(()), "request {i}");
        }
        let denied = limiter.check("a", &[], t0).unwrap_err();
        assert_eq!(denied.scope, None);
        assert_eq!(denied.retry_after, ms(100));
    }

    #[test]
    fn retry_after_is_exact() {
        // 3 per second: one every 333.33 ms, which no whole number of nanoseconds is.
        let limiter = RateLimiter::new(Some(rate("3/s burst 2")));
        let t0 = Instant::now();
        limiter.check("a", &[], t0).unwrap();
        limiter.check("a", &[], t0).unwrap();
        let wait = limiter.check("a", &[], t0).unwrap_err().retry_after;
        assert_eq!(wait, Duration::from_nanos(333_333_334)); // rounded up
        let just_before = t0 + wait - Duration::from_nanos(1);
        assert_eq!(
            limiter
                .check("a", &[], just_before)
                .unwrap_err()
                .retry_after,
            Duration::from_nanos(1)
        );
        assert_eq!(limiter.check("a", &[], t0 + wait), Ok(()));

        // Without burst, requests pass exactly one interval apart.
        let limiter = RateLimiter::new(Some(rate("4/s burst 1")));
        for k in 0..6u64 {
            let at = t0 + ms(250 * k);
            assert_eq!(limiter.check("a", &[], at), Ok(()), "request {k}");
            assert_eq!(
                limiter.check("a", &[], at).unwrap_err().retry_after,
                ms(250)
            );
        }
    }

    #[test]
    fn the_error_rounds_retry_after_up_to_whole_seconds() {
        let limited = |d: Duration| RateLimited {
            retry_after: d,
            scope: None,
        };
        assert_eq!(limited(ms(1)).retry_after_secs(), 1);
        assert_eq!(limited(Duration::ZERO).retry_after_secs(), 1);
        assert_eq!(limited(ms(1000)).retry_after_secs(), 1);
        assert_eq!(limited(ms(1001)).retry_after_secs(), 2);
        let e = limited(ms(59_500)).to_error();
        assert_eq!(
            (e.code, e.reason.as_str(), e.retry_after),
            (ErrorCode::RateLimited, "client_rate_limit", Some(60))
        );
        assert_eq!(e.message, "too many requests from this client");
        assert_eq!(e.help.as_deref(), Some("retry in 60 seconds"));
        let scoped = RateLimited {
            retry_after: ms(10),
            scope: Some("write:logs-*".into()),
        };
        let e: Error = scoped.into();
        assert_eq!(e.reason, "scope_rate_limit");
        assert_eq!(e.message, "too many requests with scope `write:logs-*`");
        assert_eq!(e.retry_after, Some(1));
    }

    #[test]
    fn capacity_refills_over_time() {
        let limiter = RateLimiter::new(Some(rate("2/s burst 2")));
        let t0 = Instant::now();
        assert!(limiter.check("a", &[], t0).is_ok());
        assert!(limiter.check("a", &[], t0).is_ok());
        assert!(limiter.check("a", &[], t0).is_err());
        // One token back after 500 ms, not two.
        assert!(limiter.check("a", &[], t0 + ms(500)).is_ok());
        assert!(limiter.check("a", &[], t0 + ms(500)).is_err());
        // A long pause refills the burst but no more.
        let later = t0 + Duration::from_secs(60);
        assert!(limiter.check("a", &[], later).is_ok());
        assert!(limiter.check("a", &[], later).is_ok());
        assert!(limiter.check("a", &[], later).is_err());
    }

    #[test]
    fn clients_are_isolated() {
        let limiter = RateLimiter::new(Some(rate("1/s")));
        limiter.set_client_rate("big", rate("3/s"));
        let t0 = Instant::now();
        assert!(limiter.check("a", &[], t0).is_ok());
        assert!(limiter.check("a", &[], t0).is_err());
        assert!(limiter.check("b", &[], t0).is_ok());
        for _ in 0..3 {
            assert!(limiter.check("big", &[], t0).is_ok());
        }
        assert!(limiter.check("big", &[], t0).is_err());
    }

    #[test]
    fn no_limit_means_no_state() {
        let limiter = RateLimiter::new(None);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.check("a", &["read:*"], t0).is_ok());
        }
        assert!(limiter.is_empty());
    }

    #[test]
    fn scope_limits_apply_per_client_and_scope() {
        let limiter = RateLimiter::new(Some(rate("100/s")));
        limiter.set_scope_rate("write:logs-*", rate("2/s"));
        let t0 = Instant::now();
        let write = ["read:logs-*", "write:logs-*"];
        assert!(limiter.check("a", &write, t0).is_ok());
        assert!(limiter.check("a", &write, t0).is_ok());
        let denied = limiter.check("a", &write, t0).unwrap_err();
        assert_eq!(denied.scope.as_deref(), Some("write:logs-*"));
        assert_eq!(denied.retry_after, ms(500));
        // Other scopes and other clients are not held back.
        assert!(limiter.check("a", &["read:logs-*"], t0).is_ok());
        assert!(limiter.check("b", &write, t0).is_ok());
        // A scope listed twice counts once.
        assert!(
            limiter
                .check("c", &["write:logs-*", "write:logs-*"], t0)
                .is_ok()
        );
        assert!(limiter.check("c", &["write:logs-*"], t0).is_ok());
    }

    #[test]
    fn a_denied_request_consumes_nothing() {
        let limiter = RateLimiter::new(Some(rate("1/s burst 3")));
        limiter.set_scope_rate("write:x", rate("1/s burst 1"));
        let t0 = Instant::now();
        assert!(limiter.check("a", &["write:x"], t0).is_ok());
        // Refused by the scope limit: the client limit must not be charged.
        for _ in 0..10 {
            assert!(limiter.check("a", &["write:x"], t0).is_err());
        }
        assert!(limiter.check("a", &[], t0).is_ok());
        assert!(limiter.check("a", &[], t0).is_ok());
        let denied = limiter.check("a", &[], t0).unwrap_err();
        assert_eq!((denied.scope, denied.retry_after), (None, ms(1000)));
        // When both refuse, the longer wait is reported.
        let both = limiter.check("a", &["write:x"], t0).unwrap_err();
        assert_eq!(both.retry_after, ms(1000));
    }

    #[test]
    fn changing_a_rate_starts_afresh() {
        let limiter = RateLimiter::new(Some(rate("1/min")));
        let t0 = Instant::now();
        assert!(limiter.check("a", &[], t0).is_ok());
        assert!(limiter.check("a", &[], t0).is_err());
        limiter.set_client_rate("a", rate("2/min"));
        assert!(limiter.check("a", &[], t0).is_ok());
    }

    #[test]
    fn eviction_keeps_memory_bounded() {
        let limiter = RateLimiter::with_max_clients(Some(rate("1/s")), 100);
        let t0 = Instant::now();
        for i in 0..10_000 {
            assert!(limiter.check(&format!("client-{i}"), &[], t0).is_ok());
            assert!(limiter.len() <= 100);
        }
        let big = RateLimiter::new(Some(rate("1/s")));
        for i in 0..5_000 {
            big.check(&format!("client-{i}"), &[], t0).unwrap();
        }
        assert_eq!(big.len(), 5_000);
        big.purge(t0 + ms(999));
        assert_eq!(big.len(), 5_000);
        big.purge(t0 + ms(1000));
        assert!(big.is_empty());
    }

    #[test]
    fn recovered_clients_are_evicted_before_throttled_ones() {
        let limiter = RateLimiter::with_max_clients(Some(rate("1/min")), 2);
        let t0 = Instant::now();
        limiter.set_client_rate("idle", rate("1/s"));
        assert!(limiter.check("busy", &[], t0).is_ok());
        assert!(limiter.check("idle", &[], t0).is_ok());
        // At t0 + 1 s `idle` has recovered and `busy` has not: `idle` makes room.
        let t1 = t0 + Duration::from_secs(1);
        assert!(limiter.check("new", &[], t1).is_ok());
        assert_eq!(limiter.len(), 2);
        assert!(
            limiter.check("busy", &[], t1).is_err(),
            "busy must still be throttled"
        );
        // Nobody has recovered: the client closest to recovery (busy, since t0) goes.
        assert!(limiter.check("newer", &[], t1).is_ok());
        assert_eq!(limiter.len(), 2);
        assert!(limiter.check("new", &[], t1).is_err());
    }

    #[test]
    fn it_is_shareable_between_threads() {
        let limiter = std::sync::Arc::new(RateLimiter::new(Some(rate("1000/s"))));
        let t0 = Instant::now();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let limiter = limiter.clone();
                std::thread::spawn(move || {
                    (0..500)
                        .filter(|_| limiter.check("shared", &[], t0).is_ok())
                        .count()
                })
            })
            .collect();
        let allowed: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(allowed, 1000);
    }

    fn arb_rate() -> impl Strategy<Value = Rate> {
        (1u32..50, 1u64..5_000, 1u32..20)
            .prop_map(|(n, period, burst)| Rate::new(n, ms(period), burst).unwrap())
    }

    proptest! {
        /// GCRA's guarantee: from the first request to any later moment, the requests let
        /// through never exceed `burst + requests * elapsed / period`.
        #[test]
        fn never_more_than_burst_plus_rate_times_elapsed(
            rate in arb_rate(),
            steps in proptest::collection::vec((0u64..200_000_000, 1usize..4), 1..200),
        ) {
            let limiter = RateLimiter::new(Some(rate));
            let t0 = Instant::now();
            let mut elapsed = 0u64;
            let mut allowed = 0u128;
            for (gap, count) in steps {
                elapsed += gap;
                for _ in 0..count {
                    if limiter.check("a", &[], t0 + Duration::from_nanos(elapsed)).is_ok() {
                        allowed += 1;
                    }
                }
                let bound = u128::from(rate.burst()) * rate.period().as_nanos()
                    + u128::from(elapsed) * u128::from(rate.requests());
                prop_assert!(allowed * rate.period().as_nanos() <= bound);
            }
        }

        /// A refused request is let through exactly `retry_after` later, not a nanosecond
        /// sooner, whatever happened before.
        #[test]
        fn retry_after_is_the_exact_wait(
            client in arb_rate(),
            scope in arb_rate(),
            steps in proptest::collection::vec((0u64..100_000_000, any::<bool>()), 1..100),
        ) {
            let limiter = RateLimiter::new(Some(client));
            limiter.set_scope_rate("s", scope);
            let t0 = Instant::now();
            let mut elapsed = 0u64;
            for (gap, with_scope) in steps {
                elapsed += gap;
                let scopes: &[&str] = if with_scope { &["s"] } else { &[] };
                let now = t0 + Duration::from_nanos(elapsed);
                if let Err(refused) = limiter.check("a", scopes, now) {
                    let wait = refused.retry_after;
                    prop_assert!(!wait.is_zero());
                    if wait > Duration::from_nanos(1) {
                        let early = now + wait - Duration::from_nanos(1);
                        prop_assert!(limiter.check("a", scopes, early).is_err());
                    }
                    prop_assert!(limiter.check("a", scopes, now + wait).is_ok());
                    elapsed += u64::try_from(wait.as_nanos()).unwrap();
                }
            }
        }
    }
}
