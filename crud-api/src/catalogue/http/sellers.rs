//! Public seller profiles: what a buyer sees before buying from someone.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalogue::store::products;
use crate::http::extract::ApiPath;
use crate::identity::store::users;
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// A seller as every visitor may see them: no email, phone or address.
#[derive(Debug, Serialize, ToSchema)]
pub struct SellerProfile {
    pub id: Uuid,
    #[schema(example = "김민수")]
    pub name: String,
    pub member_since: DateTime<Utc>,
    /// Listings on sale or reserved now.
    pub active_listings: i64,
    /// Listings sold out.
    pub sold_listings: i64,
    /// Their listings (`GET /api/v1/products?seller={id}`), as an absolute URL.
    #[schema(example = "https://api.gajyeogagu.example/api/v1/products?seller=0190f1c2-7c1e-7d3a-9a51-5a1f3c2b9e10")]
    pub listings_url: String,
}

/// A seller's profile
///
/// Public: name, member since, how many listings are on sale and sold. Anyone who is not a
/// seller (and has never listed anything), or whose account is disabled, is a 404.
#[utoipa::path(get, path = "/api/v1/sellers/{id}", operation_id = "get_seller", tag = "catalogue",
    params(("id" = Uuid, Path, description = "The seller's user id (`seller_id` of a product)"), ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer: 304 when unchanged")),
    responses(
        (status = 200, description = "The seller", body = SellerProfile),
        (status = 304, description = "Not modified: the `ETag` in If-None-Match is current"),
        (status = 404, description = "No such seller", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(State(state): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<SellerProfile>> {
    let user = users::by_id(&state.db, id).await?.filter(|u| !u.disabled).ok_or(ApiError::NotFound("seller"))?;
    let (active, sold) = products::seller_counts(&state.db, id).await?;
    if !user.is_seller && active + sold == 0 {
        return Err(ApiError::NotFound("seller"));
    }
    Ok(Json(SellerProfile {
        id: user.id,
        name: user.name,
        member_since: user.created_at,
        active_listings: active,
        sold_listings: sold,
        listings_url: state.config.public_url(&format!("/api/v1/products?seller={id}")),
    }))
}
