//! The router: health, metrics and the API document are open; model management needs an
//! admin key; everything else an API key.

pub mod body;
pub mod health;
pub mod openapi;
pub mod repository;
pub mod routes;
pub mod v1;
pub mod v2;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::Router;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::DlError;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let (protected, _) = routes::protected().split_for_parts();
    let protected = protected.layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::require_key));
    let (admin, _) = routes::admin().split_for_parts();
    let admin = admin.layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::require_admin));
    let (open, _) = routes::open().split_for_parts();
    let metrics = state.metrics.clone();
    protected
        .merge(admin)
        .merge(open)
        // The document and its UI are open, like crud-api's: they describe, they don't serve.
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", openapi::document()))
        .fallback(|uri: axum::http::Uri| async move { DlError::RouteNotFound(uri.path().to_string()) })
        .method_not_allowed_fallback(|method: Method| async move {
            DlError::MethodNotAllowed { method: method.to_string() }
        })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(metrics, crate::metrics::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                // No ERROR per 5xx: `DlError` logs the real failures once; a 503 while the models
                // load (readiness probes, crud-api's worker) is expected, and a first start
                // printed dozens of "response failed" ERRORs for it.
                .on_failure(()),
        )
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(120),
        ))
        .with_state(state)
}
