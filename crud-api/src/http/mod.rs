//! The wire, across features: the one route list (`routes`, which the router here and the
//! OpenAPI document both come from), the extractors every handler uses, health and metrics,
//! and the layers every request passes (request id, trace span, CORS, body limit, panics,
//! compression and conditional GETs).
//! Each feature's handlers live in its own `http` module.

pub mod client_ip;
pub mod conditional;
pub mod cursor;
pub mod extract;
pub mod gzip;
pub mod health;
pub mod input_errors;
pub mod openapi;
pub mod patterns;
pub mod request_metrics;
pub mod routes;
pub mod timing_allow;

use std::time::Duration;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, Response};
use axum::middleware::from_fn_with_state;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::platform::error::ApiError;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    // A few photos per request, plus multipart framing.
    let upload_limit =
        state.config.max_image_bytes * crate::catalogue::media::photos::MAX_PER_PRODUCT as usize + 64 * 1024;
    let (routes, _) = routes::routes(upload_limit).split_for_parts();
    // Innermost first: compress, then tag what is sent (so each encoding has its own ETag and
    // a 304 skips the body), then count (so the metrics see the 304s).
    let routes = routes
        // GET answers are gzipped by `conditional` (see `gzip`); this layer does the rest, at
        // the same fastest level.
        .route_layer(CompressionLayer::new().gzip(true).quality(tower_http::CompressionLevel::Fastest))
        .route_layer(axum::middleware::from_fn(conditional::conditional_get))
        .route_layer(from_fn_with_state(state.clone(), request_metrics::track));

    let max_body = state.config.max_body_bytes;
    let cors = cors_layer(&state.config.cors_origins);
    let timing_allow = timing_allow::value(&state.config.cors_origins);
    routes
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", openapi::document()))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request<Body>| {
                            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                            // The path only: query strings can carry OAuth codes.
                            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                        })
                        .on_response(|res: &Response<_>, latency: Duration, _span: &tracing::Span| {
                            tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_secs_f64() * 1e3, "response");
                        })
                        // `ApiError` logs each failure once, at its level (an internal error at
                        // ERROR, a 503 `unavailable` at WARN): no second, blanket ERROR per 5xx.
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| {
                    axum::response::IntoResponse::into_response(ApiError::Internal(anyhow::anyhow!("handler panicked")))
                }))
                .layer(cors)
                .layer(axum::middleware::map_response(move |mut res: Response<Body>| {
                    let value = timing_allow.clone();
                    async move {
                        if let Some(v) = value {
                            res.headers_mut().insert(timing_allow::HEADER, v);
                        }
                        res
                    }
                }))
                .layer(DefaultBodyLimit::max(max_body)),
        )
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
        // What browser clients send: conditional requests, SSE resumption, their own request ids.
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("last-event-id"),
            REQUEST_ID,
        ])
        // What they need to read back: the request id for support, Retry-After, ETag, and
        // whether an Idempotency-Key answer is a replay.
        .expose_headers([REQUEST_ID, header::RETRY_AFTER, header::ETAG, HeaderName::from_static("idempotent-replayed")])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        return base.allow_origin(AllowOrigin::any());
    }
    let list: Vec<HeaderValue> = origins.iter().filter(|o| !o.is_empty()).filter_map(|o| o.parse().ok()).collect();
    base.allow_origin(AllowOrigin::list(list))
}
