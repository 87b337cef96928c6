//! Pure builders: a custom resource in, the children it should have out. No API calls,
//! so every rule here is unit-tested; the reconcilers only apply what these return.

pub mod availability;
pub mod common;
pub mod crud_api;
pub mod dl_api;
pub mod network_policy;

pub use common::{child_name, labels, owner_reference, selector, spec_hash, MANAGER};
