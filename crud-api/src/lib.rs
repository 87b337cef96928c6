//! Gajyeogagu (가져가구) CRUD API: the marketplace REST service on port 8001.
//!
//! One folder per feature, each holding its types, its flows, its storage (`store`) and its
//! wire (`http`):
//! - `identity/` — accounts, roles, passwords, tokens, refresh sessions, social login;
//! - `catalogue/` — categories, listings, search, photos (`media/`);
//! - `cart/`, `orders/` — the cart; checkout and the audited order state machine;
//! - `delivery/` — riders and deliveries;
//! - `payments/` — quotes, confirmation, refunds, the ledger, gateways, stored plans;
//! - `notifications/` — the in-app list, the SSE stream and device pushes;
//! - `recommendations/` — dl-api's client, the photo-analysis worker, the embedding index.
//!
//! Beside them: `platform/` (config, database, errors, rate limits, idempotency, metrics,
//! logging: nothing feature-specific), `http/` (the one route list, the OpenAPI document,
//! extractors, health), and the wiring (`state`, `startup`, `demo`).
//!
//! Within and across features, `http` may use flows and `store`; flows may use `store`;
//! `store` uses only storage, `platform` and plain types; nothing imports its way back to
//! itself. `tests/module_graph.rs` checks all of it, and `docs/architecture.md` draws the
//! request path of a checkout and of a payment quote.

pub mod cart;
pub mod catalogue;
pub mod delivery;
pub mod demo;
pub mod http;
pub mod identity;
pub mod ml;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod platform;
pub mod recommendations;
pub mod startup;
pub mod state;

pub use platform::config::Config;
pub use startup::Application;
