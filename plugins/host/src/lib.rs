//! The sandbox for Gajyeogagu's strategy plugins.
//!
//! - `engine` — one wasmtime engine: pooling allocator, fuel, epoch deadlines, an on-disk
//!   cache of precompiled components keyed by engine and module hash.
//! - `plugin` — a loaded, pinned, version-checked plugin (`InstancePre`), and `Session`s: a
//!   fresh `Store` per call with fuel, deadline, memory, output and log caps.
//! - `deadline` — the call deadline counts the thread's CPU time (a busy host's waiting is
//!   not the plugin's), with a wall-clock backstop.
//! - `error` — every way a plugin can fail, as a typed error with a stable kind.
//! - `convert` — WIT records ↔ the plain types of `plugin-strategies`.
//! - `clock` — the tenant's clock: an instant as the `moment` plugins read.
//! - `registry` — what serves each strategy now: the plugin, its fallback, hot reload.
//! - `shadow` — a candidate version run in shadow on a share of calls: compared, counted,
//!   never used.
//! - `wasi` — the deterministic sliver of WASI language runtimes ask for (environment,
//!   clocks, randomness); the rest of WASI traps.
//! - `text` — caps on text copied out of a plugin (logs, errors, reasons, notes).

pub mod bindings;
pub mod clock;
pub mod convert;
pub mod cpu_time;
pub mod deadline;
pub mod engine;
pub mod error;
pub mod limits;
pub mod plugin;
pub mod registry;
pub mod shadow;
pub mod state;
pub mod text;
pub mod wasi;

pub use clock::Clock;
pub use engine::PluginEngine;
pub use error::PluginError;
pub use limits::Limits;
pub use plugin::{CallOutcome, Kind, Plugin};
pub use registry::{Fallback, Outcome, Registry, StrategyConfig};
pub use state::LogLine;

/// The WIT package version this host implements (`plugins/wit`), which the SDK builds against.
pub const CONTRACT_VERSION: (u64, u64, u64) = (0, 3, 0);

/// Every version the host loads, newest first: the current one, 0.2.0 (`plugins/wit-0.2.0`:
/// recommendation candidates as records) and 0.1.0 (`plugins/wit-0.1.0`: no clock in the
/// input either). Components for any other major version (for 0.x: minor) are refused.
pub const CONTRACT_VERSIONS: [(u64, u64, u64); 3] = [CONTRACT_VERSION, (0, 2, 0), (0, 1, 0)];

/// sha256 of bytes, lower-case hex.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
