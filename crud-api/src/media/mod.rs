//! Uploaded media: image checks, thumbnails, content-addressed storage.

pub mod image_store;
pub mod images;
