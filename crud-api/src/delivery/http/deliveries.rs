//! Deliveries for riders (`/api/v1/rider/*`), and the buyer's view of one.
//!
//! Riders see what they need to carry an item — pickup and drop-off areas, the address, the
//! recipient's name and phone, the items — and nothing else: no buyer email, no prices, no
//! payment data.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::catalogue::http::thumbnails::Thumbnails;
use crate::delivery::areas;
use crate::delivery::store::{deliveries, riders};
use crate::http::cursor;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthRider, AuthUser};
use crate::identity::profile::Address;
use crate::orders::events::OrderEvent;
use crate::orders::http::handlers::{check_limit, items_of, visible_order};
use crate::orders::status::OrderStatus;
use crate::orders::store::{self as orders, Actor, OrderItemRow, OrderRow};
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::platform::ratelimit::retry_after_secs;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryItem {
    pub title: String,
    /// The product's cover photo, 400 px: what to look for at the pickup.
    pub thumbnail_url: Option<String>,
    pub quantity: i32,
}

/// A delivery as a rider sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub order_id: Uuid,
    pub status: OrderStatus,
    #[schema(example = "마포구")]
    pub pickup_area: String,
    #[schema(example = "강남구")]
    pub dropoff_area: String,
    /// Shown once the rider has accepted the delivery.
    pub dropoff_address: Option<Address>,
    pub items: Vec<DeliveryItem>,
    /// From the rider's last reported position to the pickup area, when both are known.
    pub distance_km: Option<f64>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

