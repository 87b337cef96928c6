//! Product photos: multipart upload (checked by content), and serving with cache headers.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use crate::catalogue::http::views::ImageView;
use crate::catalogue::media::image_store;
use crate::catalogue::store::products;
use crate::http::extract::{ApiMultipart, ApiPath, AuthUser};
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The form of a photo upload: one or more image files (the part name is free; `files` is
/// what generated clients send).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // describes the multipart body; the handler reads the parts as they come
pub struct PhotoUpload {
    /// JPEG, PNG or WebP, each at most `MAX_IMAGE_BYTES`; at most 10 photos per listing.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 10)]
    pub files: Vec<Vec<u8>>,
}

/// Upload photos
///
/// `multipart/form-data` with one or more file parts (any field name). Each must be JPEG,
/// PNG or WebP by content (the file name and declared type are ignored), within the size and
/// pixel limits. The uploaded bytes are never stored: each photo is turned upright by its EXIF
/// orientation and re-encoded from its pixels (no EXIF, XMP or IPTC), gets a thumbnail and
/// queues an analysis job.
#[utoipa::path(post, path = "/api/v1/products/{id}/images", operation_id = "upload_product_images", tag = "catalogue",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", description = "One or more image files", content = PhotoUpload),
    responses(
        (status = 201, description = "Stored images", body = [ImageView]),
        (status = 403, description = "Not the seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The gallery is full (10 photos)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Upload too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an accepted image, corrupt, or too many pixels", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiMultipart(mut multipart): ApiMultipart,
) -> ApiResult<(StatusCode, Json<Vec<ImageView>>)> {
    let p = products::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("product"))?;
    if p.seller_id != user.id && user.role != crate::identity::Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let mut stored = Vec::new();
    let mut index = 0;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.file_name().is_none() && field.content_type().is_none() {
            continue; // a plain text field
        }
        let bytes = field.bytes().await.map_err(multipart_error)?;
        let field_name = format!("files[{index}]");
        index += 1;
        let row = state.photos.save(id, bytes.to_vec(), &field_name).await?;
        stored.push(ImageView::new(&row, &state.image_urls));
    }
    if stored.is_empty() {
        return Err(ApiError::field("files", "attach at least one image file"));
    }
    Ok((StatusCode::CREATED, Json(stored)))
}

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::Malformed(format!("multipart body: {}", e.body_text()))
    }
}

/// A stored image
///
/// Content-addressed, so responses never change: cached for a year, with an ETag.
#[utoipa::path(get, path = "/api/v1/images/{key}", operation_id = "get_image", tag = "catalogue",
    params(("key" = String, Path, description = "`<sha256>.<jpg|png|webp>`, `<sha256>-thumb.jpg` (400 px) or `<sha256>-1200.jpg` (1200 px)")),
    responses(
        (status = 200, description = "The image bytes", content_type = "image/*"),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such image", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !image_store::valid_key(&key) {
        return Err(ApiError::NotFound("image"));
    }
    // The key names the bytes (digest and rendition), so it is their strong tag.
    let etag = format!("\"{}\"", key.rsplit_once('.').map_or(key.as_str(), |(stem, _)| stem));
    let cache = "public, max-age=31536000, immutable";
    if crate::http::conditional::not_modified(
        &headers,
        &HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
    ) {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache.into())]).into_response()
        );
    }
    let bytes = state
        .images
        .get(&key)
        .await
        .map_err(|e| ApiError::Unavailable(format!("image store: {e}")))?
        .ok_or(ApiError::NotFound("image"))?;
    Ok((
        [
            (header::CONTENT_TYPE, image_store::content_type_of(&key).to_string()),
            (header::CACHE_CONTROL, cache.into()),
            (header::ETAG, etag),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        Body::from(bytes),
    )
        .into_response())
}
