//! Binding scroll and point-in-time contexts to the client that opened them: the answer to a
//! request that opens (or renews) one carries its id first; the proxy reads that id from the
//! first bytes while streaming the answer on, and remembers who opened it and what it read.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use http_body_util::BodyExt as _;

use axum::body::Body;
use oauth4os_core::classify::{Access, ContinuationKind, Resource};
use oauth4os_core::decision::{Decision, Opened};

use crate::services::contexts::{Contexts, id_in, keep_alive};

/// How far into an answer the id is looked for (OpenSearch writes it first).
const PEEK: usize = 64 * 1024;
/// The keep-alive assumed when a request renews a context without saying for how long.
const DEFAULT_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(3600);

/// What an allowed request will open or renew, if anything: the context kind, the answer field
/// holding its id, and its keep-alive.
pub struct Opening {
    kind: ContinuationKind,
    field: &'static str,
    keep_alive: std::time::Duration,
    opened: Opened,
}

fn param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The context `decision` (allowed, for `client_id` in `tenant`) opens or renews.
pub fn opening(
    decision: &Decision,
    query: Option<&str>,
    body: &[u8],
    client_id: &str,
    tenant: &str,
) -> Option<Opening> {
    let json = || serde_json::from_slice::<serde_json::Value>(body).ok();
    let text_at = |v: Option<serde_json::Value>, pointer: &str| {
        v.and_then(|v| {
            v.pointer(pointer)
                .and_then(|s| s.as_str().map(str::to_owned))
        })
    };
    let (kind, field, alive) = match decision.endpoint? {
        "search" if param(query, "scroll").is_some() => (
            ContinuationKind::Scroll,
            "_scroll_id",
            param(query, "scroll").map(str::to_owned),
        ),
        "search" => {
            let v = json()?;
            v.pointer("/pit/id")?;
            (
                ContinuationKind::Pit,
                "pit_id",
                text_at(Some(v), "/pit/keep_alive"),
            )
        }
        "scroll" => (
            ContinuationKind::Scroll,
            "_scroll_id",
            param(query, "scroll")
                .map(str::to_owned)
                .or_else(|| text_at(json(), "/scroll")),
        ),
        "pit_create" => (
            ContinuationKind::Pit,
            "pit_id",
            param(query, "keep_alive").map(str::to_owned),
        ),
        _ => return None,
    };
    let accesses = decision
        .accesses
        .iter()
        .map(|a| Access {
            action: a.action,
            resource: a.index.clone().map_or(Resource::Cluster, Resource::Index),
        })
        .collect();
    Some(Opening {
        kind,
        field,
        keep_alive: alive
            .as_deref()
            .and_then(keep_alive)
            .unwrap_or(DEFAULT_KEEP_ALIVE),
        opened: Opened {
            client_id: client_id.to_owned(),
            tenant: tenant.to_owned(),
            accesses,
        },
    })
}

/// Streams `body` on, binding the context whose id its first bytes carry to `opening`.
pub async fn bind<B>(contexts: &Contexts, opening: Opening, mut body: B) -> Body
where
    B: axum::body::HttpBody<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<axum::BoxError>,
{
    let mut head = BytesMut::new();
    let mut failed = None;
    while head.len() < PEEK {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                    if id_in(&head, opening.field).is_some() {
                        break;
                    }
                }
            }
            Some(Err(e)) => {
                failed = Some(e.into());
                break;
            }
            None => break,
        }
    }
    if let Some(id) = id_in(&head, opening.field) {
        contexts.bind(opening.kind, &id, opening.opened, opening.keep_alive);
    }
    let first = futures_util::stream::iter([Ok::<Bytes, axum::BoxError>(head.freeze())]);
    match failed {
        Some(e) => Body::from_stream(first.chain(futures_util::stream::iter([Err(e)]))),
        None => {
            Body::from_stream(first.chain(body.into_data_stream().map(|r| r.map_err(Into::into))))
        }
    }
}
