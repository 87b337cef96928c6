//! Uploaded media: image checks, clean renditions, content-addressed storage.
//!
//! - `images` — checks an upload and renders what is stored: the photo re-encoded upright
//!   from its pixels, and a thumbnail. Uploaded bytes are never stored.
//! - `metadata` — finds EXIF/XMP/IPTC in bytes: the post-condition of every rendition.
//! - `decode_budget` — the memory every upload's decoding may hold at once, reserved from the
//!   header's dimensions before decoding.
//! - `image_store` — content-addressed files under one directory.
//! - `sanitize` — the start-up job that re-renders photos stored before renditions were clean.

pub mod decode_budget;
pub mod image_store;
pub mod images;
pub mod metadata;
pub mod photos;
pub mod sanitize;
