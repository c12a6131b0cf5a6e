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
