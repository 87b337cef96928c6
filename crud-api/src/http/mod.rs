//! HTTP surface: one module per feature group, assembled by `router`.

pub mod analysis;
pub mod auth;
pub mod cart;
pub mod categories;
pub mod deliveries;
pub mod extract;
pub mod health;
pub mod images;
pub mod notifications;
pub mod oauth;
pub mod order_views;
pub mod orders;
pub mod payment_views;
pub mod payments;
pub mod product_views;
pub mod products;
pub mod recommendations;
pub mod request_metrics;
pub mod riders;
pub mod style_match;
pub mod style_prototypes;
pub mod users;
pub mod views;

use std::time::Duration;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, Response};
use axum::middleware::from_fn_with_state;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the API with its OpenAPI operation: the router and the committed document
/// (`crate::openapi::document`) both come from this one list, so they can't disagree.
/// `upload_limit`: the body limit of the photo upload routes.
pub fn routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    let uploads = |(schemas, paths, method): UtoipaMethodRouter<AppState>| {
        (schemas, paths, method.layer(DefaultBodyLimit::max(upload_limit)))
    };
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        // operations
        .routes(routes!(health::live))
        .routes(routes!(health::healthz))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(health::jwks))
        // identity
        .routes(routes!(auth::signup))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(oauth::authorize))
        .routes(routes!(oauth::callback))
        .routes(routes!(users::me, users::update_me))
        .routes(routes!(riders::create))
        .routes(routes!(riders::login))
        .routes(routes!(riders::refresh))
        .routes(routes!(riders::logout))
        .routes(routes!(riders::me))
        // catalogue
        .routes(routes!(categories::list))
        .routes(routes!(categories::create))
        .routes(routes!(categories::update, categories::delete))
        .routes(routes!(products::list, products::create))
        .routes(routes!(products::get, products::update, products::delete))
        .routes(uploads(routes!(images::upload)))
        .routes(routes!(images::get))
        // cart and orders
        .routes(routes!(cart::get))
        .routes(routes!(cart::add))
        .routes(routes!(cart::update, cart::remove))
        .routes(routes!(orders::list, orders::checkout))
        .routes(routes!(orders::get))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::ready))
        .routes(routes!(orders::admin_status))
        // delivery
        .routes(routes!(deliveries::for_order))
        .routes(routes!(deliveries::list))
        .routes(routes!(deliveries::accept))
        .routes(routes!(deliveries::pickup))
        .routes(routes!(deliveries::complete))
        .routes(routes!(deliveries::location))
        // notifications
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read_all))
        .routes(routes!(notifications::read))
        .routes(routes!(notifications::stream))
        .routes(routes!(notifications::register_device, notifications::unregister_device))
        // payments
        .routes(routes!(payments::quote))
        .routes(routes!(payments::list))
        .routes(routes!(payments::confirm))
        .routes(routes!(payments::webhook))
        .routes(routes!(payments::refund))
        // recommendations and photo analysis
        .routes(routes!(recommendations::for_me))
        .routes(routes!(recommendations::similar))
        .routes(routes!(analysis::for_product))
        .routes(routes!(style_prototypes::export))
        .routes(uploads(routes!(style_match::style_match)))
}

pub fn router(state: AppState) -> Router {
    // A few photos per request, plus multipart framing.
    let upload_limit = state.config.max_image_bytes * crate::media::photos::MAX_PER_PRODUCT as usize + 64 * 1024;
    let (routes, _) = routes(upload_limit).split_for_parts();
    let routes = routes.route_layer(from_fn_with_state(state.clone(), request_metrics::track));

    let max_body = state.config.max_body_bytes;
    let cors = cors_layer(&state.config.cors_origins);
    routes
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", crate::openapi::document()))
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
                        }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| {
                    axum::response::IntoResponse::into_response(ApiError::Internal(anyhow::anyhow!("handler panicked")))
                }))
                .layer(cors)
                .layer(DefaultBodyLimit::max(max_body)),
        )
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, HeaderName::from_static("idempotency-key")])
        .expose_headers([REQUEST_ID, header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        return base.allow_origin(AllowOrigin::any());
    }
    let list: Vec<HeaderValue> = origins.iter().filter(|o| !o.is_empty()).filter_map(|o| o.parse().ok()).collect();
    base.allow_origin(AllowOrigin::list(list))
}
