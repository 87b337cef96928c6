//! The payment gateway seam: initiate (the client does it, with the plan's gateway and total),
//! confirm, cancel/refund, and webhooks.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::http::HeaderMap;
use uuid::Uuid;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the gateway says about a captured payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// How the buyer paid, as the gateway names it (e.g. "card", "카드", "kakaopay").
    pub method: String,
}

/// A verified gateway callback.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// Unique per event, for deduplication.
    pub event_id: String,
    pub payment_key: String,
    /// The gateway's status word, lower-cased: "done", "canceled", "partial_canceled", …
    pub status: String,
}

/// What the gateway knows of a payment key: how the reconciler settles a confirmation that a
/// crash or a timeout left unfinished.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Captured for `amount` and not cancelled.
    Captured { amount: i64, method: String },
    /// Captured, then cancelled at the gateway (in whole or in part).
    Cancelled,
    /// Never captured: no money moved.
    NotCaptured,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GatewayError {
    /// The gateway refused (card declined, amount mismatch, key unknown…): final.
    #[error("declined: {0}")]
    Declined(String),
    /// Could not reach the gateway or it failed: the same request may succeed later.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    #[error("webhook signature invalid")]
    BadSignature,
    #[error("webhook malformed: {0}")]
    Malformed(String),
}

pub trait PaymentGateway: Send + Sync {
    fn name(&self) -> &'static str;

    /// The payment methods this gateway takes: a plan may offer only these.
    fn methods(&self) -> &'static [&'static str];

    /// What the client needs to start the payment in the gateway's own UI (widget or SDK):
    /// returned with the quote. The client then gets a `payment_key` and calls confirm.
    fn initiate(&self, order_id: Uuid, amount: i64, order_name: &str) -> serde_json::Value;

    /// Captures `amount` for a payment the client authorised with `payment_key`.
    fn confirm<'a>(
        &'a self,
        payment_key: &'a str,
        order_id: Uuid,
        amount: i64,
    ) -> BoxFuture<'a, Result<Receipt, GatewayError>>;

    /// Cancels `amount` (all of it, or part) of a captured payment.
    fn cancel<'a>(
        &'a self,
        payment_key: &'a str,
        amount: i64,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), GatewayError>>;

    /// What the gateway knows of `payment_key` (for `order_id`).
    fn lookup<'a>(&'a self, payment_key: &'a str, order_id: Uuid) -> BoxFuture<'a, Result<Lookup, GatewayError>>;

    /// Checks a callback's authenticity and parses it.
    fn verify_webhook<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<WebhookEvent, GatewayError>>;
}

/// The gateways this instance can use, by name.
#[derive(Clone, Default)]
pub struct Gateways {
    map: BTreeMap<&'static str, Arc<dyn PaymentGateway>>,
}

impl Gateways {
    pub fn with(mut self, g: Arc<dyn PaymentGateway>) -> Self {
        self.map.insert(g.name(), g);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn PaymentGateway>> {
        self.map.get(name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.map.keys().copied().collect()
    }

    /// What a payment plan may name: these gateways and each one's methods.
    pub fn plan_rules(&self) -> plugin_strategies::verify::PlanRules {
        self.map.values().fold(plugin_strategies::verify::PlanRules::new(), |rules, g| {
            rules.with_gateway(g.name(), g.methods().iter().copied())
        })
    }
}
