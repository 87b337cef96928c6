//! Listings, categories and photo rows in the database.

pub mod categories;
pub mod images;
pub mod products;
