//! Storage: one set of functions over SQLite or PostgreSQL (see `db`).

pub mod analysis_jobs;
pub mod args;
pub mod categories;
pub mod db;
pub mod images;
pub mod oauth_states;
pub mod products;
pub mod refresh_tokens;
pub mod riders;
pub mod users;

pub use db::{is_unique_violation, Db};
