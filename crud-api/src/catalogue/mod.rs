//! The catalogue: categories, listings (a seller's furniture for sale, with dimensions,
//! condition and area), Korean-aware search, and the listings' photos (`media`).

pub mod category_cache;
pub mod http;
pub mod listing;
pub mod media;
pub mod ranking;
pub mod search;
pub mod search_fusion;
pub mod semantic;
pub mod store;
