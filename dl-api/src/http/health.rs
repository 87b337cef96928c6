//! Liveness, readiness and metrics (no API key).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::provider::Placement;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`; `loading` (with 503) until every model has loaded and run its warm-up; or
    /// `unavailable` (503) when the models cannot run where configured — CUDA asked for and not
    /// to be had, `reason` says why (set `DL_CPU_FALLBACK=true` to serve on CPU instead).
    /// A model unloaded later through the repository API shows `ready: false` in `models`; the
    /// server stays ready (an admin asked for it).
    #[schema(example = "ready")]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "CUDA execution provider unavailable: libcuda.so.1: cannot open shared object file")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<ModelReadiness>>,
}

#[derive(Serialize, ToSchema)]
pub struct ModelReadiness {
    #[schema(example = "efficientnet-lite0")]
    pub name: &'static str,
    pub ready: bool,
    /// Where it runs (absent while unloaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
}

/// Liveness
///
/// The process answers.
#[utoipa::path(get, path = "/health", operation_id = "health", tag = "operations",
    responses((status = 200, description = "Alive", body = Liveness)))]
pub async fn health() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// Liveness (Kubernetes probe)
///
/// The same answer as `/health`, at the path Kubernetes probes.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Liveness)))]
pub async fn healthz() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// Readiness
///
/// 200 once every configured model has loaded and run its warm-up inference; 503 before.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "operations",
    responses(
        (status = 200, description = "Every model is loaded and warm", body = Readiness),
        (status = 503, description = "Still loading, or unavailable: CUDA asked for and not to be had (`reason`)", body = Readiness),
    ))]
pub async fn ready(State(state): State<AppState>) -> Response {
    if let Some(m) = state.models.get() {
        let models = m
            .readiness()
            .into_iter()
            .map(|(name, ready, placement)| ModelReadiness { name, ready, placement })
            .collect();
        return Json(Readiness { status: "ready", reason: None, models: Some(models) }).into_response();
    }
    let not_ready = match state.unavailable.get() {
        Some(reason) => Readiness { status: "unavailable", reason: Some(reason.clone()), models: None },
        None => Readiness { status: "loading", reason: None, models: None },
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(not_ready)).into_response()
}

/// Prometheus metrics
///
/// Requests, latencies, queue depth, batch sizes and model load times, in the OpenMetrics
/// text format.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
        .into_response()
}
