//! Categories, listings and their photos on the wire.

pub mod categories;
pub mod images;
pub mod products;
pub mod views;
