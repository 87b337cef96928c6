//! First-party strategies as plain Rust, with no Wasm or host dependency.
//!
//! The same code runs in three places: inside the first-party Wasm plugins (through
//! `plugin-guest`), natively in the host as a tenant's fallback strategy, and natively in the
//! benchmarks that compare Wasm with native speed. Types mirror the WIT records in
//! `plugins/wit/plugins.wit` one to one (`Candidate` and `Ranked`: the records of contracts
//! 0.1.0 and 0.2.0, which the host still speaks and builds the columns from).

pub mod columns;
pub mod config;
pub mod payment_promo;
pub mod payment_standard;
pub mod recommend_style;
pub mod types;
pub mod verify;

pub use columns::{Candidates, Pick};
pub use config::Config;
pub use types::*;
