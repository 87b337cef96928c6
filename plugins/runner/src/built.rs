//! A plugin project's component, as `build` (Rust, `kit`) or a registry's componentizer
//! (JavaScript, Python: `lang`) made it.

use std::path::PathBuf;

use serde_json::{json, Value};

/// The component file and its bytes.
pub struct Built {
    pub wasm: PathBuf,
    pub bytes: Vec<u8>,
}

impl Built {
    pub fn describe(&self) -> Value {
        json!({ "ok": true, "component": self.wasm, "bytes": self.bytes.len(), "sha256": plugin_host::digest(&self.bytes) })
    }
}
