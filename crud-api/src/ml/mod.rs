//! The marketplace's use of the inference service (dl-api): a client, the worker that
//! analyses uploaded photos, the in-memory embedding index behind visual similarity and
//! style matching, and the style prototypes sellers' tags teach it.

pub mod client;
pub mod index;
pub mod suggest;
pub mod worker;

pub use client::{DlClient, MlError};
pub use index::EmbeddingIndex;
