//! RFC 9728 protected resource metadata: of the whole proxy and of a resource under it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::ResourceProxy;

fn document(app: &ResourceProxy, resource: String) -> Json<Value> {
    let mut doc = app.resource_metadata.clone();
    if let Some(map) = doc.as_object_mut() {
        map.insert("resource".into(), json!(resource));
    }
    Json(doc)
}

/// RFC 9728 metadata of the whole proxy.
pub async fn protected_resource(State(app): State<Arc<ResourceProxy>>) -> Json<Value> {
    document(&app, app.resource.clone())
}

/// RFC 9728 metadata of a resource under the proxy (`/.well-known/oauth-protected-resource/<path>`).
pub async fn protected_resource_for(
    State(app): State<Arc<ResourceProxy>>,
    Path(path): Path<String>,
) -> Json<Value> {
    document(
        &app,
        format!("{}/{}", app.resource.trim_end_matches('/'), path),
    )
}
