//! A listing's photo from upload to storage, shared by the upload endpoint and the demo data.

use uuid::Uuid;

use crate::catalogue::media::images::{self, ImageError};
use crate::catalogue::store::images::{insert_with_job, ImageRow};
use crate::platform::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;

/// Photos per listing.
pub const MAX_PER_PRODUCT: i64 = 10;

/// Checks, stores (a clean rendition + thumbnail; never the uploaded bytes) and records one
/// photo of a listing, queueing its analysis job. `field_name` names the part in errors.
#[tracing::instrument(skip_all)]
pub async fn save(state: &AppState, product_id: Uuid, data: Vec<u8>, field_name: &str) -> ApiResult<ImageRow> {
    let limits = state.image_limits();
    let img = tokio::task::spawn_blocking(move || images::process(&data, limits))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|e| match e {
        ImageError::TooLarge(..) => ApiError::PayloadTooLarge,
        other => ApiError::Validation(vec![FieldError::new(field_name, other.to_string())]),
    })?;
    let keys = state.images.put_processed(&img).await.map_err(anyhow::Error::from)?;
    insert_with_job(&state.db, &img.row(product_id, &keys), MAX_PER_PRODUCT)
        .await?
        .ok_or(ApiError::Conflict("gallery_full", "a listing has at most 10 photos"))
}
