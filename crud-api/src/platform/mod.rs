//! What every feature stands on: configuration and secrets, the database (one SQL text over
//! SQLite or PostgreSQL, typed text states), the error type every failure is mapped to once
//! (RFC 9457 problem+json), rate limiters, the Idempotency-Key protocol, metrics and logging.
//! Nothing here knows a feature.

pub mod args;
pub mod config;
pub mod db;
pub mod error;
pub mod idempotency;
pub mod metrics;
pub mod ratelimit;
pub mod readiness;
pub mod secret;
pub mod shared_limit;
pub mod telemetry;
pub mod text;
pub mod text_enum;
