//! crud-api integration tests: one binary, a module per feature. Each test starts its own
//! server on 127.0.0.1 with a fresh database (SQLite, or PostgreSQL under `make test`).

mod auth;
mod caching;
mod catalogue;
mod deliveries;
mod demo;
mod email_verification;
mod frontend;
mod helpers;
mod idp;
mod ml;
mod notifications;
mod oidc;
mod operations;
mod orders;
mod payment_recovery;
mod payments;
mod profile;
mod rate_limit;
mod recommendations;
mod resilience;
mod riders;
#[path = "../support/s3.rs"]
mod s3;
mod search_quality;
mod shared_photos;
mod tokens;
mod upload_memory;
