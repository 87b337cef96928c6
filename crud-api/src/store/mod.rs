//! Storage: one set of functions over SQLite or PostgreSQL (see `db`).

pub mod db;
pub mod oauth_states;
pub mod refresh_tokens;
pub mod riders;
pub mod users;

pub use db::{is_unique_violation, Db};
