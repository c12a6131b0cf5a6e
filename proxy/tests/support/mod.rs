//! Shared by the proxy's integration tests.
#![allow(dead_code, reason = "each test file uses a different part")]
#![allow(clippy::unwrap_used, reason = "test support")]

use serde_json::Value;

/// Sends a request and reads its JSON answer, failing the test on a transport or JSON error.
pub trait JsonExt {
    /// The answer's JSON body.
    fn value(self) -> impl std::future::Future<Output = Value> + Send;
}

impl JsonExt for reqwest::RequestBuilder {
    async fn value(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// OpenSearch's `_resolve/index` answer for a cluster without indices, aliases or data streams,
/// for fake upstreams: every name then reaches only itself.
pub const EMPTY_CLUSTER: &str = r#"{"indices":[],"aliases":[],"data_streams":[]}"#;

/// Reads the next HTTP/1.1 request from a fake upstream's connection (`buf` keeps what was
/// read past it): its head, as sent, after its `content-length` body was read and dropped.
/// `None` when the connection closes.
pub async fn next_request<S: tokio::io::AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
) -> Option<String> {
    use tokio::io::AsyncReadExt as _;
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(chunk.get(..n)?),
        }
    };
    let head = String::from_utf8_lossy(buf.get(..head_end)?).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(chunk.get(..n)?),
        }
    }
    buf.drain(..head_end + len);
    Some(head)
}

/// What a fake OpenSearch answers to the metadata requests the proxy makes to judge requests
/// (`_resolve/index`, ingest pipelines, index settings and templates): an empty cluster, where
/// every name reaches only itself and no write goes through a pipeline. `None` for other paths.
pub fn empty_cluster_answer(path: &str) -> Option<(u16, &'static str)> {
    if path.starts_with("/_resolve/index/") {
        Some((200, EMPTY_CLUSTER))
    } else if path.starts_with("/_ingest/pipeline") {
        Some((404, "{}"))
    } else if path.starts_with("/_settings/") {
        Some((200, "{}"))
    } else if path.starts_with("/_index_template") {
        Some((200, r#"{"index_templates":[]}"#))
    } else {
        None
    }
}

/// A fake OpenSearch: `fallback` answers every request but the metadata requests of
/// [`empty_cluster_answer`].
pub fn fake_opensearch(fallback: axum::Router) -> axum::Router {
    let metadata = |req: axum::extract::Request| async move {
        let (status, body) = empty_cluster_answer(req.uri().path()).unwrap_or((404, "{}"));
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
    };
    axum::Router::new()
        .route("/_resolve/index/{expression}", axum::routing::get(metadata))
        .route("/_ingest/pipeline", axum::routing::get(metadata))
        .route("/_settings/{names}", axum::routing::get(metadata))
        .route("/_index_template", axum::routing::get(metadata))
        .merge(fallback)
}

/// The secret of client `c` in [`one_client_config`].
pub const CLIENT_SECRET: &str = "pw";

/// A proxy configuration listening on `addr` in front of `upstream_url` (with the `[upstream]`
/// lines `upstream_extra`), its store in the configuration's folder, and one client of the
/// built-in server, `c`, allowed `read:logs-*`.
pub fn one_client_config(
    addr: std::net::SocketAddr,
    upstream_url: &str,
    upstream_extra: &str,
) -> String {
    let hash = oauth4os_proxy::authz::AuthServer::hash_secret(CLIENT_SECRET).unwrap();
    format!(
        r#"
listen = "{addr}"
public_url = "http://{addr}"
[upstream]
url = "{upstream_url}"
{upstream_extra}
[authorization_server]
issuer = "http://{addr}"
audiences = ["http://{addr}"]
store_path = "store.db"
[[authorization_server.clients]]
id = "c"
secret_hash = "{hash}"
scopes = "read:logs-*"
"#
    )
}

/// An access token for client `c` of [`one_client_config`] from the proxy at `base`.
pub async fn client_token(base: &str) -> String {
    let v = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth("c", Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .value()
        .await;
    v["access_token"].as_str().unwrap().to_owned()
}
