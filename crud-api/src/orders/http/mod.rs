//! Checkout, order reads, cancellation and the seller's and admin's transitions on the wire.

pub mod handlers;
pub mod views;
