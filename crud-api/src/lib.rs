//! Gajyeogagu (가져가구) CRUD API: the marketplace REST service on port 8001.
//!
//! Layout, top to bottom (a lower layer never imports a higher one, and no module imports its
//! way back to itself: `tests/module_graph.rs` checks both; `docs/architecture.md` draws the
//! request path of a checkout and of a payment quote):
//! - `startup` — builds the state (database, keys, plugins, gateways) and serves the router.
//! - `http/` — the wire: `routes` is the one route list (router and OpenAPI document,
//!   `http::openapi`), one module per feature group, `extract` turns requests into typed input,
//!   `*_views` are response bodies.
//! - flows: `orders` (the audited state machine), `payments/` (quote, confirm, refund, ledger,
//!   gateways, stored plans), `idempotency` (the Idempotency-Key protocol), `media/` (photos),
//!   `ml/` (dl-api client, analysis worker, embedding index), `notify/`, `auth/` (JWTs, refresh
//!   sessions, rate limits, OpenID Connect), `demo`.
//! - `store/` — SQL over SQLite or PostgreSQL, written once (`store::db`); states are typed and
//!   decoded strictly (`store::text_enum`).
//! - `domain/` — types that parse input and the state machines' states.
//! - `error` — every failure mapped once to RFC 9457 problem+json; `config`, `secret`,
//!   `state`, `metrics`, `telemetry`.

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
pub mod orders;
pub mod payments;
pub mod secret;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

pub use config::Config;
pub use startup::Application;
