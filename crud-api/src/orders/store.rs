//! Orders: race-proof checkout, audited state transitions, reservation expiry.
//!
//! No oversell: stock moves with conditional UPDATEs (`… WHERE available >= $n`) inside one
//! transaction per checkout, rows touched in product-id order (so two checkouts of the same
//! items in opposite cart orders can't deadlock). On SQLite the transaction starts with
//! `BEGIN IMMEDIATE` (one writer at a time); on PostgreSQL row locks serialise competing
//! checkouts and the loser's WHERE fails after the winner commits. Either way the database's
//! CHECK constraints (`available >= 0`, stock adds up) are the last line of defence.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use uuid::Uuid;

use crate::begin_write;
use crate::bind_args;
use crate::cart::store::CartLine;
use crate::catalogue::store::products;
use crate::on_db;
use crate::orders::status::OrderStatus;
use crate::platform::args::{Arg, Args};
use crate::platform::db::Db;
use crate::transition_in;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub checkout_id: Uuid,
    pub status: OrderStatus,
    pub subtotal: i64,
    pub delivery_fee: i64,
    pub total: i64,
    pub delivery_address: String,
    pub delivery_area: String,
    pub pickup_area: String,
    pub delivery_code: String,
    pub reserved_until: DateTime<Utc>,
    pub rider_id: Option<Uuid>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const COLUMNS: &str = "id, buyer_id, seller_id, checkout_id, status, subtotal, delivery_fee, total, delivery_address, \
    delivery_area, pickup_area, delivery_code, reserved_until, rider_id, accepted_at, paid_at, picked_up_at, delivered_at, \
    cancelled_at, cancel_reason, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderItemRow {
    pub order_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub unit_price: i64,
    pub quantity: i32,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderEventRow {
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// Who moved an order.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    User(Uuid),
    Admin(Uuid),
    Rider(Uuid),
    System,
}

impl Actor {
    pub fn parts(self) -> (&'static str, Option<Uuid>) {
        match self {
            Actor::User(id) => ("user", Some(id)),
            Actor::Admin(id) => ("admin", Some(id)),
            Actor::Rider(id) => ("rider", Some(id)),
            Actor::System => ("system", None),
        }
    }
}

#[derive(Debug)]
pub enum CheckoutError {
    /// Not enough available units (someone else reserved them, or the listing was hidden).
    OutOfStock(Uuid),
}

fn delivery_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000))
}

#[derive(sqlx::FromRow)]
struct Reserved {
    seller_id: Uuid,
    title: String,
    price: i64,
    area: String,
}

