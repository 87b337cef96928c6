//! How a plugin can fail. Each variant has a stable `kind` used in metrics and logs.

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum PluginError {
    #[error("not a WebAssembly component: {0}")]
    Invalid(String),
    #[error("sha256 mismatch: configured {expected}, file has {actual}")]
    DigestMismatch { expected: String, actual: String },
    #[error("built for {found}; this host implements gajyeogagu:plugins@{expected} (rebuild against plugins/wit)")]
    IncompatibleVersion { found: String, expected: String },
    #[error("the component does not implement the {0} world")]
    WrongWorld(String),
    #[error("instruction budget exhausted ({0} fuel)")]
    FuelExhausted(u64),
    #[error("deadline of {0} ms passed")]
    Timeout(u128),
    #[error("memory limit of {0} bytes reached")]
    MemoryExceeded(usize),
    #[error("plugin trapped: {0}")]
    Trap(String),
    #[error("answer of {0} bytes exceeds the {1}-byte cap")]
    OutputTooLarge(usize, usize),
    /// A host call or the answer tried to copy more than the cap out of the plugin's memory;
    /// refused before the host allocated it.
    #[error("the plugin tried to pass more than {0} bytes to the host in one call")]
    CopyTooLarge(usize),
    #[error("plan rejected: {0}")]
    InvalidPlan(String),
    /// The host's checks refused a ranking (a candidate it did not offer, a duplicate, a non-finite
    /// score, more than the limit): the plugin answered, wrongly — not `refused`, which is
    /// the plugin's own `Err`.
    #[error("ranking rejected: {0}")]
    InvalidRanking(String),
    #[error("plugin refused: {0}")]
    Refused(String),
    /// The host's own input does not fit the contract (more distinct category or tag names
    /// than its indices can address); the plugin was not called.
    #[error("input does not fit the contract: {0}")]
    InputTooLarge(String),
    #[error("no plugin configured")]
    NotConfigured,
    /// Refused before compiling: compile time and memory grow with the module.
    #[error("module is {0} bytes; the host compiles modules of at most {1} bytes")]
    ModuleTooLarge(u64, u64),
    /// A candidate that did not compile within its time (its compile may still finish in the
    /// background; the result is dropped).
    #[error("did not compile within {0} s")]
    CompileTimeout(u64),
}

impl PluginError {
    /// For a trap, what caused it, as a bounded label for metrics: `panic` (the guest SDK's
    /// panic report), the WASI interface the plugin called that the sandbox lacks (e.g.
    /// `wasi:cli/stdout`), or wasmtime's trap (e.g. `wasm `unreachable` instruction executed`).
    pub fn trap_cause(&self) -> Option<String> {
        let PluginError::Trap(text) = self else { return None };
        if text.starts_with("panicked at") {
            return Some("panic".into());
        }
        if let Some(import) = text.strip_prefix("called `") {
            return import.split(['@', '#', '`']).next().map(String::from);
        }
        // wasmtime's trap messages are a fixed set; keep the first clause of one.
        Some(text.split(" (").next().unwrap_or(text).chars().take(60).collect())
    }

    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::Invalid(_) => "invalid",
            PluginError::DigestMismatch { .. } => "digest_mismatch",
            PluginError::IncompatibleVersion { .. } => "incompatible_version",
            PluginError::WrongWorld(_) => "wrong_world",
            PluginError::FuelExhausted(_) => "fuel_exhausted",
            PluginError::Timeout(_) => "timeout",
            PluginError::MemoryExceeded(_) => "memory_exceeded",
            PluginError::Trap(_) => "trap",
            PluginError::OutputTooLarge(..) | PluginError::CopyTooLarge(_) => "output_too_large",
            PluginError::InvalidPlan(_) => "invalid_plan",
            PluginError::InvalidRanking(_) => "invalid_ranking",
            PluginError::Refused(_) => "refused",
            PluginError::InputTooLarge(_) => "input_too_large",
            PluginError::NotConfigured => "not_configured",
            PluginError::ModuleTooLarge(..) => "module_too_large",
            PluginError::CompileTimeout(_) => "compile_timeout",
        }
    }

    /// The same error with any text that came from the plugin cut to `max` bytes, so a
    /// hostile plugin's message can't become a multi-megabyte log line or response.
    pub fn capped(self, max: usize) -> Self {
        use crate::text::capped;
        match self {
            PluginError::Trap(m) => PluginError::Trap(capped(&m, max)),
            PluginError::InvalidPlan(m) => PluginError::InvalidPlan(capped(&m, max)),
            PluginError::InvalidRanking(m) => PluginError::InvalidRanking(capped(&m, max)),
            PluginError::Refused(m) => PluginError::Refused(capped(&m, max)),
            PluginError::Invalid(m) => PluginError::Invalid(capped(&m, max)),
            other => other,
        }
    }
}
