//! Quote, confirm, refund and webhooks: gateway calls tied to payments, orders and the ledger.
//!
//! Confirm captures exactly once: the open quote is claimed with a conditional UPDATE before
//! the gateway is called, so of concurrent or replayed confirms one calls the gateway; the
//! others see the claim (409 while it runs) or, once it is done, the confirmed payment (200).

use std::sync::Arc;

use uuid::Uuid;

use plugin_strategies as s;

use super::store::{self, NewQuote, PaymentRow, Unsettled};
use crate::delivery::areas;
use crate::orders::flow::Orders;
use crate::orders::status::OrderStatus;
use crate::orders::store::{self as orders, Actor, OrderRow};
use crate::payments::error::PaymentError;
use crate::payments::gateway::{GatewayError, Gateways, Lookup};
use crate::payments::ledger;
use crate::payments::plan::StoredPlan;
use crate::payments::status::PaymentStatus;
use crate::platform::db::Db;

fn strategy_error(e: plugin_host::PluginError) -> PaymentError {
    PaymentError::StrategyUnavailable(format!("payment ({})", e.kind()))
}

/// A stored quote: what the buyer confirms.
pub struct Quote {
    pub payment_id: Uuid,
    pub plan: StoredPlan,
    /// sha256 of the plugin that answered; None when the built-in strategy did.
    pub plugin_digest: Option<String>,
    /// Why the built-in fallback answered (the plugin's error kind), if it did.
    pub fallback_reason: Option<String>,
    /// Parameters for the plan's gateway to start the payment on the client.
    pub initiate: serde_json::Value,
}

/// The payment flows and what they need: the database, the tenant's strategies, the gateways,
/// and the order state machine (a capture pays the order, a full refund refunds it).
#[derive(Clone)]
pub struct Payments {
    db: Db,
    plugins: Arc<plugin_host::Registry>,
    gateways: Gateways,
    orders: Orders,
}

impl Payments {
    pub fn new(db: Db, plugins: Arc<plugin_host::Registry>, gateways: Gateways, orders: Orders) -> Self {
        Self { db, plugins, gateways, orders }
    }

    /// Runs the tenant's payment strategy for an unpaid order and stores the verified plan.
    #[tracing::instrument(skip_all, fields(order = %order.id))]
    pub async fn quote(&self, order: &OrderRow, coupon: Option<String>) -> Result<Quote, PaymentError> {
        let (planned, lines) = self.plan(order, coupon).await?;
        let plan = StoredPlan::from(&planned.value);
        let gateway = self.gateways.get(&plan.gateway).cloned().ok_or_else(|| {
            PaymentError::StrategyUnavailable(format!("payment (plan names unknown gateway {})", plan.gateway))
        })?;
        let order_name = match lines.len() {
            0 => "가져가구 주문".to_string(),
            1 => lines[0].title.clone(),
            n => format!("{} 외 {}건", lines[0].title, n - 1),
        };
        let row = store::insert_quote(
            &self.db,
            &NewQuote {
                order_id: order.id,
                gateway: &plan.gateway,
                plan: &plan.to_json(),
                amount: plan.total,
                delivery_fee: plan.delivery_fee,
                commission: plan.commission,
                digest: planned.digest.as_deref(),
            },
        )
        .await?;
        Ok(Quote {
            payment_id: row.id,
            initiate: gateway.initiate(order.id, plan.total, &order_name),
            plan,
            plugin_digest: planned.digest,
            fallback_reason: planned.fallback_reason.map(|e| e.kind().to_string()),
        })
    }

    /// What the strategy would charge for a just-placed order without a coupon, written on
    /// the order (delivery fee and total), so that the buyer sees the fee at checkout and the
    /// quote does not change the total (unless a coupon does). Stores no quote.
    #[tracing::instrument(skip_all, fields(order = %order.id))]
    pub async fn estimate(&self, order: &OrderRow) -> Result<StoredPlan, PaymentError> {
        let plan = StoredPlan::from(&self.plan(order, None).await?.0.value);
        orders::set_estimate(&self.db, order.id, plan.delivery_fee, plan.total).await?;
        Ok(plan)
    }

