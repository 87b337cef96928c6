//! A listing's photo from upload to storage, shared by the upload endpoint and the demo data.

use uuid::Uuid;

use crate::catalogue::media::decode_budget::{Busy, DecodeBudget};
use crate::catalogue::media::image_store::ImageStore;
use crate::catalogue::media::images::{self, ImageError, ImageLimits};
use crate::catalogue::store::images::{insert_with_job, ImageRow};
use crate::platform::db::Db;
use crate::platform::error::{ApiError, FieldError};

/// Photos per listing.
pub const MAX_PER_PRODUCT: i64 = 10;

/// Why a photo was not saved; mapped once to problem+json (`payload_too_large`, `validation`
/// naming the multipart field, `gallery_full`).
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("the image is too large")]
    TooLarge,
    /// Not an image we accept (format, dimensions, decoding).
    #[error("{reason}")]
    Invalid { field: String, reason: String },
    #[error("a listing has at most {MAX_PER_PRODUCT} photos")]
    GalleryFull,
    /// Other photos hold the decoding memory: come back shortly (503 with `Retry-After`).
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// Storage or a worker thread failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<PhotoError> for ApiError {
    fn from(e: PhotoError) -> Self {
        match e {
            PhotoError::TooLarge => ApiError::PayloadTooLarge,
            PhotoError::Invalid { field, reason } => ApiError::Validation(vec![FieldError::new(field, reason)]),
            PhotoError::GalleryFull => ApiError::Conflict("gallery_full", "a listing has at most 10 photos"),
            PhotoError::Busy(busy) => ApiError::Unavailable(busy.to_string()),
            PhotoError::Db(e) => e.into(),
            PhotoError::Internal(e) => ApiError::Internal(e),
        }
    }
}

/// Saving photos, with what it needs: the database (the row and its analysis job), the
/// content-addressed store, the limits an upload is checked against and the memory decoding
/// may hold.
#[derive(Clone)]
pub struct Photos {
    db: Db,
    store: ImageStore,
    limits: ImageLimits,
    budget: DecodeBudget,
}

impl Photos {
    pub fn new(db: Db, store: ImageStore, limits: ImageLimits, budget: DecodeBudget) -> Self {
        Self { db, store, limits, budget }
    }

    pub fn budget(&self) -> &DecodeBudget {
        &self.budget
    }

    pub fn limits(&self) -> ImageLimits {
        self.limits
    }

    /// Checks, stores (a clean rendition + thumbnail; never the uploaded bytes) and records one
    /// photo of a listing, queueing its analysis job. `field_name` names the part in errors.
    #[tracing::instrument(skip_all)]
    pub async fn save(&self, product_id: Uuid, data: Vec<u8>, field_name: &str) -> Result<ImageRow, PhotoError> {
        let limits = self.limits;
        let refused = |e: ImageError| match e {
            ImageError::TooLarge(..) => PhotoError::TooLarge,
            other => PhotoError::Invalid { field: field_name.to_string(), reason: other.to_string() },
        };
        // The header first: what the decode will hold is reserved before a pixel is decoded.
        let header = images::check(&data, limits).map_err(refused)?;
        let reserved = self.budget.reserve(header.width, header.height).await?;
        let img = tokio::task::spawn_blocking(move || {
            let img = images::process(&data, limits);
            drop(reserved);
            img
        })
        .await
        .map_err(anyhow::Error::from)?
        .map_err(refused)?;
        let keys = self.store.put_processed(&img).await.map_err(anyhow::Error::from)?;
        insert_with_job(&self.db, &img.row(product_id, &keys), MAX_PER_PRODUCT).await?.ok_or(PhotoError::GalleryFull)
    }
}
