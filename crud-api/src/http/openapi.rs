//! The OpenAPI 3.1 document: this frame (info, shared schemas, tags) with the paths of the one
//! route list (`http::routes`), generated from the handlers' annotations.
//! `api/crud-api.openapi.json` is this document, committed; a test fails when they drift.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes::routes;

/// The document's frame — info, servers, shared schemas, tags; `http::routes` adds the paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gajyeogagu CRUD API",
        description = "가져가구 furniture marketplace: identity, catalogue, orders, deliveries. \
                       Errors are RFC 9457 `application/problem+json` with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "Gajyeogagu platform team", url = "https://gajyeogagu.io"),
    ),
    // Relative: Swagger UI's "Try it out" and generated clients call the host that served
    // the document (it was localhost:8001, which failed from 127.0.0.1 and any other host).
    servers((url = "/", description = "the server that serves this document")),
    components(schemas(crate::platform::error::Problem, crate::platform::error::FieldError, crate::identity::http::oauth::ProviderName, crate::catalogue::http::products::SortParam, crate::delivery::http::deliveries::DeliveryFilter, crate::notifications::http::Platform)),
    tags(
        (name = "auth", description = "Sign-up, login, tokens, social login"),
        (name = "users", description = "Your profile"),
        (name = "riders", description = "Delivery riders: a separate realm"),
        (name = "catalogue", description = "Categories, products, photos, search"),
        (name = "orders", description = "Cart, checkout, orders, delivery status"),
        (name = "notifications", description = "In-app notifications, live stream, push devices"),
        (name = "payments", description = "Payment plans from the tenant's strategy, confirmation, refunds, webhooks"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// Documents the problem responses every operation can give, so clients (and schemathesis)
/// know them: malformed input, auth failures, missing resources, limits, outages. Responses an
/// operation documents itself are kept.
struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{path::ParameterIn, ContentBuilder, Ref, ResponseBuilder};
        let problem = |desc: &str| {
            ResponseBuilder::new()
                .description(desc)
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = op.request_body.is_some();
                let has_path = op.parameters.iter().flatten().any(|p| p.parameter_in == ParameterIn::Path);
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header));
                let mut add = |code: &str, desc: &str| {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| problem(desc).into());
                };
                if has_body || has_query || has_path {
                    add("400", "Malformed request");
                    add("422", "Invalid input; `errors` lists the fields");
                }
                if has_body {
                    add("413", "Request body too large");
                    add("415", "Unsupported content type");
                }
                if secured {
                    add("401", "Missing, invalid or expired token");
                    add("403", "Token of the wrong realm, or not allowed");
                }
                if has_path {
                    add("404", "Not found");
                }
                add("500", "Internal error (quote the x-request-id)");
                add("503", "Database unavailable");
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    // The upload limit shapes the router only, not the document.
    doc.merge(routes(0).split_for_parts().1);
    BearerAuth.modify(&mut doc);
    CommonProblems.modify(&mut doc);
    // Named patterns (`http::patterns`) become their regexes.
    let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
    super::patterns::expand(&mut value);
    serde_json::from_value(value).expect("the document reads back")
}

/// Pretty JSON with a trailing newline, exactly as committed in `api/`.
pub fn json() -> String {
    let mut s = document().to_pretty_json().expect("the OpenAPI document serialises");
    s.push('\n');
    s
}
