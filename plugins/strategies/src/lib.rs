//! First-party strategies as plain Rust, with no Wasm or host dependency.
//!
//! The same code runs in three places: inside the first-party Wasm plugins (through
//! `plugin-guest`), natively in the host as a tenant's fallback strategy, and natively in the
//! benchmarks that compare Wasm with native speed. Types mirror the WIT records in
//! `plugins/wit/plugins.wit` one to one.

pub mod config;
pub mod payment_promo;
pub mod payment_standard;
pub mod recommend_style;
pub mod types;
pub mod verify;

pub use config::Config;
pub use types::*;
