//! dl-api as this service reaches it — the HTTP client (`client`) and the vector math on what
//! it returns (`vectors`) — shared by the features that use the models: search
//! (`catalogue::semantic`) and recommendations (photo analysis, similar items, style match).
//! Below both, so neither imports the other for it.

pub mod client;
pub mod vectors;

pub use client::{DlClient, MlError};
