//! This shop's own category head (admin): how its last training went, and training it
//! now rather than at the worker's next turn.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::extract::AdminUser;
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::recommendations::catalogue_head::{TrainingReport, MIN_PER_CATEGORY};
use crate::recommendations::catalogue_training;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueHeadStatus {
    /// Listings with analysed photos in this replica's index.
    pub listings: usize,
    /// A category needs this many listings to be learned; two such categories to train.
    pub min_per_category: usize,
    /// The last training; null until the catalogue has two categories at the minimum.
    pub training: Option<TrainingReport>,
}

fn status(state: &AppState) -> CatalogueHeadStatus {
    CatalogueHeadStatus {
        listings: state.index.len(),
        min_per_category: MIN_PER_CATEGORY,
        training: state.index.catalogue_head().map(|h| h.report.clone()),
    }
}

/// Catalogue category head
///
/// The category head this shop learns from its own listings (each seller's chosen category
/// is a label), retrained as the catalogue grows and used for suggestions once it beats the
/// nearest-listing vote on a held-out slice.
#[utoipa::path(get, path = "/api/v1/admin/catalogue-head", operation_id = "catalogue_head", tag = "catalogue",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The last training", body = CatalogueHeadStatus),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn show(State(state): State<AppState>, _admin: AdminUser) -> ApiResult<Json<CatalogueHeadStatus>> {
    Ok(Json(status(&state)))
}

/// Train the catalogue category head now
///
/// Retrains from the listings this replica has indexed, instead of waiting for the worker's
/// next turn (it retrains when the catalogue changed by 10 %, or every 10 minutes).
#[utoipa::path(post, path = "/api/v1/admin/catalogue-head/train", operation_id = "train_catalogue_head", tag = "catalogue",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Trained (training is null when the catalogue is still too small)", body = CatalogueHeadStatus),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn train(State(state): State<AppState>, _admin: AdminUser) -> ApiResult<Json<CatalogueHeadStatus>> {
    catalogue_training::retrain(&state.db, &state.index).await.map_err(ApiError::from)?;
    Ok(Json(status(&state)))
}
