//! One wasmtime engine for all plugins: components compiled once (and cached on disk, keyed by
//! the engine's compatibility hash and the module's sha256), instances from a pool, fuel
//! metering, and an epoch ticker that wakes calls at their deadline (`deadline` decides on
//! their CPU time).

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::PluginError;

/// Epoch granularity: deadlines are rounded up to this.
pub const TICK: Duration = Duration::from_millis(1);

pub struct PluginEngine {
    engine: Engine,
    cache_dir: Option<PathBuf>,
    stop: Arc<AtomicBool>,
}

impl Drop for PluginEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl PluginEngine {
    /// `cache_dir`: where precompiled components are kept between runs (None: compile in
    /// memory every time).
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Self, PluginError> {
        let mut cfg = Config::new();
        cfg.wasm_component_model(true);
        cfg.consume_fuel(true);
        cfg.epoch_interruption(true);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(256);
        pool.total_core_instances(1024);
        pool.total_memories(256);
        pool.total_tables(1024);
        pool.max_memory_size(256 << 20);
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&cfg).map_err(|e| PluginError::Invalid(format!("engine: {e}")))?;

        let stop = Arc::new(AtomicBool::new(false));
        let (ticker, flag) = (engine.weak(), stop.clone());
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    match ticker.upgrade() {
                        Some(e) => e.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| PluginError::Invalid(format!("epoch thread: {e}")))?;
        if let Some(dir) = &cache_dir {
            let _ = std::fs::create_dir_all(dir);
        }
        Ok(Self { engine, cache_dir, stop })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Epoch ticks for a deadline.
    pub fn ticks(timeout: Duration) -> u64 {
        (timeout.as_micros() / TICK.as_micros()).max(1) as u64 + 1
    }

    fn engine_key(&self) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        format!("{:016x}", h.finish())
    }

    /// Compiles a component, or loads its precompiled form from the cache.
    pub fn compile(&self, bytes: &[u8], digest: &str) -> Result<Component, PluginError> {
        let cached = self.cache_dir.as_ref().map(|d| d.join(self.engine_key()).join(format!("{digest}.cwasm")));
        if let Some(path) = &cached {
            if path.exists() {
                // SAFETY: the file was written by `precompile_component` of an engine with the
                // same compatibility hash (it is in the path), under a name that is the sha256
                // of the source module, in a directory only this service writes.
                if let Ok(c) = unsafe { Component::deserialize_file(&self.engine, path) } {
                    return Ok(c);
                }
            }
        }
        let invalid = |e: wasmtime::Error| PluginError::Invalid(format!("{e}"));
        match cached {
            Some(path) => {
                let compiled = self.engine.precompile_component(bytes).map_err(invalid)?;
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let tmp = path.with_extension(format!("tmp{}", std::process::id()));
                if std::fs::write(&tmp, &compiled).is_ok() {
                    let _ = std::fs::rename(&tmp, &path);
                }
                // SAFETY: `compiled` was produced just now by this engine.
                unsafe { Component::deserialize(&self.engine, &compiled) }.map_err(invalid)
            }
            None => Component::new(&self.engine, bytes).map_err(invalid),
        }
    }
}
