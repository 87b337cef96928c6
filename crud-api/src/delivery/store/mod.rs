//! Deliveries and riders in the database.

pub mod deliveries;
pub mod riders;
