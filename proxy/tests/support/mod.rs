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

/// A fake OpenSearch: `fallback` answers every request but `_resolve/index`, which gets
/// [`EMPTY_CLUSTER`].
pub fn fake_opensearch(fallback: axum::Router) -> axum::Router {
    axum::Router::new()
        .route(
            "/_resolve/index/{expression}",
            axum::routing::get(|| async {
                ([("content-type", "application/json")], EMPTY_CLUSTER)
            }),
        )
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
