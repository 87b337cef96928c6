//! Listings, categories and photo rows in the database.

pub mod categories;
pub mod images;
pub mod product_views;
pub mod products;