    /// The tenant's strategy's plan for an unpaid order, with the order's lines.
    async fn plan(
        &self,
        order: &OrderRow,
        coupon: Option<String>,
    ) -> Result<(plugin_host::Outcome<s::Plan>, Vec<orders::StrategyLine>), PaymentError> {
        if order.status != OrderStatus::PendingPayment {
            return Err(PaymentError::NotPayable(order.status));
        }
        let lines = orders::strategy_lines(&self.db, order.id).await?;
        let distance_km = areas::centre(&order.pickup_area).zip(areas::centre(&order.delivery_area)).map(|(a, b)| {
            // Roads are ~1.3× the straight line in Seoul.
            (areas::distance_km(a, b) * 1.3 * 10.0).round() / 10.0
        });
        let checkout = s::Checkout {
            order_id: order.id.to_string(),
            buyer_id: order.buyer_id.to_string(),
            delivery_area: order.delivery_area.clone(),
            pickup_area: order.pickup_area.clone(),
            distance_km,
            coupon: coupon.filter(|c| !c.trim().is_empty()),
            // The order's time, not the payment's: what checkout showed is what the quote asks,
            // also when the buyer pays after a time-based price has ended.
            placed_at: self.plugins.clock().at(order.created_at.into()),
            lines: lines
                .iter()
                .map(|l| s::Line {
                    product_id: l.product_id.to_string(),
                    title: l.title.clone(),
                    category: l.category.clone(),
                    seller_id: l.seller_id.to_string(),
                    unit_price: l.unit_price,
                    quantity: l.quantity.max(0) as u32,
                    width_cm: l.width_cm.map(|v| v.max(0) as u32),
                    depth_cm: l.depth_cm.map(|v| v.max(0) as u32),
                    height_cm: l.height_cm.map(|v| v.max(0) as u32),
                    weight_kg: l.weight_kg.map(|v| v.max(0) as u32),
                })
                .collect(),
        };
        let registry = self.plugins.clone();
        let outcome = tokio::task::spawn_blocking(move || registry.quote(&checkout))
            .await
            .map_err(anyhow::Error::from)?
            .map_err(strategy_error)?;
        Ok((outcome, lines))
    }

    /// Confirms the order's open quote with the gateway, once.
    #[tracing::instrument(skip_all, fields(order = %order.id))]
    pub async fn confirm(&self, order: &OrderRow, payment_key: &str, amount: i64) -> Result<PaymentRow, PaymentError> {
        // A replay of a finished confirm answers what it answered.
        if let Some(done) = store::by_key(&self.db, payment_key).await? {
            if done.order_id != order.id {
                return Err(PaymentError::KeyUsed);
            }
            return match done.status {
                PaymentStatus::Confirming => Err(PaymentError::InProgress("this payment is being confirmed")),
                PaymentStatus::Failed => Err(PaymentError::Declined(done.failure.unwrap_or_default())),
                _ => Ok(done),
            };
        }
        let Some(quote) = store::open_quote(&self.db, order.id).await? else {
            // A concurrent confirm (another key) may hold the quote: say so, not "no quote".
            if store::has_unresolved(&self.db, order.id).await? {
                return Err(PaymentError::InProgress("another confirmation of this order is running"));
            }
            // Read after that check: a concurrent confirm that settled meanwhile has paid it
            // (`order` was read before).
            let now = orders::by_id(&self.db, order.id).await?.map_or(order.status, |o| o.status);
            return Err(if now == OrderStatus::PendingPayment {
                PaymentError::NoQuote
            } else {
                PaymentError::AlreadyPaid
            });
        };
        if amount != quote.amount {
            return Err(PaymentError::AmountMismatch(quote.amount));
        }
        if !store::claim(&self.db, quote.id, payment_key).await? {
            return Err(PaymentError::InProgress("another confirmation of this order is running"));
        }
        let gateway = self
            .gateways
            .get(&quote.gateway)
            .cloned()
            .ok_or_else(|| PaymentError::GatewayUnavailable(quote.gateway.clone()))?;
        let receipt = match gateway.confirm(payment_key, order.id, quote.amount).await {
            Ok(r) => r,
            Err(GatewayError::Declined(why)) => {
                store::set_status(&self.db, quote.id, PaymentStatus::Confirming, PaymentStatus::Failed, Some(&why))
                    .await?;
                return Err(PaymentError::Declined(why));
            }
            // The gateway may have captured before the answer was lost (a timeout): the payment
            // stays `confirming` and the reconciler asks the gateway what happened.
            Err(e) => return Err(PaymentError::GatewayUnavailable(e.to_string())),
        };
        let row = self
            .settle(&quote, payment_key, &receipt.method, Actor::User(order.buyer_id), "payment confirmed", &gateway)
            .await?;
        tracing::info!(order = %order.id, payment = %row.id, amount = row.amount, gateway = %row.gateway, "payment captured");
        Ok(row)
    }

