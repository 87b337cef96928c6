//! Order bodies: what buyers, sellers and admins see.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalogue::http::thumbnails::Thumbnails;
use crate::identity::profile::Address;
use crate::orders::status::OrderStatus;
use crate::orders::store::{OrderEventRow, OrderItemRow, OrderRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderItemView {
    pub product_id: Uuid,
    pub title: String,
    /// The product's cover photo, 400 px (absent once the seller has removed its photos).
    pub thumbnail_url: Option<String>,
    /// KRW, as at checkout.
    pub unit_price: i64,
    pub quantity: i32,
}

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderEventView {
    /// `user`, `admin`, `rider` or `system`.
    pub actor: String,
    pub actor_id: Option<Uuid>,
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    /// Orders placed by one checkout share it (one order per seller).
    pub checkout_id: Uuid,
    pub status: OrderStatus,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub items: Vec<OrderItemView>,
    /// KRW.
    pub subtotal: i64,
    pub delivery_fee: i64,
    pub total: i64,
    pub delivery_address: Option<Address>,
    pub delivery_area: String,
    pub pickup_area: String,
    /// The code the buyer gives the rider at the door; shown to the buyer only.
    pub delivery_code: Option<String>,
    /// Unpaid orders are cancelled, and their items released, after this.
    pub reserved_until: DateTime<Utc>,
    pub rider_id: Option<Uuid>,
    pub paid_at: Option<DateTime<Utc>>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Audit trail, oldest first (only on the single-order endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<OrderEventView>>,
}

pub fn order_view(
    o: &OrderRow,
    items: &[OrderItemRow],
    thumbs: &Thumbnails,
    viewer_is_buyer: bool,
    history: Option<Vec<OrderEventRow>>,
) -> OrderView {
    OrderView {
        id: o.id,
        checkout_id: o.checkout_id,
        status: o.status,
        buyer_id: o.buyer_id,
        seller_id: o.seller_id,
        items: items
            .iter()
            .filter(|i| i.order_id == o.id)
            .map(|i| OrderItemView {
                product_id: i.product_id,
                title: i.title.clone(),
                thumbnail_url: thumbs.get(i.product_id),
                unit_price: i.unit_price,
                quantity: i.quantity,
            })
            .collect(),
        subtotal: o.subtotal,
        delivery_fee: o.delivery_fee,
        total: o.total,
        delivery_address: serde_json::from_str(&o.delivery_address).ok(),
        delivery_area: o.delivery_area.clone(),
        pickup_area: o.pickup_area.clone(),
        delivery_code: viewer_is_buyer.then(|| o.delivery_code.clone()),
        reserved_until: o.reserved_until,
        rider_id: o.rider_id,
        paid_at: o.paid_at,
        picked_up_at: o.picked_up_at,
        delivered_at: o.delivered_at,
        cancelled_at: o.cancelled_at,
        cancel_reason: o.cancel_reason.clone(),
        created_at: o.created_at,
        updated_at: o.updated_at,
        history: history.map(|h| {
            h.into_iter()
                .map(|e| OrderEventView {
                    actor: e.actor_kind,
                    actor_id: e.actor_id,
                    from: e.from_status,
                    to: e.to_status,
                    note: e.note,
                    at: e.at,
                })
                .collect()
        }),
    }
}

/// A checkout: one order per seller, each paid on its own (see docs/api.md, "One payment per
/// seller"), with the sums a checkout page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutResponse {
    pub checkout_id: Uuid,
    /// One order per seller.
    pub orders: Vec<OrderView>,
    /// Sum of the orders' subtotals, KRW.
    pub subtotal: i64,
    /// Sum of the orders' estimated delivery fees, KRW (a coupon at the quote may lower it).
    pub delivery_fee: i64,
    /// Sum of the orders' totals, KRW: what the buyer pays over all the orders' payments.
    pub total: i64,
}

impl CheckoutResponse {
    pub fn new(checkout_id: Uuid, orders: Vec<OrderView>) -> Self {
        Self {
            checkout_id,
            subtotal: orders.iter().map(|o| o.subtotal).sum(),
            delivery_fee: orders.iter().map(|o| o.delivery_fee).sum(),
            total: orders.iter().map(|o| o.total).sum(),
            orders,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
