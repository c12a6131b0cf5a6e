//! RFC 9728 protected resource metadata: of the whole proxy and of a resource under it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use oauth4os_core::protocol::ProtectedResourceMetadata;

use super::ResourceProxy;

fn document(app: &ResourceProxy, resource: String) -> Json<ProtectedResourceMetadata> {
    Json(ProtectedResourceMetadata {
        resource,
        ..app.resource_metadata.clone()
    })
}

/// RFC 9728 metadata of the whole proxy.
pub async fn protected_resource(
    State(app): State<Arc<ResourceProxy>>,
) -> Json<ProtectedResourceMetadata> {
    document(&app, app.resource.clone())
}

/// RFC 9728 metadata of a resource under the proxy (`/.well-known/oauth-protected-resource/<path>`).
pub async fn protected_resource_for(
    State(app): State<Arc<ResourceProxy>>,
    Path(path): Path<String>,
) -> Json<ProtectedResourceMetadata> {
    document(
        &app,
        format!("{}/{}", app.resource.trim_end_matches('/'), path),
    )
}