    /// Books a captured payment: the payment confirmed, its ledger entries and the order paid,
    /// in one transaction. If the order can't be paid any more (its reservation ran out), the
    /// money goes back through the gateway and the payment is cancelled.
    async fn settle(
        &self,
        payment: &PaymentRow,
        payment_key: &str,
        method: &str,
        actor: Actor,
        note: &str,
        gateway: &Arc<dyn crate::payments::PaymentGateway>,
    ) -> Result<PaymentRow, PaymentError> {
        let plan = StoredPlan::from_json(&payment.plan).map_err(anyhow::Error::from)?;
        let payouts: Vec<(String, i64)> = plan.payouts.iter().map(|p| (p.seller_id.clone(), p.amount)).collect();
        let entries =
            ledger::capture(&payment.gateway, payment.amount, payment.delivery_fee, payment.commission, &payouts);
        match store::settle(&self.db, payment.id, payment.order_id, method, &entries, actor, note).await? {
            Ok((row, order)) => {
                if let Some(order) = order {
                    self.orders.announce(&order, actor).await;
                }
                Ok(row)
            }
            // Someone else settled it meanwhile: the reconciler (a slow confirmation outlived
            // `PAYMENT_RECONCILE_AFTER_SECS`). Booked: that is our answer. Failed or cancelled
            // while we hold a capture: give the money back, it is booked nowhere.
            Err(Unsettled::PaymentMoved) => match store::by_id(&self.db, payment.id).await? {
                Some(now) if now.status.is_captured() || now.status == PaymentStatus::Refunded => Ok(now),
                _ => {
                    gateway
                        .cancel(payment_key, payment.amount, "payment settled elsewhere")
                        .await
                        .map_err(|e| PaymentError::GatewayUnavailable(format!("returning the money failed ({e})")))?;
                    Err(PaymentError::InProgress("the payment changed during confirmation; nothing was charged"))
                }
            },
            Err(Unsettled::OrderNotPayable(from)) => {
                // Money is captured for an order that no longer exists: give it back. Should
                // the cancel fail, the payment stays `confirming` and the reconciler retries.
                gateway.cancel(payment_key, payment.amount, "order no longer payable").await.map_err(|e| {
                    PaymentError::GatewayUnavailable(format!("returning the money failed ({e}); it will be retried"))
                })?;
                store::set_status(
                    &self.db,
                    payment.id,
                    PaymentStatus::Confirming,
                    PaymentStatus::Cancelled,
                    Some("order no longer payable"),
                )
                .await?;
                Err(PaymentError::NotPayable(from))
            }
        }
    }

