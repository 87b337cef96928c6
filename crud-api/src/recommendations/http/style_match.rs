//! Style match: a photo of a room or a piece of furniture → dl-api embedding → the most
//! similar catalogue items (in-memory index) → ranked by the tenant's recommendation
//! strategy, with the detected category and style.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use plugin_strategies as s;

use crate::catalogue::http::images::multipart_error;
use crate::catalogue::listing::ProductStatus;
use crate::catalogue::store::products;
use crate::http::extract::{ApiMultipart, ApiQuery, AuthUser};
use crate::ml::client::{Colour, Label, MlError};
use crate::payments::http::views::StrategyInfo;
use crate::platform::error::{ApiError, ApiResult, FieldError, Problem};
use crate::recommendations::http::similar::{limit, rank, Recommendation, RecommendationQuery};
use crate::recommendations::store::signals;
use crate::recommendations::suggest::{self, top_level_slugs, CategorySuggestion};
use crate::state::AppState;

/// Nearest catalogue items offered to the strategy.
const NEAREST: usize = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct DetectedStyle {
    /// A style sellers tag with (e.g. `scandinavian`), from the nearest style prototype.
    pub label: String,
    /// Cosine to that style's prototype.
    pub similarity: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Detected {
    pub category: Option<CategorySuggestion>,
    pub style: Option<DetectedStyle>,
    pub labels: Vec<Label>,
    pub colours: Vec<Colour>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StyleMatchPage {
    pub detected: Detected,
    pub items: Vec<Recommendation>,
    pub strategy: StrategyInfo,
}

pub(crate) fn ml_error(e: MlError) -> ApiError {
    match e {
        MlError::Rejected { status: 413, .. } => ApiError::PayloadTooLarge,
        MlError::Rejected { detail, .. } => ApiError::Validation(vec![FieldError::new("file", detail)]),
        other => ApiError::MlUnavailable(other.to_string()),
    }
}

/// The form of a style-match upload: one image file.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // describes the multipart body; the handler reads the part as it comes
pub struct StyleMatchUpload {
    /// A photo of a room or a piece of furniture: JPEG, PNG or WebP.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Shop the look
///
/// Upload a photo (multipart, one image file) of a room or a piece of furniture: the
/// catalogue's visually closest items come back, ranked by the tenant's recommendation
/// strategy, with the category, style, labels and colours seen in the photo.
#[utoipa::path(post, path = "/api/v1/recommendations/style-match", operation_id = "style_match", tag = "catalogue",
    security(("bearer" = [])), params(RecommendationQuery),
    request_body(content_type = "multipart/form-data", description = "One image file (JPEG, PNG or WebP)", content = StyleMatchUpload),
    responses(
        (status = 200, description = "Visually similar products, ranked", body = StyleMatchPage),
        (status = 413, description = "Photo too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an image the analyser can read", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Image analysis unavailable (retry later)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn style_match(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<RecommendationQuery>,
    ApiMultipart(mut multipart): ApiMultipart,
) -> ApiResult<Json<StyleMatchPage>> {
    let limit = limit(&q, 20)?;
    let mut photo = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.file_name().is_none() && field.content_type().is_none() {
            continue;
        }
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        if bytes.len() > state.config.max_image_bytes {
            return Err(ApiError::PayloadTooLarge);
        }
        photo = Some((bytes.to_vec(), content_type));
        break;
    }
    let (bytes, content_type) = photo.ok_or_else(|| ApiError::field("file", "attach one image file"))?;
    let dl = state.dl.as_ref().ok_or_else(|| ApiError::MlUnavailable("DL_API_URL is not configured".into()))?;
    let analysis = dl.analyze(bytes, &content_type).await.map_err(ml_error)?;

    let near = state.index.nearest(&analysis.embedding, NEAREST, |_| true);
    let slugs = top_level_slugs(&state.categories.all().await?);
    let category = suggest::suggest(
        &analysis,
        &near[..near.len().min(suggest::K)],
        &slugs,
        state.index.catalogue_head().as_deref(),
    );
    let style = state.index.style_of(&analysis.embedding);
    let similarity: HashMap<Uuid, f32> = near.iter().map(|(e, s)| (e.product_id, *s)).collect();
    let ids: Vec<Uuid> = near.iter().map(|(e, _)| e.product_id).collect();
    let rows: Vec<_> = products::by_ids(&state.db, &ids)
        .await?
        .into_iter()
        .filter(|p| p.status == ProductStatus::OnSale && p.seller_id != user.id)
        .collect();
    let ctx = s::Context {
        user_id: Some(user.id.to_string()),
        recent_categories: category.iter().map(|c| c.slug.clone()).collect(),
        cart_categories: vec![],
        purchased_categories: vec![],
        style_preferences: style.iter().map(|(label, _)| label.clone()).collect(),
        price_low: None,
        price_high: None,
        limit,
        now: state.plugins.clock().now(),
    };
    let popularity = signals::popularity(&state.db, &rows.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    let page = rank(&state, ctx, rows.iter().collect(), &popularity, None, &similarity).await?;
    Ok(Json(StyleMatchPage {
        detected: Detected {
            category,
            style: style.map(|(label, similarity)| DetectedStyle { label, similarity }),
            labels: analysis.labels,
            colours: analysis.colours,
        },
        items: page.items,
        strategy: page.strategy,
    }))
}
