//! Gajyeogagu (가져가구) CRUD API: the marketplace REST service on port 8001.
//!
//! Layout:
//! - `config` — flags and environment; `secret` — values never printed.
//! - `startup` — builds the app (database, keys, bootstrap admin) and serves it.
//! - `http/` — one module per feature group; `http::extract` turns requests into typed input.
//! - `domain/` — types that parse input (`Email`, `Password`, profile fields, roles).
//! - `auth/` — access JWTs, rotating refresh sessions, rate limits, OpenID Connect.
//! - `store/` — SQL over SQLite or PostgreSQL, written once (`store::db`).
//! - `ml/` — dl-api client, photo-analysis worker, embedding index and style prototypes.
//! - `error` — every failure mapped once to RFC 9457 problem+json.
//! - `metrics`, `telemetry`, `openapi`.

pub mod auth;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod media;
pub mod metrics;
pub mod ml;
pub mod notify;
pub mod openapi;
pub mod orders;
pub mod payments;
pub mod secret;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

pub use config::Config;
pub use startup::Application;
