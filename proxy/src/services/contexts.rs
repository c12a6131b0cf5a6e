//! Scroll and point-in-time contexts opened through the proxy: who opened each and what the
//! opening request was allowed to read, so that a continuation is judged by its opener (see
//! `oauth4os_core::decision`). Kept in memory, per process, keyed by a SHA-256 of the id (the id
//! itself is a bearer capability and is never kept), until the context's keep-alive runs out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oauth4os_core::classify::{Continuation, ContinuationKind};
use oauth4os_core::decision::Opened;

use super::secrets::sha256;

/// At most this many contexts are remembered; past it, the oldest are forgotten (their
/// continuations then need `read:*`).
const CAPACITY: usize = 100_000;
/// The longest keep-alive honoured.
const LONGEST: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug)]
struct Entry {
    opened: Opened,
    until: Instant,
}

/// The contexts opened through this proxy.
#[derive(Debug, Default)]
pub struct Contexts {
    entries: Mutex<HashMap<(ContinuationKind, [u8; 32]), Entry>>,
}

fn key(kind: ContinuationKind, id: &str) -> (ContinuationKind, [u8; 32]) {
    (kind, sha256(id.as_bytes()))
}

/// A keep-alive as OpenSearch writes it (`30s`, `1m`, `2h`, `1d`, `500ms`), capped at a day;
/// `None` when it does not parse.
pub fn keep_alive(text: &str) -> Option<Duration> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (n, unit) = text.split_at(digits);
    let n: u64 = n.parse().ok()?;
    let d = match unit {
        "d" => Duration::from_secs(n.checked_mul(86_400)?),
        "h" => Duration::from_secs(n.checked_mul(3_600)?),
        "m" => Duration::from_secs(n.checked_mul(60)?),
        "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "micros" | "nanos" => Duration::from_millis(1),
        _ => return None,
    };
    Some(d.min(LONGEST))
}

impl Contexts {
    /// Remembers that `opened` opened (or renewed) the context `id`, for `keep_alive`.
    pub fn bind(&self, kind: ContinuationKind, id: &str, opened: Opened, keep_alive: Duration) {
        let now = Instant::now();
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| e.until > now);
            if entries.len() >= CAPACITY
                && let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.until).map(|(k, _)| *k)
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            key(kind, id),
            Entry {
                opened,
                until: now + keep_alive.min(LONGEST),
            },
        );
    }

    /// Who opened the context a continuation names, if it is known and alive.
    pub fn opened(&self, c: &Continuation) -> Option<Opened> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&key(c.kind, &c.id))
            .filter(|e| e.until > Instant::now())
            .map(|e| e.opened.clone())
    }
}

/// The id a search answer carries after `"<field>":"` in its first bytes (OpenSearch writes
/// `_scroll_id` and `pit_id` first), if any.
pub fn id_in(head: &[u8], field: &str) -> Option<String> {
    let needle = format!("\"{field}\":\"");
    let at = head
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())?;
    let rest = head.get(at + needle.len()..)?;
    let end = rest.iter().position(|b| *b == b'"')?;
    let id = std::str::from_utf8(rest.get(..end)?).ok()?;
    (!id.is_empty() && !id.contains('\\')).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth4os_core::classify::{Access, Resource};
    use oauth4os_core::scope::Action;

    fn opened(client: &str) -> Opened {
        Opened {
            client_id: client.to_owned(),
            tenant: "default".to_owned(),
            accesses: vec![Access {
                action: Action::Read,
                resource: Resource::Index("logs-*".to_owned()),
            }],
        }
    }

    #[test]
    fn a_context_is_known_by_its_id_until_its_keep_alive_runs_out() {
        let c = Contexts::default();
        c.bind(
            ContinuationKind::Scroll,
            "abc",
            opened("a"),
            Duration::from_secs(60),
        );
        let scroll = |id: &str| Continuation {
            kind: ContinuationKind::Scroll,
            id: id.to_owned(),
        };
        assert_eq!(c.opened(&scroll("abc")).unwrap().client_id, "a");
        assert!(c.opened(&scroll("abd")).is_none());
        // The same id as a point in time is another context.
        assert!(
            c.opened(&Continuation {
                kind: ContinuationKind::Pit,
                id: "abc".to_owned()
            })
            .is_none()
        );
        c.bind(ContinuationKind::Scroll, "old", opened("a"), Duration::ZERO);
        assert!(c.opened(&scroll("old")).is_none());
    }

    #[test]
    fn keep_alives_and_ids_are_read_as_opensearch_writes_them() {
        assert_eq!(keep_alive("1m"), Some(Duration::from_secs(60)));
        assert_eq!(keep_alive("30s"), Some(Duration::from_secs(30)));
        assert_eq!(keep_alive("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(keep_alive("9d"), Some(LONGEST));
        assert_eq!(keep_alive("1x"), None);
        assert_eq!(keep_alive(""), None);
        assert_eq!(
            id_in(br#"{"_scroll_id":"FGluY2x1ZGU=","took":1"#, "_scroll_id").as_deref(),
            Some("FGluY2x1ZGU=")
        );
        assert_eq!(
            id_in(br#"{"pit_id":"o463QQ","_shards""#, "pit_id").as_deref(),
            Some("o463QQ")
        );
        assert_eq!(id_in(br#"{"took":1,"hits""#, "_scroll_id"), None);
        assert_eq!(id_in(br#"{"_scroll_id":"unterminated"#, "_scroll_id"), None);
    }
}