fn delivery_view(
    o: &OrderRow,
    items: &[OrderItemRow],
    thumbs: &Thumbnails,
    rider_pos: Option<(f64, f64)>,
    assigned: bool,
) -> DeliveryView {
    DeliveryView {
        order_id: o.id,
        status: o.status,
        pickup_area: o.pickup_area.clone(),
        dropoff_area: o.delivery_area.clone(),
        dropoff_address: if assigned { serde_json::from_str(&o.delivery_address).ok() } else { None },
        items: items
            .iter()
            .filter(|i| i.order_id == o.id)
            .map(|i| DeliveryItem {
                title: i.title.clone(),
                thumbnail_url: thumbs.get(i.product_id),
                quantity: i.quantity,
            })
            .collect(),
        distance_km: rider_pos
            .zip(areas::centre(&o.pickup_area))
            .map(|(r, p)| (areas::distance_km(r, p) * 10.0).round() / 10.0),
        accepted_at: o.accepted_at,
        picked_up_at: o.picked_up_at,
        delivered_at: o.delivered_at,
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryFilter {
    /// Paid orders nobody has taken yet, nearest pickup first.
    Available,
    /// Your accepted deliveries that are not finished.
    Mine,
    /// Your finished deliveries.
    Done,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryFilter>,
    /// From the previous page's `next_cursor`; empty or absent: the first page.
    #[serde(default, deserialize_with = "crate::http::extract::empty_as_none")]
    #[param(pattern = "^([A-Za-z0-9_-]{5}[AQgw])?$")]
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// One page of deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Deliveries a rider is offered or holds, at most this many (nearest first): more than a
/// rider can look through.
const DELIVERY_WINDOW: i64 = 200;

/// Deliveries
///
/// `available`: paid orders waiting for a rider, nearest pickup area to your last reported
/// position first (oldest first without a position). `mine`: accepted, not delivered.
#[utoipa::path(get, path = "/api/v1/rider/deliveries", operation_id = "rider_deliveries", tag = "riders",
    security(("bearer" = [])), params(DeliveryQuery),
    responses(
        (status = 200, description = "One page of deliveries", body = DeliveryPage),
        (status = 403, description = "Not a rider token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    rider: AuthRider,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<DeliveryPage>> {
    let limit = check_limit(q.limit)? as usize;
    let offset = q.cursor.as_deref().map(cursor::decode_offset).transpose()?.unwrap_or(0) as usize;
    let pos = deliveries::location(&state.db, rider.id).await?.map(|l| (l.lat, l.lng));
    let filter = q.status.unwrap_or(DeliveryFilter::Available);
    let rows = match filter {
        DeliveryFilter::Available => orders::awaiting_rider(&state.db, DELIVERY_WINDOW).await?,
        DeliveryFilter::Mine => {
            orders::for_rider(
                &state.db,
                rider.id,
                &[OrderStatus::Paid, OrderStatus::ReadyForPickup, OrderStatus::PickedUp],
                DELIVERY_WINDOW,
            )
            .await?
        }
        DeliveryFilter::Done => {
            orders::for_rider(&state.db, rider.id, &[OrderStatus::Delivered], DELIVERY_WINDOW).await?
        }
    };
    let mut rows = rows;
    if matches!(filter, DeliveryFilter::Available) {
        // Stable: equal or unknown distances keep oldest-first order.
        let km = |o: &OrderRow| {
            pos.zip(areas::centre(&o.pickup_area)).map(|(r, p)| areas::distance_km(r, p)).unwrap_or(f64::MAX)
        };
        rows.sort_by(|a, b| km(a).total_cmp(&km(b)));
    }
    let more = rows.len() > offset + limit;
    let page: Vec<OrderRow> = rows.into_iter().skip(offset).take(limit).collect();
    let (items, thumbs) = items_of(&state, &page).await?;
    let assigned = !matches!(filter, DeliveryFilter::Available);
    Ok(Json(DeliveryPage {
        items: page.iter().map(|o| delivery_view(o, &items, &thumbs, pos, assigned)).collect(),
        next_cursor: more.then(|| cursor::encode_offset((offset + limit) as u32)),
    }))
}

/// The order, if `rider` is assigned to it.
async fn assigned_order(state: &AppState, rider: &AuthRider, id: Uuid) -> ApiResult<OrderRow> {
    let o = orders::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("delivery"))?;
    if o.rider_id != Some(rider.id) {
        return Err(ApiError::NotFound("delivery"));
    }
    Ok(o)
}

async fn rider_view(state: &AppState, o: &OrderRow) -> ApiResult<DeliveryView> {
    let (items, thumbs) = items_of(state, std::slice::from_ref(o)).await?;
    Ok(delivery_view(o, &items, &thumbs, None, true))
}

/// Accept a delivery
///
/// First rider wins; the others get 409 `delivery_taken`.
#[utoipa::path(post, path = "/api/v1/rider/deliveries/{id}/accept", operation_id = "accept_delivery", tag = "riders",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Yours now", body = DeliveryView),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Taken by another rider, or not waiting for one", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn accept(
    State(state): State<AppState>,
    rider: AuthRider,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DeliveryView>> {
    orders::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("delivery"))?;
    if !orders::assign_rider(&state.db, id, rider.id).await? {
        return Err(ApiError::Conflict(
            "delivery_taken",
            "another rider accepted this delivery, or it is not waiting for one",
        ));
    }
    let o = orders::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("delivery"))?;
    state.notifier.order_event(OrderEvent::RiderAssigned, &o).await;
    Ok(Json(rider_view(&state, &o).await?))
}

/// Picked up
///
/// The assigned rider has the item.
#[utoipa::path(post, path = "/api/v1/rider/deliveries/{id}/pickup", operation_id = "pickup_delivery", tag = "riders",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "On the way", body = DeliveryView),
        (status = 404, description = "Not your delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not in a state to pick up", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn pickup(
    State(state): State<AppState>,
    rider: AuthRider,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DeliveryView>> {
    assigned_order(&state, &rider, id).await?;
    let o = state.orders.change_status(id, None, OrderStatus::PickedUp, Actor::Rider(rider.id), None).await?;
    Ok(Json(rider_view(&state, &o).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteRequest {
    /// The 6-digit code the buyer shows at the door.
    #[schema(example = "042917", pattern = "^[0-9]{6}$")]
    pub delivery_code: String,
}

/// Delivered
///
/// Needs the buyer's delivery code. Wrong codes are limited to 5 per 15 minutes per delivery.
#[utoipa::path(post, path = "/api/v1/rider/deliveries/{id}/complete", operation_id = "complete_delivery", tag = "riders",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CompleteRequest,
    responses(
        (status = 200, description = "Delivered", body = DeliveryView),
        (status = 404, description = "Not your delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not picked up yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong delivery code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn complete(
    State(state): State<AppState>,
    rider: AuthRider,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CompleteRequest>,
) -> ApiResult<Json<DeliveryView>> {
    let o = assigned_order(&state, &rider, id).await?;
    if o.status != OrderStatus::PickedUp {
        return Err(ApiError::IllegalTransition { from: o.status.as_str(), to: OrderStatus::Delivered.as_str() });
    }
    let matches: bool =
        subtle::ConstantTimeEq::ct_eq(req.delivery_code.trim().as_bytes(), o.delivery_code.as_bytes()).into();
    if !matches {
        state
            .limits
            .delivery_codes
            .check(&id.to_string())
            .await?
            .map_err(|w| ApiError::RateLimited { retry_after_secs: retry_after_secs(w) })?;
        return Err(ApiError::field("delivery_code", "does not match the buyer's code"));
    }
    let o = state
        .orders
        .change_status(id, Some(OrderStatus::PickedUp), OrderStatus::Delivered, Actor::Rider(rider.id), None)
        .await?;
    Ok(Json(rider_view(&state, &o).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    #[schema(example = 37.5563, minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(example = 126.9220, minimum = -180, maximum = 180)]
    pub lng: f64,
}

/// Report your position
///
/// At most one report every 2 seconds on average (bursts of 5).
#[utoipa::path(post, path = "/api/v1/rider/location", operation_id = "rider_location", tag = "riders",
    security(("bearer" = [])), request_body = LocationRequest,
    responses(
        (status = 204, description = "Stored"),
        (status = 422, description = "Not a coordinate", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Reporting too often", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn location(
    State(state): State<AppState>,
    rider: AuthRider,
    ApiJson(req): ApiJson<LocationRequest>,
) -> ApiResult<StatusCode> {
    let mut errors = Vec::new();
    if !(-90.0..=90.0).contains(&req.lat) {
        errors.push(crate::platform::error::FieldError::new("lat", "must be -90 to 90"));
    }
    if !(-180.0..=180.0).contains(&req.lng) {
        errors.push(crate::platform::error::FieldError::new("lng", "must be -180 to 180"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    state
        .limits
        .rider_location
        .check(&rider.id.to_string())
        .map_err(|w| ApiError::RateLimited { retry_after_secs: retry_after_secs(w) })?;
    deliveries::set_location(&state.db, rider.id, req.lat, req.lng).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiderContact {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Position {
    pub lat: f64,
    pub lng: f64,
    pub at: DateTime<Utc>,
}

/// Delivery status as the buyer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerDeliveryView {
    pub order_id: Uuid,
    pub status: OrderStatus,
    pub rider: Option<RiderContact>,
    /// The rider's last reported position, while the delivery is under way.
    pub last_position: Option<Position>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Delivery of an order
///
/// The buyer (or seller, or an admin) sees the rider, the status and the rider's last position.
#[utoipa::path(get, path = "/api/v1/orders/{id}/delivery", operation_id = "order_delivery", tag = "orders",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Delivery status", body = BuyerDeliveryView),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn for_order(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BuyerDeliveryView>> {
    let o = visible_order(&state, &user, id).await?;
    let (rider, last_position) = match o.rider_id {
        Some(rid) => {
            let r = riders::by_id(&state.db, rid).await?;
            let moving = matches!(o.status, OrderStatus::Paid | OrderStatus::ReadyForPickup | OrderStatus::PickedUp);
            let pos = if moving { deliveries::location(&state.db, rid).await? } else { None };
            (
                r.map(|r| RiderContact { name: r.name, phone: r.phone }),
                pos.map(|p| Position { lat: p.lat, lng: p.lng, at: p.updated_at }),
            )
        }
        None => (None, None),
    };
    Ok(Json(BuyerDeliveryView {
        order_id: o.id,
        status: o.status,
        rider,
        last_position,
        accepted_at: o.accepted_at,
        picked_up_at: o.picked_up_at,
        delivered_at: o.delivered_at,
    }))
}
