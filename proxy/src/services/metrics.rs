//! Prometheus metrics with bounded label sets: route classes, status codes, fixed reasons.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use oauth4os_core::Error;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    decision: &'static str,
}

/// The proxy's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    auth_failures: Family<ReasonLabels, Counter>,
    rate_limited: Counter,
    upstream_latency: Histogram,
    /// The counters of `requests`, resolved once per (route class, status): the hot path does
    /// an atomic load instead of hashing the labels under the family's lock.
    request_counters: Box<[std::sync::OnceLock<Counter>]>,
    allowed: Counter,
    denied: Counter,
}

const ROUTES: [&str; 6] = ["oauth", "well_known", "admin", "ops", "mcp", "proxy"];
const STATUSES: std::ops::Range<u16> = 100..600;

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("oauth4os");
        let requests = Family::<RouteLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests by route class and status",
            requests.clone(),
        );
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "auth_failures",
            "Refused proxied requests by reason",
            auth_failures.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "policy_decisions",
            "Authorization decisions",
            decisions.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "rate_limited",
            "Requests refused by the rate limiter",
            rate_limited.clone(),
        );
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let upstream_latency = Histogram::new(buckets);
        registry.register(
            "upstream_latency_seconds",
            "Time to OpenSearch's response headers",
            upstream_latency.clone(),
        );
        let allowed = decisions
            .get_or_create(&DecisionLabels { decision: "allow" })
            .clone();
        let denied = decisions
            .get_or_create(&DecisionLabels { decision: "deny" })
            .clone();
        let slots = ROUTES.len() * STATUSES.len();
        Self {
            registry,
            requests,
            auth_failures,
            rate_limited,
            upstream_latency,
            request_counters: (0..slots).map(|_| std::sync::OnceLock::new()).collect(),
            allowed,
            denied,
        }
    }

    /// Counts a refused request.
    pub fn auth_failure(&self, e: &Error) {
        // The label is the core's `Reason`: a fixed vocabulary, so the series stay bounded.
        let reason = e.reason.as_str().to_owned();
        self.auth_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Counts a policy decision.
    pub fn decision(&self, allowed: bool) {
        if allowed {
            self.allowed.inc();
        } else {
            self.denied.inc();
        }
    }

    /// Counts a finished request.
    fn request(&self, route: &'static str, status: u16) {
        let slot = ROUTES.iter().position(|r| *r == route).and_then(|r| {
            STATUSES
                .contains(&status)
                .then(|| r * STATUSES.len() + usize::from(status - STATUSES.start))
        });
        let labels = || RouteLabels { route, status };
        match slot.and_then(|i| self.request_counters.get(i)) {
            Some(cell) => cell
                .get_or_init(|| self.requests.get_or_create(&labels()).clone())
                .inc(),
            None => self.requests.get_or_create(&labels()).inc(),
        };
    }

    /// Counts a rate-limit refusal.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Records an upstream round trip.
    pub fn upstream_latency(&self, d: Duration) {
        self.upstream_latency.observe(d.as_secs_f64());
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// The same metrics in the classic Prometheus text format (0.0.4), for scrapers and tools
    /// that do not ask for OpenMetrics: counter families are named with their `_total` suffix,
    /// and the OpenMetrics-only `# UNIT` and `# EOF` lines are left out.
    pub fn render_classic(&self) -> String {
        classic(&self.render())
    }
}

/// OpenMetrics text → classic Prometheus text.
fn classic(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = line
            .strip_prefix("# HELP ")
            .map(|r| ("# HELP ", r))
            .or_else(|| line.strip_prefix("# TYPE ").map(|r| ("# TYPE ", r)));
        match meta {
            Some((kind, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let suffix = if counters.contains(name) {
                    "_total"
                } else {
                    ""
                };
                out.push_str(&format!("{kind}{name}{suffix} {tail}"));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn route_class(path: &str) -> &'static str {
    if path.starts_with("/oauth/") {
        "oauth"
    } else if path.starts_with("/.well-known/") {
        "well_known"
    } else if path.starts_with("/admin/") {
        "admin"
    } else if matches!(path, "/health" | "/ready" | "/metrics") {
        "ops"
    } else if matches!(path, "/mcp" | "/mcp/" | "/docs/mcp") {
        // The MCP endpoint takes these paths from the OpenSearch front (an index named `mcp`
        // is still reached through `/mcp/_search` and the like).
        "mcp"
    } else {
        "proxy"
    }
}

/// Middleware: counts every request by route class and status, and logs it (never a token).
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    observe(&metrics, &method, &uri, next.run(req)).await
}

/// Runs `handler` for one request, then counts it, gives its answer an `x-request-id` and logs
/// it (method, path, status, time; never a query string, header or token).
pub async fn observe(
    metrics: &Metrics,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    handler: impl std::future::Future<Output = Response>,
) -> Response {
    let path = uri.path();
    let route = route_class(path);
    let id = request_id();
    let started = Instant::now();
    let mut resp = handler.await;
    let status = resp.status().as_u16();
    metrics.request(route, status);
    let id = id.as_str();
    if let Ok(v) = axum::http::HeaderValue::from_str(id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    tracing::info!(request_id = %id, %method, path = %path, route, status, elapsed_ms = started.elapsed().as_millis() as u64, "request");
    resp
}

/// A request id: 24 hex digits, a random prefix drawn once per process followed by a counter,
/// so ids are unique across restarts and cost no random draw per request.
struct RequestId([u8; 24]);

impl RequestId {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("0")
    }
}

fn request_id() -> RequestId {
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut b = [0u8; 4];
        let _ = aws_lc_rs::rand::fill(&mut b);
        u32::from_le_bytes(b)
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let value = (u128::from(prefix) << 64) | u128::from(n);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'0'; 24];
    for (i, c) in out.iter_mut().rev().enumerate() {
        let nibble = (value >> (4 * i)) & 0xf;
        *c = HEX.get(nibble as usize).copied().unwrap_or(b'0');
    }
    RequestId(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_hex_of_fixed_length() {
        let a = request_id();
        let b = request_id();
        assert_eq!(a.as_str().len(), 24);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.as_str()[..8], b.as_str()[..8], "one prefix per process");
    }

    #[test]
    fn request_counters_resolve_to_the_labelled_family() {
        let m = Metrics::new();
        m.request("proxy", 200);
        m.request("proxy", 200);
        m.request("oauth", 401);
        m.request("proxy", 999);
        let text = m.render();
        assert!(
            text.contains("oauth4os_requests_total{route=\"proxy\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("oauth4os_requests_total{route=\"oauth\",status=\"401\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("oauth4os_requests_total{route=\"proxy\",status=\"999\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn the_classic_format_names_counters_with_total_and_drops_eof() {
        let om = "# HELP x_requests Requests.\n# TYPE x_requests counter\nx_requests_total{a=\"b\"} 1\n# HELP x_lat Latency.\n# TYPE x_lat histogram\n# UNIT x_lat seconds\nx_lat_sum 0.5\n# EOF\n";
        let c = classic(om);
        assert_eq!(
            c,
            "# HELP x_requests_total Requests.\n# TYPE x_requests_total counter\nx_requests_total{a=\"b\"} 1\n# HELP x_lat Latency.\n# TYPE x_lat histogram\nx_lat_sum 0.5\n"
        );
    }
}