/// Reserves every cart line and creates one order per seller, atomically: either every line
/// is reserved and the orders exist, or nothing changed.
#[tracing::instrument(skip_all, fields(buyer = %buyer_id))]
pub async fn checkout(
    db: &Db,
    buyer_id: Uuid,
    lines: &[CartLine],
    address_json: &str,
    delivery_area: &str,
    reserve_for: Duration,
    idempotency_key: &str,
) -> Result<Result<Vec<OrderRow>, CheckoutError>, sqlx::Error> {
    let mut lines = lines.to_vec();
    lines.sort_by_key(|l| l.product_id);
    let now = Utc::now();
    let checkout_id = Uuid::now_v7();
    let reserve = "UPDATE products SET available = available - $2, reserved = reserved + $2, updated_at = $3 \
                   WHERE id = $1 AND available >= $2 AND NOT hidden AND NOT deleted \
                   RETURNING seller_id, title, price, area";
    let insert_order = format!(
        "INSERT INTO orders (id, buyer_id, seller_id, checkout_id, status, subtotal, delivery_fee, total, delivery_address, \
         delivery_area, pickup_area, delivery_code, reserved_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending_payment', $5, 0, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {COLUMNS}"
    );
    let insert_item = "INSERT INTO order_items (id, order_id, product_id, title, unit_price, quantity) VALUES ($1, $2, $3, $4, $5, $6)";
    let insert_event =
        "INSERT INTO order_events (id, order_id, actor_kind, actor_id, from_status, to_status, note, at) \
                        VALUES ($1, $2, 'user', $3, NULL, 'pending_payment', 'checkout', $4)";
    let clear_cart = "DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2";
    on_db!(db, |pool| {
        let mut tx = begin_write!(db, pool);
        // seller → [(line, reserved)], sellers in a stable order
        let mut by_seller: BTreeMap<Uuid, Vec<(CartLine, Reserved)>> = BTreeMap::new();
        for line in &lines {
            let got = sqlx::query_as::<_, Reserved>(reserve)
                .bind(line.product_id)
                .bind(line.quantity)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            match got {
                Some(r) => by_seller.entry(r.seller_id).or_default().push((line.clone(), r)),
                None => return Ok(Err(CheckoutError::OutOfStock(line.product_id))), // drop = rollback
            }
        }
        let mut orders = Vec::new();
        for (seller_id, items) in by_seller {
            let subtotal: i64 = items.iter().map(|(l, r)| r.price * l.quantity as i64).sum();
            let pickup_area = items[0].1.area.clone();
            let order = sqlx::query_as::<_, OrderRow>(&insert_order)
                .bind(Uuid::now_v7())
                .bind(buyer_id)
                .bind(seller_id)
                .bind(checkout_id)
                .bind(subtotal)
                .bind(address_json)
                .bind(delivery_area)
                .bind(&pickup_area)
                .bind(delivery_code())
                .bind(now + reserve_for)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            for (line, r) in &items {
                sqlx::query(insert_item)
                    .bind(Uuid::now_v7())
                    .bind(order.id)
                    .bind(line.product_id)
                    .bind(&r.title)
                    .bind(r.price)
                    .bind(line.quantity)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(clear_cart).bind(buyer_id).bind(line.product_id).execute(&mut *tx).await?;
            }
            sqlx::query(insert_event)
                .bind(Uuid::now_v7())
                .bind(order.id)
                .bind(buyer_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            orders.push(order);
        }
        // Committed with the orders: a retry after a crash finds them instead of ordering twice.
        sqlx::query(crate::platform::idempotency::store::RECORD_RESOURCE)
            .bind(buyer_id)
            .bind(idempotency_key)
            .bind(checkout_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        products::wrote();
        Ok(Ok(orders))
    })
}

/// The orders one checkout placed (one per seller).
#[tracing::instrument(skip_all)]
pub async fn by_checkout(db: &Db, checkout_id: Uuid) -> Result<Vec<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE checkout_id = $1 ORDER BY id");
    on_db!(db, |pool| sqlx::query_as::<_, OrderRow>(&sql).bind(checkout_id).fetch_all(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, OrderRow>(&sql).bind(id).fetch_optional(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn items(db: &Db, order_ids: &[Uuid]) -> Result<Vec<OrderItemRow>, sqlx::Error> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::default();
    let list: Vec<String> = order_ids.iter().map(|id| args.push(Arg::Uuid(*id))).collect();
    let sql = format!(
        "SELECT order_id, product_id, title, unit_price, quantity FROM order_items WHERE order_id IN ({}) ORDER BY order_id, id",
        list.join(", ")
    );
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, OrderItemRow>(&sql), args.0).fetch_all(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn events(db: &Db, order_id: Uuid) -> Result<Vec<OrderEventRow>, sqlx::Error> {
    let sql = "SELECT actor_kind, actor_id, from_status, to_status, note, at FROM order_events WHERE order_id = $1 ORDER BY at, id";
    on_db!(db, |pool| sqlx::query_as::<_, OrderEventRow>(sql).bind(order_id).fetch_all(pool).await)
}

/// Orders where `user` is the buyer or the seller, newest first, `limit + 1` rows after `before`.
#[tracing::instrument(skip_all)]
pub async fn for_user(db: &Db, user: Uuid, before: Option<Uuid>, limit: i64) -> Result<Vec<OrderRow>, sqlx::Error> {
    let mut args = Args::default();
    let u = args.push(Arg::Uuid(user));
    let mut wh = format!("(buyer_id = {u} OR seller_id = {u})");
    if let Some(b) = before {
        wh.push_str(&format!(" AND id < {}", args.push(Arg::Uuid(b))));
    }
    let lim = args.push(Arg::Int(limit + 1));
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE {wh} ORDER BY id DESC LIMIT {lim}");
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, OrderRow>(&sql), args.0).fetch_all(pool).await)
}

#[derive(Debug)]
pub enum TransitionError {
    NotFound,
    /// Not a legal move from the order's current state.
    Illegal {
        from: OrderStatus,
        to: OrderStatus,
    },
}

/// Moves an order to `to` if that is legal from its current state (and, when `expect` is
/// given, only from that state), applies the stock effect and records the event — in one
/// transaction. Concurrent movers: exactly one wins; the others see the new state.
#[tracing::instrument(skip(db, note))]
pub async fn transition(
    db: &Db,
    order_id: Uuid,
    expect: Option<OrderStatus>,
    to: OrderStatus,
    actor: Actor,
    note: Option<&str>,
) -> Result<Result<OrderRow, TransitionError>, sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = begin_write!(db, pool);
        let moved = transition_in!(tx, order_id, expect, to, actor, note);
        if moved.is_ok() {
            tx.commit().await?;
            products::wrote();
        }
        Ok(moved)
    })
}

