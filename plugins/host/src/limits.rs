//! Per-call limits, configurable per tenant.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Instruction budget (wasmtime fuel).
    pub fuel: u64,
    /// Wall-clock deadline.
    pub timeout: Duration,
    /// Largest linear memory, bytes.
    pub memory_bytes: usize,
    /// Largest answer, bytes (strings and lists counted as lifted).
    pub output_bytes: usize,
    /// Log lines kept per call; later lines are dropped (and counted).
    pub log_lines: usize,
    /// Longest log line, bytes (longer ones are cut).
    pub log_line_bytes: usize,
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
        }
    }
}
