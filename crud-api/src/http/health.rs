//! Liveness, readiness, metrics and the public signing keys.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "crud-api")]
    pub service: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `ok` or `unreachable`.
    #[schema(example = "ok")]
    pub database: &'static str,
    #[schema(example = "sqlite")]
    pub backend: &'static str,
    /// sha256 of the plugin module serving each strategy now (absent: the built-in one). The
    /// operator reads this back into the ApiTenant's status, so the status says what runs, not
    /// what was asked for.
    pub plugins: ServedPlugins,
}

/// What serves each strategy on this replica.
#[derive(Serialize, ToSchema)]
pub struct ServedPlugins {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "eb474c0a7a25f38533ca16fc1e5eba2c6917a8fe537e12af91a6392ca0d7b83f")]
    pub payment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
    /// Why the configured plugins are not (all) serving — the last load's error — while the
    /// previous ones (at start-up: the built-in strategies) serve. Absent when all loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "payment: module is built for strategy API 9.0 (incompatible_version)")]
    pub error: Option<String>,
}

fn health() -> Json<Health> {
    Json(Health { status: "ok", service: "crud-api", version: env!("CARGO_PKG_VERSION") })
}

/// Liveness
///
/// Answers 200 while the process runs; does not touch the database.
#[utoipa::path(get, path = "/health", operation_id = "health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn live() -> Json<Health> {
    health()
}

/// Liveness (Kubernetes spelling)
///
/// Same as `/health`, for Kubernetes liveness probes.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    health()
}

/// Readiness
///
/// 200 when the database answered the background probe (every second, 1 s timeout), 503
/// otherwise; answers at once, without a database round trip. Kubernetes routes traffic
/// only to ready replicas.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "operations", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "Database unreachable", body = Readiness),
))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let ok = state.readiness.ok();
    let body = Readiness {
        status: if ok { "ready" } else { "unavailable" },
        database: if ok { "ok" } else { "unreachable" },
        backend: state.db.backend(),
        plugins: {
            let (payment, recommendation) = state.plugins.digests();
            ServedPlugins { payment, recommendation, error: state.plugins.problem() }
        },
    };
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body))
}

/// Prometheus metrics
///
/// OpenMetrics text: requests and latency by route template and status, database pool
/// gauges, sign-in failures and rate-limit refusals.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations", responses(
    (status = 200, description = "Metrics", body = String, content_type = "application/openmetrics-text"),
))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (open, idle) = state.db.pool_stats();
    state.metrics.set_pool(open, idle);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
}

/// Token verification keys
///
/// The Ed25519 public keys (JWK Set) that verify access tokens: the current key first, then
/// keys still accepted after a rotation.
#[utoipa::path(get, path = "/.well-known/jwks.json", operation_id = "jwks", tag = "operations", responses(
    (status = 200, description = "JWK Set (Ed25519)", body = Object),
))]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(state.keys.jwks()))
}
