//! Liveness, readiness, metrics and the public signing keys.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use std::collections::BTreeMap;

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
    /// Candidate versions running in shadow, per strategy, and what they did so far on this
    /// replica: the operator sums these over replicas to promote or roll back. Absent when
    /// no strategy has a candidate.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub candidates: BTreeMap<String, CandidateStats>,
}

/// A candidate plugin in shadow: its share of calls, compared with what the current
/// strategy answered (never used).
#[derive(Serialize, ToSchema)]
pub struct CandidateStats {
    /// The candidate's pinned sha256.
    #[schema(example = "9c1f0e3b7a25f38533ca16fc1e5eba2c6917a8fe537e12af91a6392ca0d7b83f")]
    pub digest: String,
    #[schema(example = 10)]
    pub share_percent: u8,
    /// Shadow calls that ran: same + diverged + errors.
    pub calls: u64,
    pub same: u64,
    pub diverged: u64,
    pub errors: u64,
    /// Shadow calls shed because the host was busy.
    pub dropped: u64,
    /// The candidate's mean wall time per call, ms.
    pub mean_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "total 61750 → 50000, delivery_fee 11750 → 0")]
    pub last_divergence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Why the candidate is not running (it did not load); counts as an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_error: Option<String>,
    /// Not compiled yet: candidates compile after the replica is ready, in the background.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compiling: bool,
}

impl From<plugin_host::shadow::CandidateReport> for CandidateStats {
    fn from(r: plugin_host::shadow::CandidateReport) -> Self {
        Self {
            digest: r.digest,
            share_percent: r.share_percent,
            calls: r.calls,
            same: r.same,
            diverged: r.diverged,
            errors: r.errors,
            dropped: r.dropped,
            mean_ms: r.mean_ms,
            last_divergence: r.last_divergence,
            last_error: r.last_error,
            load_error: r.load_error,
            compiling: r.compiling,
        }
    }
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
            let candidates = state.plugins.candidates().into_iter().map(|(k, r)| (k, r.into())).collect();
            ServedPlugins { payment, recommendation, error: state.plugins.problem(), candidates }
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
