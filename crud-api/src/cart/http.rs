//! The signed-in user's cart.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::store;
use crate::catalogue::http::thumbnails::Thumbnails;
use crate::catalogue::http::views::ProductStatus;
use crate::catalogue::store::products;
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CartLineView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    /// The product's cover photo, 400 px.
    pub thumbnail_url: Option<String>,
    pub quantity: i32,
    /// Current price, KRW.
    pub unit_price: i64,
    pub line_total: i64,
    pub status: ProductStatus,
    /// Units that can be bought right now.
    pub available: i32,
    /// False when checkout would fail for this line (sold, reserved, hidden, removed, too few).
    pub purchasable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    /// Sum over purchasable lines, KRW.
    pub total: i64,
}

async fn view(state: &AppState, user: uuid::Uuid) -> ApiResult<CartView> {
    let lines = store::lines(&state.db, user).await?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    let products = products::by_ids(&state.db, &ids).await?;
    let thumbs = Thumbnails::load(&state.db, &ids, &state.image_urls).await?;
    let mut out = Vec::new();
    for l in lines {
        let p = products.iter().find(|p| p.id == l.product_id);
        let (title, price, status, available) = match p {
            Some(p) => (p.title.clone(), p.price, p.status, p.available),
            None => ("(removed)".to_string(), 0, ProductStatus::Hidden, 0),
        };
        let purchasable = p.is_some() && status != ProductStatus::Hidden && available >= l.quantity;
        out.push(CartLineView {
            id: l.id,
            product_id: l.product_id,
            title,
            thumbnail_url: thumbs.get(l.product_id),
            quantity: l.quantity,
            unit_price: price,
            line_total: price * l.quantity as i64,
            status,
            available,
            purchasable,
        });
    }
    let total = out.iter().filter(|l| l.purchasable).map(|l| l.line_total).sum();
    Ok(CartView { lines: out, total })
}

/// Your cart
///
/// Lines with current prices and whether each can still be bought.
#[utoipa::path(get, path = "/api/v1/cart", operation_id = "get_cart", tag = "orders", security(("bearer" = [])),
    responses((status = 200, description = "The cart", body = CartView)))]
pub async fn get(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<CartView>> {
    Ok(Json(view(&state, user.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToCartRequest {
    pub product_id: Uuid,
    /// Default 1.
    #[schema(minimum = 1, maximum = 100)]
    pub quantity: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCartLineRequest {
    #[schema(minimum = 1, maximum = 100)]
    pub quantity: i32,
}

fn check_quantity(q: i32) -> ApiResult<()> {
    if !(1..=100).contains(&q) {
        return Err(ApiError::field("quantity", "must be 1 to 100"));
    }
    Ok(())
}

/// A cart line may not ask for more than is for sale now (checkout rechecks under its lock;
/// this keeps the cart honest instead of failing later with `out_of_stock`).
fn within_stock(wanted: i32, available: i32) -> ApiResult<()> {
    if wanted > available {
        let message = match available {
            0 => "this item is not available right now".to_string(),
            n => format!("only {n} available"),
        };
        return Err(ApiError::field("quantity", &message));
    }
    Ok(())
}

/// Add to cart
///
/// Adds to the line of that product if there is one, up to what is available (422 on
/// `quantity` otherwise: "only 1 available"). Your own listings can't be added.
#[utoipa::path(post, path = "/api/v1/cart/items", operation_id = "add_cart_item", tag = "orders", security(("bearer" = [])),
    request_body = AddToCartRequest,
    responses(
        (status = 201, description = "The updated cart", body = CartView),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own listing, or not for sale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid quantity, or more than is available", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<AddToCartRequest>,
) -> ApiResult<(StatusCode, Json<CartView>)> {
    let qty = req.quantity.unwrap_or(1);
    check_quantity(qty)?;
    let p = products::by_id(&state.db, req.product_id)
        .await?
        .filter(|p| p.status != ProductStatus::Hidden)
        .ok_or(ApiError::NotFound("product"))?;
    if p.seller_id == user.id {
        return Err(ApiError::Conflict("own_product", "you can't buy your own listing"));
    }
    if p.status == ProductStatus::Sold {
        return Err(ApiError::Conflict("not_for_sale", "this item is sold"));
    }
    let in_cart =
        store::lines(&state.db, user.id).await?.iter().find(|l| l.product_id == p.id).map_or(0, |l| l.quantity);
    within_stock(in_cart + qty, p.available)?;
    store::add(&state.db, user.id, p.id, qty).await?;
    Ok((StatusCode::CREATED, Json(view(&state, user.id).await?)))
}

/// Change a cart line's quantity
///
/// Sets the quantity (1 to 100, and at most what is available: 422 on `quantity` otherwise).
#[utoipa::path(patch, path = "/api/v1/cart/items/{id}", operation_id = "update_cart_item", tag = "orders",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = UpdateCartLineRequest,
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 404, description = "No such line in your cart", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid quantity, or more than is available", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateCartLineRequest>,
) -> ApiResult<Json<CartView>> {
    check_quantity(req.quantity)?;
    let line = store::lines(&state.db, user.id).await?.into_iter().find(|l| l.id == id);
    let line = line.ok_or(ApiError::NotFound("cart line"))?;
    if let Some(p) = products::by_id(&state.db, line.product_id).await? {
        within_stock(req.quantity, p.available)?;
    }
    store::set_quantity(&state.db, user.id, id, req.quantity).await?.ok_or(ApiError::NotFound("cart line"))?;
    Ok(Json(view(&state, user.id).await?))
}

/// Remove a cart line
///
/// Returns the cart without it.
#[utoipa::path(delete, path = "/api/v1/cart/items/{id}", operation_id = "remove_cart_item", tag = "orders",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 404, description = "No such line in your cart", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CartView>> {
    if !store::remove(&state.db, user.id, id).await? {
        return Err(ApiError::NotFound("cart line"));
    }
    Ok(Json(view(&state, user.id).await?))
}