    /// Money must not move while a payment of the order is unresolved (a cancel would release
    /// the items while the buyer's money is captured, or "refund" nothing).
    pub async fn ensure_settled(&self, order_id: Uuid) -> Result<(), PaymentError> {
        if store::has_unresolved(&self.db, order_id).await? {
            return Err(PaymentError::Unresolved);
        }
        Ok(())
    }

    /// Settles payments left `confirming` for longer than `after` (a crash between the
    /// gateway's capture and the commit, or a gateway timeout): asks the gateway, then books
    /// the capture (order paid, ledger), or fails a payment that was never captured (the buyer
    /// can quote and pay again). Safe on every replica at once: each payment is taken by one.
    /// Returns how many it settled.
    #[tracing::instrument(skip_all)]
    pub async fn reconcile(&self, after: std::time::Duration) -> Result<usize, PaymentError> {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(after).map_err(anyhow::Error::from)?;
        let mut settled = 0;
        for p in store::stale_confirming(&self.db, cutoff, 100).await? {
            if !store::take_for_reconcile(&self.db, p.id, cutoff).await? {
                continue; // another replica has it
            }
            match self.reconcile_one(&p).await {
                Ok(()) => settled += 1,
                Err(e) => tracing::warn!(payment = %p.id, error = %e, "payment left unresolved; retrying later"),
            }
        }
        if settled > 0 {
            tracing::info!(count = settled, "unresolved payments settled");
        }
        Ok(settled)
    }

