//! Scroll and point-in-time continuations: requests that go on reading a search context opened
//! earlier. The context already fixed which indices are read, so a continuation is judged by
//! who opened it (see [`crate::decision`]): the ids are collected here.

use serde::{Deserialize, Serialize};

use super::path::Segment;

/// The kind of search context a continuation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuationKind {
    /// A scroll (`_search/scroll`), by its `_scroll_id`.
    Scroll,
    /// A point in time, by its `pit_id`.
    Pit,
}

/// One search context a request continues.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Continuation {
    /// Scroll or point in time.
    pub kind: ContinuationKind,
    /// The context's id, as OpenSearch issued it.
    pub id: String,
}

/// The contexts an already routed request continues: scroll ids in the path, the `scroll_id`
/// parameter or the body (`scroll`), point-in-time ids to delete (`pit`), or the `pit.id` of a
/// search. `_all` names no context. A body that is not JSON names none (OpenSearch refuses it).
pub(super) fn continuations(
    endpoint: &str,
    method: &str,
    segments: &[Segment<'_>],
    scroll_id: Option<&str>,
    body: &[u8],
) -> Vec<Continuation> {
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| -> Vec<String> {
        match value.as_ref().and_then(|v| v.get(name)) {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let (kind, mut ids) = match endpoint {
        "scroll" => {
            let mut ids = field("scroll_id");
            ids.extend(scroll_id.map(str::to_owned));
            if let Some(s) = segments.get(2) {
                ids.push(s.text.to_string());
            }
            (ContinuationKind::Scroll, ids)
        }
        "pit" if method == "DELETE" => (ContinuationKind::Pit, field("pit_id")),
        "search" => {
            let id = value
                .as_ref()
                .and_then(|v| v.pointer("/pit/id"))
                .and_then(|i| i.as_str())
                .map(str::to_owned);
            (ContinuationKind::Pit, id.into_iter().collect())
        }
        _ => return Vec::new(),
    };
    ids.retain(|i| !i.is_empty() && i != "_all");
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| Continuation { kind, id })
        .collect()
}
