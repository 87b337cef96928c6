//! The route table.

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use super::health;
use crate::cart::http as cart;
use crate::catalogue::http::{categories, images, products, sellers};
use crate::delivery::http::{deliveries, riders};
use crate::identity::http::{auth, email_verification, oauth, users};
use crate::notifications::http as notifications;
use crate::orders::http::handlers as orders;
use crate::payments::http::handlers as payments;
use crate::recommendations::http::{
    analysis, catalogue_head, similar as recommendations, style_match, style_prototypes,
};
use crate::state::AppState;

/// Every route of the API with its OpenAPI operation: the router (`http::router`) and the
/// committed document (`http::openapi::document`) both come from this one list, so they can't
/// disagree.
/// `upload_limit`: the body limit of the photo upload routes.
pub fn routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    let uploads = |(schemas, paths, method): UtoipaMethodRouter<AppState>| {
        (schemas, paths, method.layer(DefaultBodyLimit::max(upload_limit)))
    };
    OpenApiRouter::new()
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
        .routes(routes!(email_verification::verify_email))
        .routes(routes!(email_verification::resend))
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
        .routes(routes!(sellers::get))
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
        .routes(routes!(notifications::stream_ticket))
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
        .routes(routes!(catalogue_head::show))
        .routes(routes!(catalogue_head::train))
        .routes(uploads(routes!(style_match::style_match)))
}
