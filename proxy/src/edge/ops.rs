//! Operations routes: health, readiness, metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::app::App;

/// Liveness: the process answers.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: OpenSearch answers and the store can be read.
pub async fn ready(State(app): State<Arc<App>>) -> Response {
    let upstream = match app.proxy.upstream.get("/").await {
        Ok((status, _)) if (200..300).contains(&status) => "ok".to_owned(),
        Ok((status, _)) => format!("HTTP {status}"),
        Err(_) => "unreachable".to_owned(),
    };
    // A read of a client id that cannot exist: exercises the store without side effects.
    let store = match app.auth.store().client("-ready-probe-").await {
        Ok(_) => "ok",
        Err(_) => "unavailable",
    };
    let ready = upstream == "ok" && store == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({"status": if ready { "ready" } else { "not_ready" }, "upstream": upstream, "store": store});
    (status, Json(body)).into_response()
}

/// Prometheus text exposition.
pub async fn metrics(State(app): State<Arc<App>>, headers: axum::http::HeaderMap) -> Response {
    // OpenMetrics when the scraper asks for it (Prometheus does), the classic text otherwise.
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let (body, content_type) = if openmetrics {
        (
            app.metrics.render(),
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
    } else {
        (
            app.metrics.render_classic(),
            "text/plain; version=0.0.4; charset=utf-8",
        )
    };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
