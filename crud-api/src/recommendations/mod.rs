//! The marketplace's use of the inference service (dl-api): a client, the worker that
//! analyses uploaded photos, the in-memory embedding index behind visual similarity and
//! style matching, and the style prototypes sellers' tags teach it.

pub mod analysis_status;
pub mod candidates;
pub mod catalogue_head;
pub mod catalogue_training;
pub mod findings;
pub mod http;
pub mod index;
pub mod store;
pub mod suggest;
pub mod worker;

pub use index::EmbeddingIndex;