/// The SQL of a transition, inside the caller's write transaction `$tx` (so a payment's
/// confirmation and the order's move to paid commit together): evaluates to
/// `Result<OrderRow, TransitionError>`; `?` on database errors. The caller commits.
#[macro_export]
macro_rules! transition_in {
    ($tx:ident, $order_id:expr, $expect:expr, $to:expr, $actor:expr, $note:expr) => {
        'transition: {
            use $crate::orders::status::{OrderStatus, StockEffect};
            use $crate::orders::store::{OrderRow, TransitionError, COLUMNS};
            let (order_id, expect, to, actor, note): (uuid::Uuid, Option<OrderStatus>, OrderStatus, _, Option<&str>) =
                ($order_id, $expect, $to, $actor, $note);
            let now = chrono::Utc::now();
            let stamp = match to {
                OrderStatus::Paid => ", paid_at = $4",
                OrderStatus::PickedUp => ", picked_up_at = $4",
                OrderStatus::Delivered => ", delivered_at = $4",
                OrderStatus::Cancelled | OrderStatus::Refunded => ", cancelled_at = $4, cancel_reason = $5",
                _ => "",
            };
            let takes_reason = stamp.contains("$5");
            let update = format!(
                "UPDATE orders SET status = $2, updated_at = $4{stamp} WHERE id = $1 AND status = $3 RETURNING {COLUMNS}"
            );
            let current: Option<String> = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_optional(&mut *$tx)
                .await?;
            let Some(from) = current.as_deref().and_then(OrderStatus::parse) else {
                break 'transition Err(TransitionError::NotFound);
            };
            if !from.can_become(to) || expect.is_some_and(|e| e != from) {
                break 'transition Err(TransitionError::Illegal { from, to });
            }
            let mut q =
                sqlx::query_as::<_, OrderRow>(&update).bind(order_id).bind(to.as_str()).bind(from.as_str()).bind(now);
            if takes_reason {
                q = q.bind(note);
            }
            let Some(row) = q.fetch_optional(&mut *$tx).await? else {
                // Changed under us (PostgreSQL, read committed): report the state we lost to.
                break 'transition Err(TransitionError::Illegal { from, to });
            };
            let stock = match from.stock_effect(to) {
                StockEffect::None => None,
                StockEffect::Sell => Some("reserved = reserved - $2, sold = sold + $2"),
                StockEffect::Release => Some("available = available + $2, reserved = reserved - $2"),
                StockEffect::Restock => Some("available = available + $2, sold = sold - $2"),
            };
            if let Some(set) = stock {
                let items: Vec<(uuid::Uuid, i32)> = sqlx::query_as(
                    "SELECT product_id, quantity FROM order_items WHERE order_id = $1 ORDER BY product_id",
                )
                .bind(order_id)
                .fetch_all(&mut *$tx)
                .await?;
                let sql = format!("UPDATE products SET {set}, updated_at = $3 WHERE id = $1");
                for (product, qty) in items {
                    sqlx::query(&sql).bind(product).bind(qty).bind(now).execute(&mut *$tx).await?;
                }
            }
            let (kind, actor_id) = actor.parts();
            sqlx::query(
                "INSERT INTO order_events (id, order_id, actor_kind, actor_id, from_status, to_status, note, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(order_id)
            .bind(kind)
            .bind(actor_id)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(note)
            .bind(now)
            .execute(&mut *$tx)
            .await?;
            Ok(row)
        }
    };
}

