//! Orders: checkout (an order per seller, the listings reserved), the audited order state
//! machine (`status`, `flow`), reservations that expire, and the order's audit trail.

pub mod events;
pub mod flow;
pub mod http;
pub mod status;
pub mod store;

pub use flow::OrderError;
