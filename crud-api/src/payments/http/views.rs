//! Payment bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::payments::flow::Quote;
use crate::payments::plan::StoredPlan;
use crate::payments::store::PaymentRow;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentView {
    pub product_id: String,
    /// KRW; negative is a discount.
    pub amount: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayoutView {
    pub seller_id: String,
    pub amount: i64,
}

/// A payment plan from the tenant's payment strategy, verified by the host.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    pub adjustments: Vec<AdjustmentView>,
    pub delivery_fee: i64,
    pub commission: i64,
    pub payouts: Vec<PayoutView>,
    /// Offer these, in this order.
    #[schema(example = json!(["card", "kakaopay", "transfer"]))]
    pub methods: Vec<String>,
    #[schema(example = "sandbox")]
    pub gateway: String,
    /// What the buyer pays, KRW.
    pub total: i64,
    pub notes: Vec<String>,
}

impl From<&StoredPlan> for PlanView {
    fn from(p: &StoredPlan) -> Self {
        Self {
            adjustments: p
                .adjustments
                .iter()
                .map(|a| AdjustmentView {
                    product_id: a.product_id.clone(),
                    amount: a.amount,
                    reason: a.reason.clone(),
                })
                .collect(),
            delivery_fee: p.delivery_fee,
            commission: p.commission,
            payouts: p
                .payouts
                .iter()
                .map(|x| PayoutView { seller_id: x.seller_id.clone(), amount: x.amount })
                .collect(),
            methods: p.methods.clone(),
            gateway: p.gateway.clone(),
            total: p.total,
            notes: p.notes.clone(),
        }
    }
}

/// Which strategy answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StrategyInfo {
    /// sha256 of the plugin; absent when the built-in strategy answered.
    pub plugin_digest: Option<String>,
    /// Why the built-in fallback answered (the plugin's error kind), if it did.
    pub fallback_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub order_id: Uuid,
    /// `quoted`, `confirming`, `confirmed`, `failed`, `superseded`, `partially_refunded`, `refunded`.
    #[schema(example = "confirmed")]
    pub status: String,
    pub gateway: String,
    pub amount: i64,
    pub refunded_amount: i64,
    pub method: Option<String>,
    pub plan: Option<PlanView>,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl From<&PaymentRow> for PaymentView {
    fn from(p: &PaymentRow) -> Self {
        Self {
            id: p.id,
            order_id: p.order_id,
            status: p.status.as_str().to_string(),
            gateway: p.gateway.clone(),
            amount: p.amount,
            refunded_amount: p.refunded_amount,
            method: p.method.clone(),
            plan: StoredPlan::from_json(&p.plan).ok().as_ref().map(PlanView::from),
            failure: p.failure.clone(),
            created_at: p.created_at,
            confirmed_at: p.confirmed_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteView {
    /// Confirm this payment with `POST /api/v1/payments/confirm`.
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub plan: PlanView,
    pub strategy: StrategyInfo,
    /// Parameters for the plan's gateway to start the payment on the client.
    #[schema(value_type = Object)]
    pub initiate: serde_json::Value,
}

impl QuoteView {
    pub fn new(order_id: Uuid, q: Quote) -> Self {
        Self {
            payment_id: q.payment_id,
            order_id,
            plan: PlanView::from(&q.plan),
            strategy: StrategyInfo { plugin_digest: q.plugin_digest, fallback_reason: q.fallback_reason },
            initiate: q.initiate,
        }
    }
}
