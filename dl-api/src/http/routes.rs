//! The route table: the router (`http::router`) and the OpenAPI document
//! (`http::openapi::document`) both come from this one list, so they can't disagree.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{health, repository, v1, v2};
use crate::state::AppState;

/// Routes that need an API key (`auth::require_key`, added by `http::router`).
pub fn protected() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(v1::analyze))
        .routes(routes!(v1::analyze_stream))
        .routes(routes!(v1::embed_text))
        .routes(routes!(v1::models))
        .routes(routes!(v2::server_metadata))
        .routes(routes!(v2::model_metadata))
        .routes(routes!(v2::model_metadata_versioned))
        .routes(routes!(v2::model_ready))
        .routes(routes!(v2::model_ready_versioned))
        .routes(routes!(v2::infer))
        .routes(routes!(v2::infer_versioned))
}

/// Model management: admin keys only (`auth::require_admin`, added by `http::router`).
pub fn admin() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(repository::index))
        .routes(routes!(repository::load))
        .routes(routes!(repository::unload))
}

/// Routes anyone may call: probes and metrics.
pub fn open() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(health::healthz))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(v2::live))
        .routes(routes!(v2::ready))
}

/// All of them, for the document.
pub fn routes() -> OpenApiRouter<AppState> {
    protected().merge(admin()).merge(open())
}
