//! Riders' accounts and the delivery transitions on the wire.

pub mod deliveries;
pub mod riders;
pub mod views;
