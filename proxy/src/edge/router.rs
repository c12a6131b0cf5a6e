//! The one router: authorization server, admin API, well-known documents, operations, then the
//! proxy.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::app::App;
use super::ops;
use crate::admin;
use crate::resource::{metadata, pipeline};
use crate::services::metrics::track;

/// The one router: authorization server, admin API, well-known documents, operations, then
/// the proxy.
pub fn router(app: Arc<App>) -> Router {
    let resource = Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(metadata::protected_resource),
        )
        .route(
            "/.well-known/oauth-protected-resource/{*path}",
            get(metadata::protected_resource_for),
        )
        .fallback(pipeline::proxy)
        .with_state(app.proxy.clone());
    let ops = Router::new()
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .with_state(app.clone());
    let mcp = app.mcp.clone().map(crate::mcp::routes).unwrap_or_default();
    app.auth
        .router()
        .merge(mcp)
        .merge(admin::service(&app.auth))
        .merge(ops)
        .merge(resource)
        .layer(axum::middleware::from_fn_with_state(
            app.metrics.clone(),
            track,
        ))
}
