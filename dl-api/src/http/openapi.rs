//! The OpenAPI 3.1 document: this frame (info, security schemes, tags) with the paths of the
//! one route table (`http::routes`), generated from the handlers' annotations.
//! `api/dl-api.openapi.json` is this document, committed; a test fails when they drift.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes::routes;

/// The document's frame; `http::routes` adds the paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gajyeogagu DL API",
        description = "가져가구 inference: furniture photos → category, labels, colours and embedding; \
                       texts → embeddings; the Open Inference Protocol (KServe V2) with binary tensors. \
                       Errors are RFC 9457 `application/problem+json` with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "Gajyeogagu platform team", url = "https://gajyeogagu.io"),
    ),
    // Relative: Swagger UI's "Try it out" calls the host that served the document.
    servers((url = "/", description = "the server that serves this document")),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "analysis", description = "Furniture photos: category, labels, colours, style, embedding"),
        (name = "text", description = "Text embeddings"),
        (name = "models", description = "What is loaded and how it is scheduled"),
        (name = "inference", description = "Open Inference Protocol (KServe V2): health, metadata, infer"),
        (name = "repository", description = "Open Inference Protocol model repository extension: index, load a version, unload (admin keys)"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

/// The API key, as `X-API-Key` or `Authorization: Bearer` (`DL_API_KEYS`).
struct KeySchemes;

impl Modify for KeySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "One of the keys in `DL_API_KEYS`",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The same API key as a bearer token"))
                    .build(),
            ),
        );
    }
}

/// The problem responses any operation can give that its annotation doesn't name: a missing
/// key, models not (or no longer) loaded, a failure of ours.
struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
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
                let mut add = |code: &str, desc: &str| {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| problem(desc).into());
                };
                if secured {
                    add("401", "Missing or unknown API key");
                    add("503", "Models still loading, or the model unloaded (`model_not_ready`)");
                }
                add("500", "Internal error");
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(routes().split_for_parts().1);
    KeySchemes.modify(&mut doc);
    CommonProblems.modify(&mut doc);
    doc
}

/// Pretty JSON with a trailing newline, exactly as committed in `api/`.
pub fn json() -> String {
    let mut s = document().to_pretty_json().expect("the OpenAPI document serialises");
    s.push('\n');
    s
}
