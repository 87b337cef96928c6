//! Liveness, readiness and metrics (no API key).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::AppState;

pub async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 once every configured model has loaded and run its warm-up inference.
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.models.get() {
        Some(m) => {
            let models: Vec<_> = m.infos().iter().map(|i| json!({ "name": i.name, "ready": true })).collect();
            Json(json!({ "status": "ready", "models": models })).into_response()
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "loading" }))).into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
        .into_response()
}
