//! Quotes, confirmation, the gateway's webhook and refunds on the wire.

pub mod handlers;
pub mod views;
