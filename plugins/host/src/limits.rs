//! Per-call limits, configurable per tenant.
//!
//! Together they bound what one call can cost the host: CPU (fuel and the deadline), the
//! plugin's own memory, and every copy out of it — each host call (`log`, `config`) and the
//! answer may move at most `output_bytes` out of the plugin's memory (wasmtime's hostcall
//! fuel, checked before anything is allocated), and what the host keeps of text is cut to the
//! byte caps below.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Instruction budget (wasmtime fuel).
    pub fuel: u64,
    /// Deadline: CPU time of the call's thread (wall-clock backstop: `deadline::WALL_BACKSTOP`×).
    pub timeout: Duration,
    /// Largest linear memory, bytes.
    pub memory_bytes: usize,
    /// Most bytes one call may copy out of the plugin: the answer, and each host call's
    /// arguments (a log line included). Past it the call fails with `output_too_large`.
    pub output_bytes: usize,
    /// Log lines kept per call; later lines are dropped (and counted).
    pub log_lines: usize,
    /// Longest log line kept, bytes (longer ones are cut).
    pub log_line_bytes: usize,
    /// Longest error text kept from a plugin (its `Err`, a trap message), bytes.
    pub error_bytes: usize,
    /// Longest buyer-facing text kept from an answer (a ranking's reason, a plan's note or
    /// adjustment reason), bytes.
    pub text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 50_000_000,
            timeout: Duration::from_millis(200),
            memory_bytes: 32 << 20,
            output_bytes: 1 << 20,
            log_lines: 100,
            log_line_bytes: 1024,
            error_bytes: 512,
            text_bytes: 200,
        }
    }
}
