//! What a plugin call's `Store` holds: the tenant config it may read, its bounded log, and
//! the memory cap it is held to.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::ResourceLimiter;

use crate::bindings::{payment, recommend, v0_1, v0_2};
use crate::limits::Limits;

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub level: &'static str,
    pub message: String,
}

pub struct CallState {
    pub config: Arc<BTreeMap<String, String>>,
    pub logs: Vec<LogLine>,
    pub logs_dropped: usize,
    pub limits: Limits,
    /// Set when the plugin asked for more memory than allowed.
    pub memory_denied: bool,
    /// What the WASI wall clock reads during a call: the input's time (`wasi`).
    pub now_millis: i64,
    /// The WASI random generator's state: the same seed for every instance.
    pub random: u64,
    /// When the current call (or the instantiation) started, for its deadline.
    pub started: crate::cpu_time::Started,
}

impl CallState {
    pub fn new(config: Arc<BTreeMap<String, String>>, limits: Limits) -> Self {
        Self {
            config,
            logs: Vec::new(),
            logs_dropped: 0,
            limits,
            memory_denied: false,
            now_millis: 0,
            random: 0,
            started: crate::cpu_time::Started::now(),
        }
    }

    /// Keeps a bounded copy of a log line. The argument was already bounded on its way in
    /// (hostcall fuel, see `Limits::output_bytes`); what is kept is a fresh allocation of at
    /// most `log_line_bytes`, and `message` itself is freed when this returns.
    fn log(&mut self, level: &'static str, message: String) {
        if self.logs.len() >= self.limits.log_lines {
            self.logs_dropped += 1;
            return;
        }
        let message = crate::text::capped(&message, self.limits.log_line_bytes);
        self.logs.push(LogLine { level, message });
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limits.memory_bytes {
            self.memory_denied = true;
            return Err(wasmtime::format_err!("memory limit of {} bytes reached", self.limits.memory_bytes));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

macro_rules! impl_host {
    ($($m:ident)::+) => {
        impl $($m)::+::Host for CallState {
            fn log(&mut self, level: $($m)::+::Level, message: String) {
                use $($m)::+::Level;
                let level = match level {
                    Level::Debug => "debug",
                    Level::Info => "info",
                    Level::Warn => "warn",
                    Level::Error => "error",
                };
                CallState::log(self, level, message)
            }

            fn config(&mut self, key: String) -> Option<String> {
                self.config.get(&key).cloned()
            }
        }
    };
}

impl_host!(payment::gajyeogagu::plugins::host);
impl_host!(recommend::gajyeogagu::plugins::host);
impl_host!(v0_2::payment::gajyeogagu::plugins::host);
impl_host!(v0_2::recommend::gajyeogagu::plugins::host);
impl_host!(v0_1::payment::gajyeogagu::plugins::host);
impl_host!(v0_1::recommend::gajyeogagu::plugins::host);
