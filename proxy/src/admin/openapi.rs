//! `/admin/openapi.json`: the OpenAPI 3.1 document core derives from the admin API's types and
//! route table (`oauth4os_core::admin::openapi`), the same table the router is built from.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;

use super::{AdminResult, json};
use crate::authz::AuthServer;

pub(super) async fn document(State(server): State<Arc<AuthServer>>) -> AdminResult {
    Ok(json(
        StatusCode::OK,
        &oauth4os_core::admin::openapi(server.issuer()),
    ))
}
