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
use axum::routing::{get, patch, post};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    // A few photos per request, plus multipart framing.
    let upload_limit = state.config.max_image_bytes * images::MAX_IMAGES_PER_PRODUCT as usize + 64 * 1024;
    let routes = Router::new()
        .route("/health", get(health::live))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/.well-known/jwks.json", get(health::jwks))
        .route("/api/v1/auth/signup", post(auth::signup))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/oauth/{provider}/authorize", get(oauth::authorize))
        .route("/api/v1/auth/oauth/{provider}/callback", get(oauth::callback))
        .route("/api/v1/users/me", get(users::me).patch(users::update_me))
        .route("/api/v1/admin/riders", post(riders::create))
        .route("/api/v1/rider/auth/login", post(riders::login))
        .route("/api/v1/rider/auth/refresh", post(riders::refresh))
        .route("/api/v1/rider/auth/logout", post(riders::logout))
        .route("/api/v1/rider/me", get(riders::me))
        .route("/api/v1/categories", get(categories::list))
        .route("/api/v1/admin/categories", post(categories::create))
        .route("/api/v1/admin/categories/{id}", patch(categories::update).delete(categories::delete))
        .route("/api/v1/products", get(products::list).post(products::create))
        .route("/api/v1/products/{id}", get(products::get).patch(products::update).delete(products::delete))
        .route("/api/v1/products/{id}/images", post(images::upload).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/api/v1/images/{key}", get(images::get))
        .route("/api/v1/cart", get(cart::get))
        .route("/api/v1/cart/items", post(cart::add))
        .route("/api/v1/cart/items/{id}", patch(cart::update).delete(cart::remove))
        .route("/api/v1/orders", get(orders::list).post(orders::checkout))
        .route("/api/v1/orders/{id}", get(orders::get))
        .route("/api/v1/orders/{id}/cancel", post(orders::cancel))
        .route("/api/v1/orders/{id}/ready", post(orders::ready))
        .route("/api/v1/orders/{id}/delivery", get(deliveries::for_order))
        .route("/api/v1/admin/orders/{id}/status", post(orders::admin_status))
        .route("/api/v1/rider/deliveries", get(deliveries::list))
        .route("/api/v1/rider/deliveries/{id}/accept", post(deliveries::accept))
        .route("/api/v1/rider/deliveries/{id}/pickup", post(deliveries::pickup))
        .route("/api/v1/rider/deliveries/{id}/complete", post(deliveries::complete))
        .route("/api/v1/rider/location", post(deliveries::location))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/read-all", post(notifications::read_all))
        .route("/api/v1/notifications/{id}/read", post(notifications::read))
        .route("/api/v1/notifications/stream", get(notifications::stream))
        .route("/api/v1/devices", post(notifications::register_device).delete(notifications::unregister_device))
        .route("/api/v1/orders/{id}/payments/quote", post(payments::quote))
        .route("/api/v1/orders/{id}/payments", get(payments::list))
        .route("/api/v1/payments/confirm", post(payments::confirm))
        .route("/api/v1/payments/webhooks/{gateway}", post(payments::webhook))
        .route("/api/v1/admin/payments/{id}/refund", post(payments::refund))
        .route("/api/v1/recommendations", get(recommendations::for_me))
        .route("/api/v1/products/{id}/similar", get(recommendations::similar))
        .route("/api/v1/products/{id}/analysis", get(analysis::for_product))
        .route("/api/v1/admin/style-prototypes", get(style_prototypes::export))
        .route(
            "/api/v1/recommendations/style-match",
            post(style_match::style_match).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route_layer(from_fn_with_state(state.clone(), crate::metrics::track));

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
