//! The buyer's cart: listings set aside before checkout (checkout itself is in `orders`).

pub mod http;
pub mod store;
