//! Storage: one set of functions over SQLite or PostgreSQL (see `db`).

pub mod analysis_jobs;
pub mod args;
pub mod cart;
pub mod categories;
pub mod db;
pub mod deliveries;
pub mod embeddings;
pub mod idempotency;
pub mod images;
pub mod notifications;
pub mod oauth_states;
pub mod orders;
pub mod payments;
pub mod products;
pub mod refresh_tokens;
pub mod riders;
pub mod text_enum;
pub mod users;

pub use db::{is_unique_violation, Db};
