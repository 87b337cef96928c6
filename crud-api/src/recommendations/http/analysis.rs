//! What the photo analysis found for a listing's photos: status per photo and, once
//! done, the category suggestion, labels, colours and style. For the seller's editor.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalogue::store::{images, products};
use crate::http::extract::{ApiPath, AuthUser};
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::recommendations::analysis_status::AnalysisStatus;
use crate::recommendations::findings::Findings;
use crate::recommendations::store::analysis_jobs;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoAnalysis {
    pub image_id: Uuid,
    pub status: AnalysisStatus,
    pub attempts: i32,
    /// What the analysis found, once done.
    pub result: Option<Findings>,
    /// The last failure, while retrying or once failed.
    pub error: Option<String>,
}

/// Photo analysis of a listing
///
/// The seller (or an admin) sees, per photo, whether analysis is done and what it found.
#[utoipa::path(get, path = "/api/v1/products/{id}/analysis", operation_id = "product_analysis", tag = "catalogue",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "One entry per photo, in gallery order", body = [PhotoAnalysis]),
        (status = 403, description = "Not your listing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn for_product(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<PhotoAnalysis>>> {
    let p = products::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("product"))?;
    if p.seller_id != user.id && user.role != crate::identity::Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let mut out = Vec::new();
    for image in images::for_products(&state.db, &[id]).await? {
        let Some(job) = analysis_jobs::for_image(&state.db, image.id).await? else { continue };
        out.push(PhotoAnalysis {
            image_id: image.id,
            status: job.status,
            attempts: job.attempts,
            result: job.result.as_deref().and_then(|r| serde_json::from_str(r).ok()),
            error: job.error,
        });
    }
    Ok(Json(out))
}
