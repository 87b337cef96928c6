//! Checkout and orders (`/api/v1/orders`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::cart::store as cart;
use crate::catalogue::http::thumbnails::Thumbnails;
use crate::catalogue::store::products;
use crate::http::cursor;
use crate::http::extract::{AdminUser, ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::identity::profile::{self, Address};
use crate::identity::role::Role;
use crate::orders::events::OrderEvent;
use crate::orders::http::views::{order_view, CheckoutResponse, OrderPage, OrderView};
use crate::orders::status::OrderStatus;
use crate::orders::store::{self, Actor, CheckoutError, OrderItemRow, OrderRow};
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::platform::idempotency::{Begin, IdempotencyKey, Idempotent};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub delivery_address: Address,
}

/// Check out the cart
///
/// Reserves every line atomically and creates one order per seller (`pending_payment`).
/// Items stay reserved until `reserved_until`; unpaid orders are then cancelled and the items
/// go back on sale. Requires an `Idempotency-Key` header: the same key with the same body
/// replays the first answer; with a different body it is refused (422).
#[utoipa::path(post, path = "/api/v1/orders", operation_id = "checkout", tag = "orders", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique per checkout attempt; retries reuse it", pattern = "^[!-~]{1,100}$")),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "Orders placed, items reserved", body = CheckoutResponse),
        (status = 400, description = "Missing Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cart is empty (`cart_empty`), an item is no longer available (`out_of_stock`), or the same key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid address, or key reused with another body", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn checkout(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let idem = Idempotent::new(&state.db, user.id, IdempotencyKey::from_headers(&headers)?);
    let ApiJson(req) = ApiJson::<CheckoutRequest>::from_parts(&headers, &body)?;
    let result = match idem.begin(&body).await? {
        Begin::Replay(answer) => return Ok(answer),
        Begin::Run => place_orders(&state, &user, req, idem.key()).await,
        // Placed before a crash lost the answer: rebuild it rather than order twice.
        Begin::Completed(checkout_id) => placed_orders(&state, checkout_id).await,
    };
    idem.finish(result, StatusCode::CREATED).await
}

/// The answer of a checkout that committed, from what it stored.
async fn placed_orders(state: &AppState, checkout_id: Uuid) -> ApiResult<CheckoutResponse> {
    let mut placed = store::by_checkout(&state.db, checkout_id).await?;
    // A crash between the commit and the fee estimate left the fee unknown: estimate it now,
    // so the answer the buyer finally gets says what they will pay.
    for o in placed.iter_mut().filter(|o| o.status == OrderStatus::PendingPayment && o.delivery_fee == 0) {
        if let Ok(plan) = state.payments.estimate(o).await {
            (o.delivery_fee, o.total) = (plan.delivery_fee, plan.total);
        }
    }
    let (items, thumbs) = items_of(state, &placed).await?;
    Ok(CheckoutResponse::new(checkout_id, placed.iter().map(|o| order_view(o, &items, &thumbs, true, None)).collect()))
}

/// The items of `orders` and their products' thumbnails, for `order_view`.
pub async fn items_of(state: &AppState, orders: &[OrderRow]) -> ApiResult<(Vec<OrderItemRow>, Thumbnails)> {
    let items = store::items(&state.db, &orders.iter().map(|o| o.id).collect::<Vec<_>>()).await?;
    let thumbs =
        Thumbnails::load(&state.db, &items.iter().map(|i| i.product_id).collect::<Vec<_>>(), &state.image_urls).await?;
    Ok((items, thumbs))
}

async fn place_orders(
    state: &AppState,
    user: &AuthUser,
    req: CheckoutRequest,
    key: &IdempotencyKey,
) -> ApiResult<CheckoutResponse> {
    let mut errors = Vec::new();
    let mut addr = req.delivery_address;
    addr.is_default = false;
    profile::validate_addresses(std::slice::from_ref(&addr), &mut errors);
    for e in &mut errors {
        e.field = e.field.replace("addresses[0]", "delivery_address");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let addr = profile::one_default(vec![addr]).remove(0);
    let lines = cart::lines(&state.db, user.id).await?;
    if lines.is_empty() {
        // The request is fine; the cart is not ready for it.
        return Err(ApiError::Conflict("cart_empty", "the cart is empty: add items before checking out"));
    }
    let ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    if products::by_ids(&state.db, &ids).await?.iter().any(|p| p.seller_id == user.id) {
        return Err(ApiError::Conflict("own_product", "you can't buy your own listing"));
    }
    let address_json = serde_json::to_string(&addr).map_err(anyhow::Error::from)?;
    let ttl = chrono::Duration::seconds(state.config.reservation_ttl_secs as i64);
    match store::checkout(&state.db, user.id, &lines, &address_json, addr.area.trim(), ttl, key.as_str()).await? {
        Ok(mut placed) => {
            for o in &mut placed {
                // The fee the buyer will pay, shown now rather than at the quote; an estimate
                // that fails (strategy down) leaves it to the quote, never fails the checkout.
                match state.payments.estimate(o).await {
                    Ok(plan) => (o.delivery_fee, o.total) = (plan.delivery_fee, plan.total),
                    Err(e) => tracing::warn!(order = %o.id, error = %e, "no delivery-fee estimate at checkout"),
                }
                state.notifier.order_event(OrderEvent::OrderPlaced, o).await;
            }
            let (items, thumbs) = items_of(state, &placed).await?;
            tracing::info!(buyer = %user.id, orders = placed.len(), "checkout");
            Ok(CheckoutResponse::new(
                placed[0].checkout_id,
                placed.iter().map(|o| order_view(o, &items, &thumbs, true, None)).collect(),
            ))
        }
        Err(CheckoutError::OutOfStock(product)) => Err(ApiError::OutOfStock(product)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderListQuery {
    /// From the previous page's `next_cursor`; empty or absent: the first page.
    #[serde(default, deserialize_with = "crate::http::extract::empty_as_none")]
    #[param(pattern = "^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

pub fn check_limit(limit: Option<i64>) -> ApiResult<i64> {
    let limit = limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 100"));
    }
    Ok(limit)
}

/// Your orders
///
/// Orders you bought, and orders of items you sell, newest first.
#[utoipa::path(get, path = "/api/v1/orders", operation_id = "list_orders", tag = "orders", security(("bearer" = [])),
    params(OrderListQuery),
    responses((status = 200, description = "One page of orders", body = OrderPage)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<OrderListQuery>,
) -> ApiResult<Json<OrderPage>> {
    let limit = check_limit(q.limit)?;
    let before = q.cursor.as_deref().map(cursor::decode_id).transpose()?;
    let mut rows = store::for_user(&state.db, user.id, before, limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let (items, thumbs) = items_of(&state, &rows).await?;
    let next_cursor = if more { rows.last().map(|o| cursor::encode_id(o.id)) } else { None };
    Ok(Json(OrderPage {
        items: rows.iter().map(|o| order_view(o, &items, &thumbs, o.buyer_id == user.id, None)).collect(),
        next_cursor,
    }))
}

/// The order if `user` is its buyer, its seller or an admin.
pub async fn visible_order(state: &AppState, user: &AuthUser, id: Uuid) -> ApiResult<OrderRow> {
    let o = store::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("order"))?;
    if o.buyer_id != user.id && o.seller_id != user.id && user.role != Role::Admin {
        return Err(ApiError::NotFound("order"));
    }
    Ok(o)
}

async fn full_view(state: &AppState, o: &OrderRow, viewer: &AuthUser) -> ApiResult<OrderView> {
    let (items, thumbs) = items_of(state, std::slice::from_ref(o)).await?;
    let history = store::events(&state.db, o.id).await?;
    Ok(order_view(o, &items, &thumbs, o.buyer_id == viewer.id, Some(history)))
}

/// One order
///
/// With its items and audit trail. Buyers, sellers of the items, and admins.
#[utoipa::path(get, path = "/api/v1/orders/{id}", operation_id = "get_order", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "No such order (or not yours)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<OrderView>> {
    let o = visible_order(&state, &user, id).await?;
    Ok(Json(full_view(&state, &o, &user).await?))
}

/// Cancel an order
///
/// The buyer, until the rider picks the item up, or an admin. Unpaid orders become
/// `cancelled` and release their items; paid ones become `refunded`.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", operation_id = "cancel_order", tag = "orders",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Cancelled", body = OrderView),
        (status = 403, description = "Not the buyer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too late to cancel (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<OrderView>> {
    let o = visible_order(&state, &user, id).await?;
    let admin = user.role == Role::Admin;
    if o.buyer_id != user.id && !admin {
        return Err(ApiError::Forbidden);
    }
    let from = o.status;
    if !from.buyer_may_cancel() && !admin {
        return Err(ApiError::IllegalTransition { from: from.as_str(), to: OrderStatus::Cancelled.as_str() });
    }
    let actor = if admin && o.buyer_id != user.id { Actor::Admin(user.id) } else { Actor::User(user.id) };
    // Money first: while a payment is being confirmed (or was left so by a crash) nothing moves.
    state.payments.ensure_settled(id).await?;
    // A paid order is refunded through its gateway; the refund moves the order.
    let refunded = from.cancel_target() == OrderStatus::Refunded && state.payments.refund_for_cancel(id, actor).await?;
    let o = if refunded {
        store::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("order"))?
    } else {
        state.orders.change_status(id, Some(from), from.cancel_target(), actor, Some("cancelled by request")).await?
    };
    Ok(Json(full_view(&state, &o, &user).await?))
}

/// Mark ready for pickup
///
/// The seller, once the order is paid.
#[utoipa::path(post, path = "/api/v1/orders/{id}/ready", operation_id = "order_ready", tag = "orders",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Ready for pickup", body = OrderView),
        (status = 403, description = "Not the seller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not paid yet, or already further", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn ready(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<OrderView>> {
    let o = visible_order(&state, &user, id).await?;
    if o.seller_id != user.id {
        return Err(ApiError::Forbidden);
    }
    let o = state
        .orders
        .change_status(id, Some(OrderStatus::Paid), OrderStatus::ReadyForPickup, Actor::User(user.id), None)
        .await?;
    Ok(Json(full_view(&state, &o, &user).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminTransitionRequest {
    pub status: OrderStatus,
    /// Why, for the audit trail.
    #[schema(min_length = 1, max_length = 500, pattern = "ONE_LINE")]
    pub note: String,
}

/// Move an order (admin)
///
/// Any legal transition, recorded with the admin and the note — for support cases, and to
/// mark orders paid until the payments integration confirms them.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/status", operation_id = "admin_order_status", tag = "orders",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AdminTransitionRequest,
    responses(
        (status = 200, description = "Moved", body = OrderView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a legal transition", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing note", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn admin_status(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AdminTransitionRequest>,
) -> ApiResult<Json<OrderView>> {
    let note = req.note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ApiError::field("note", "must be 1 to 500 characters"));
    }
    let o = state.orders.change_status(id, None, req.status, Actor::Admin(admin.id), Some(note)).await?;
    Ok(Json(full_view(&state, &o, &admin).await?))
}
