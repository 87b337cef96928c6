//! Routes: health and metrics are open; everything else needs an API key.

pub mod body;
pub mod health;
pub mod v1;
pub mod v2;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route("/v1/analyze", post(v1::analyze))
        .route("/v1/analyze/stream", post(v1::analyze_stream))
        .route("/v1/embed/text", post(v1::embed_text))
        .route("/v1/models", get(v1::models))
        .route("/v2", get(v2::server_metadata))
        .route("/v2/models/{model}", get(v2::model_metadata))
        .route("/v2/models/{model}/versions/{version}", get(v2::model_metadata_versioned))
        .route("/v2/models/{model}/ready", get(v2::model_ready))
        .route("/v2/models/{model}/versions/{version}/ready", get(v2::model_ready_versioned))
        .route("/v2/models/{model}/infer", post(v2::infer))
        .route("/v2/models/{model}/versions/{version}/infer", post(v2::infer_versioned))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::require_key));
    let open = Router::new()
        .route("/health", get(health::live))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/v2/health/live", get(v2::live))
        .route("/v2/health/ready", get(v2::ready))
        .route("/metrics", get(health::metrics));
    let metrics = state.metrics.clone();
    protected
        .merge(open)
        .fallback(|| async { crate::error::DlError::BadRequest("no such route".into()) })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(metrics, crate::metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(120),
        ))
        .with_state(state)
}
