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
        // A call's instance is fresh, but its pool slot is not: by default wasmtime gives a
        // slot's memory back to the kernel (madvise) when the call ends, and the next call
        // page-faults its stack and heap in again — most of what a fresh instance cost. With
        // PAGEMAP_SCAN (Linux 6.7+) it finds the pages the call dirtied and rewrites just those
        // from the module's image instead, so they stay resident and the next call starts
        // warm; the isolation is the same (every call still sees the module's initial memory).
        // Without the ioctl wasmtime would memset the whole resident size on every call, so
        // older kernels keep a small one. 4 MiB covers a Rust plugin's stack and heap; it is
        // also what a slot may keep resident between calls (JS and Python use 12–16 MiB: the
        // rest of theirs is given back as before).
        let resident = if pagemap_scan_supported() { 4 << 20 } else { 64 << 10 };
        pool.linear_memory_keep_resident(resident);
        pool.table_keep_resident(resident.min(1 << 20));
        pool.pagemap_scan(wasmtime::Enabled::Auto);
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

/// Linux 6.7 or later (the `PAGEMAP_SCAN` ioctl), from the running kernel's release.
fn pagemap_scan_supported() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (6, 7)
}
