//! Payments: gateways behind one trait, the double-entry ledger, and the confirm and refund
//! flows that tie a gateway's answer to an order's state.

pub mod error;
pub mod flow;
pub mod gateway;
pub mod http;
pub mod ledger;
pub mod plan;
pub mod sandbox;
pub mod status;
pub mod store;
pub mod toss;

pub use gateway::{GatewayError, Gateways, PaymentGateway, Receipt, WebhookEvent};
