//! Export of the style prototypes (admin): the mean photo embedding of each style sellers
//! tag with, in the format dl-api reads from `DL_STYLE_PROTOTYPES`.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::extract::AdminUser;
use crate::platform::error::{ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StylePrototype {
    pub style: String,
    /// Products tagged with this style that have analysed photos.
    pub examples: usize,
    /// Normalised mean embedding (1280 floats for efficientnet-lite0).
    pub vector: Vec<f32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StylePrototypes {
    /// Styles need at least this many analysed products to get a prototype.
    pub min_examples: usize,
    pub prototypes: Vec<StylePrototype>,
}

/// Style prototypes
///
/// What the style classifier currently knows, recomputed as the catalogue grows. Save the
/// body as a file and point dl-api's `DL_STYLE_PROTOTYPES` at it to get styles from
/// `/v1/analyze` too.
#[utoipa::path(get, path = "/api/v1/admin/style-prototypes", operation_id = "style_prototypes", tag = "catalogue",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One prototype per style", body = StylePrototypes),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export(State(state): State<AppState>, _admin: AdminUser) -> ApiResult<Json<StylePrototypes>> {
    let prototypes = state
        .index
        .prototypes()
        .into_iter()
        .map(|p| StylePrototype { style: p.style, examples: p.examples, vector: p.vector })
        .collect();
    Ok(Json(StylePrototypes { min_examples: crate::recommendations::index::MIN_STYLE_EXAMPLES, prototypes }))
}