/// Writes the strategy's estimate (delivery fee and total) on an unpaid order with no quote
/// yet: a quote's plan, once stored, is what the order says.
#[tracing::instrument(skip_all)]
pub async fn set_estimate(db: &Db, order_id: Uuid, delivery_fee: i64, total: i64) -> Result<(), sqlx::Error> {
    let sql = "UPDATE orders SET delivery_fee = $2, total = $3, updated_at = $4 \
               WHERE id = $1 AND status = 'pending_payment' AND NOT EXISTS (SELECT 1 FROM payments WHERE order_id = $1)";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(order_id)
        .bind(delivery_fee)
        .bind(total)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Unpaid orders whose reservation ran out before `now`.
#[tracing::instrument(skip_all)]
pub async fn expired(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = "SELECT id FROM orders WHERE status = 'pending_payment' AND reserved_until < $1 ORDER BY reserved_until LIMIT $2";
    on_db!(db, |pool| sqlx::query_scalar(sql).bind(now).bind(limit).fetch_all(pool).await)
}

/// Assigns a rider to a paid order nobody has taken. False when another rider was faster (or
/// the order is not waiting for a rider).
#[tracing::instrument(skip_all)]
pub async fn assign_rider(db: &Db, order_id: Uuid, rider_id: Uuid) -> Result<bool, sqlx::Error> {
    let now = Utc::now();
    let sql = "UPDATE orders SET rider_id = $2, accepted_at = $3, updated_at = $3 \
               WHERE id = $1 AND rider_id IS NULL AND status IN ('paid', 'ready_for_pickup')";
    let event = "INSERT INTO order_events (id, order_id, actor_kind, actor_id, from_status, to_status, note, at) \
                 SELECT $1, id, 'rider', $2, status, status, 'rider assigned', $3 FROM orders WHERE id = $4";
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let won =
            sqlx::query(sql).bind(order_id).bind(rider_id).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
        if won {
            sqlx::query(event).bind(Uuid::now_v7()).bind(rider_id).bind(now).bind(order_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(won)
    })
}

/// Orders waiting for a rider (paid or ready, unassigned), oldest first.
#[tracing::instrument(skip_all)]
pub async fn awaiting_rider(db: &Db, limit: i64) -> Result<Vec<OrderRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM orders WHERE rider_id IS NULL AND status IN ('paid', 'ready_for_pickup') ORDER BY id LIMIT $1"
    );
    on_db!(db, |pool| sqlx::query_as::<_, OrderRow>(&sql).bind(limit).fetch_all(pool).await)
}

/// A rider's own deliveries in the given states, newest first.
#[tracing::instrument(skip_all)]
pub async fn for_rider(
    db: &Db,
    rider_id: Uuid,
    statuses: &[OrderStatus],
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let mut args = Args::default();
    let r = args.push(Arg::Uuid(rider_id));
    let list: Vec<String> = statuses.iter().map(|s| args.push(Arg::Text(s.as_str().to_string()))).collect();
    let lim = args.push(Arg::Int(limit));
    let sql = format!(
        "SELECT {COLUMNS} FROM orders WHERE rider_id = {r} AND status IN ({}) ORDER BY id DESC LIMIT {lim}",
        list.join(", ")
    );
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, OrderRow>(&sql), args.0).fetch_all(pool).await)
}

/// What a payment strategy needs to know about each line of an order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StrategyLine {
    pub product_id: Uuid,
    pub title: String,
    pub category: String,
    pub seller_id: Uuid,
    pub unit_price: i64,
    pub quantity: i32,
    pub width_cm: Option<i32>,
    pub depth_cm: Option<i32>,
    pub height_cm: Option<i32>,
    pub weight_kg: Option<i32>,
}

#[tracing::instrument(skip_all)]
pub async fn strategy_lines(db: &Db, order_id: Uuid) -> Result<Vec<StrategyLine>, sqlx::Error> {
    let sql = "SELECT i.product_id, i.title, c.slug AS category, p.seller_id, i.unit_price, i.quantity, \
               p.width_cm, p.depth_cm, p.height_cm, p.weight_kg \
               FROM order_items i JOIN products p ON p.id = i.product_id JOIN categories c ON c.id = p.category_id \
               WHERE i.order_id = $1 ORDER BY i.product_id";
    on_db!(db, |pool| sqlx::query_as::<_, StrategyLine>(sql).bind(order_id).fetch_all(pool).await)
}