    async fn reconcile_one(&self, p: &PaymentRow) -> Result<(), PaymentError> {
        let Some(key) = p.payment_key.as_deref() else {
            store::release(&self.db, p.id).await?;
            return Ok(());
        };
        let gateway = self
            .gateways
            .get(&p.gateway)
            .cloned()
            .ok_or_else(|| PaymentError::GatewayUnavailable(p.gateway.clone()))?;
        let lookup =
            gateway.lookup(key, p.order_id).await.map_err(|e| PaymentError::GatewayUnavailable(e.to_string()))?;
        tracing::info!(payment = %p.id, ?lookup, "reconciling a payment left confirming");
        match lookup {
            Lookup::Captured { amount, method } if amount == p.amount => {
                match self.settle(p, key, &method, Actor::System, "payment settled by the reconciler", &gateway).await {
                    Ok(_) | Err(PaymentError::NotPayable(_)) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Lookup::Captured { amount, .. } => {
                // Not what was quoted: never keep it.
                gateway
                    .cancel(key, amount, "captured amount differs from the quote")
                    .await
                    .map_err(|e| PaymentError::GatewayUnavailable(e.to_string()))?;
                let why = "the gateway captured a different amount; returned";
                store::set_status(&self.db, p.id, PaymentStatus::Confirming, PaymentStatus::Cancelled, Some(why))
                    .await?;
                Ok(())
            }
            Lookup::Cancelled => {
                let why = "cancelled at the gateway before it was confirmed here";
                store::set_status(&self.db, p.id, PaymentStatus::Confirming, PaymentStatus::Cancelled, Some(why))
                    .await?;
                Ok(())
            }
            Lookup::NotCaptured => {
                let why = "never captured by the gateway (confirmation interrupted)";
                store::set_status(&self.db, p.id, PaymentStatus::Confirming, PaymentStatus::Failed, Some(why)).await?;
                Ok(())
            }
        }
    }

    /// Refunds `amount` (None: everything left) of a captured payment. A full refund of an order
    /// that has not left the seller also refunds the order and puts the item back on sale; the
    /// order's audit trail records `actor` (the admin who refunded, or the buyer who cancelled).
    #[tracing::instrument(skip_all, fields(payment = %payment.id))]
    pub async fn refund(
        &self,
        payment: &PaymentRow,
        amount: Option<i64>,
        reason: &str,
        actor: Actor,
    ) -> Result<PaymentRow, PaymentError> {
        if !payment.status.is_captured() {
            return Err(PaymentError::NotRefundable("only captured payments can be refunded"));
        }
        let left = payment.amount - payment.refunded_amount;
        let amount = amount.unwrap_or(left);
        if amount <= 0 || amount > left {
            return Err(PaymentError::RefundAmount(left));
        }
        let key = payment.payment_key.clone().ok_or(PaymentError::NotRefundable("no payment key"))?;
        let gateway = self
            .gateways
            .get(&payment.gateway)
            .cloned()
            .ok_or_else(|| PaymentError::GatewayUnavailable(payment.gateway.clone()))?;
        gateway.cancel(&key, amount, reason).await.map_err(|e| match e {
            GatewayError::Declined(why) => PaymentError::Declined(why),
            other => PaymentError::GatewayUnavailable(other.to_string()),
        })?;
        let row = self.book_refund(payment, amount, reason, actor).await?;
        tracing::info!(payment = %row.id, amount, "refunded");
        Ok(row)
    }

    /// Refunds the captured payment of a paid order being cancelled (by its buyer, or an admin on
    /// their behalf: `actor`); false when the order has no captured payment (e.g. an admin marked
    /// it paid by hand), and the caller moves the order itself.
    #[tracing::instrument(skip_all, fields(order = %order_id))]
    pub async fn refund_for_cancel(&self, order_id: Uuid, actor: Actor) -> Result<bool, PaymentError> {
        let captured = store::for_order(&self.db, order_id).await?.into_iter().find(|p| p.status.is_captured());
        match captured {
            Some(p) => {
                let reason = match actor {
                    Actor::User(_) => "cancelled by the buyer",
                    _ => "cancelled on the buyer's behalf",
                };
                self.refund(&p, None, reason, actor).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Applies a verified webhook once: a cancellation made at the gateway (e.g. from its
    /// dashboard) refunds what is left here too. Other events are recorded only.
    #[tracing::instrument(skip_all, fields(gateway = %gateway))]
    pub async fn webhook(
        &self,
        gateway: &str,
        event: &crate::payments::WebhookEvent,
        body: &str,
    ) -> Result<bool, PaymentError> {
        if !store::record_webhook(&self.db, gateway, &event.event_id, body).await? {
            return Ok(false); // seen before
        }
        if event.status == "canceled" || event.status == "cancelled" {
            if let Some(p) = store::by_key(&self.db, &event.payment_key).await? {
                let left = p.amount - p.refunded_amount;
                if p.status.is_captured() && left > 0 {
                    self.book_refund(&p, left, "cancelled at the gateway", Actor::System).await?;
                }
            }
        }
        Ok(true)
    }

    /// Records a refund the gateway already made: ledger entries, the payment's refunded amount,
    /// and — once fully refunded — the order's move to `refunded` (restocking an item that has not
    /// left the seller).
    async fn book_refund(
        &self,
        payment: &PaymentRow,
        amount: i64,
        reason: &str,
        actor: Actor,
    ) -> Result<PaymentRow, PaymentError> {
        let plan = StoredPlan::from_json(&payment.plan).map_err(anyhow::Error::from)?;
        let (seller, payout) = plan.payouts.first().map(|p| (p.seller_id.clone(), p.amount)).unwrap_or_default();
        let entries =
            ledger::refund(&payment.gateway, payment.refunded_amount, amount, payment.delivery_fee, &seller, payout);
        let row = store::refund(&self.db, payment.id, amount, &entries)
            .await?
            .ok_or(PaymentError::NotRefundable("the refund exceeds what is left"))?;
        if row.status == PaymentStatus::Refunded {
            let order = orders::by_id(&self.db, row.order_id).await?.ok_or(PaymentError::OrderNotFound)?;
            if order.status.can_become(OrderStatus::Refunded) {
                self.orders
                    .change_status(order.id, Some(order.status), OrderStatus::Refunded, actor, Some(reason))
                    .await?;
            }
        }
        Ok(row)
    }
}
