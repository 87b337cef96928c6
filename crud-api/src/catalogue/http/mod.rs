//! Categories, listings and their photos on the wire.

pub mod categories;
pub mod image_urls;
pub mod images;
pub mod labels;
pub mod products;
pub mod sellers;
pub mod thumbnails;
pub mod views;
