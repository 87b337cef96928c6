//! Delivery: riders, the delivery of an order from pick-up to the buyer's code, rider
//! positions, and the service areas riders work in.

pub mod areas;
pub mod http;
pub mod store;
