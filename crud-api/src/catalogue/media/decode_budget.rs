//! How much memory photo decoding may hold at once, across every upload in this replica.
//!
//! A photo's bytes say little about its pixels: a one-colour 6,300 × 6,300 PNG is ~100 KB on the
//! wire and ~160 MB decoded, and its renditions need more beside it. Uploads are decoded on the
//! blocking pool, which would run dozens at once (six such uploads took a release build from
//! 86 MiB to 1.7 GiB). So each decode first reserves what it will need, estimated from the
//! header's dimensions before a pixel is decoded, from a budget sized to the replica's memory;
//! the rest wait (briefly — then 503 with `Retry-After`), and memory stays bounded however many
//! arrive.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget is counted in units of this many bytes (a semaphore holds at most u32 permits).
const UNIT: u64 = 1024 * 1024;
/// Decoded pixels plus one full-size copy (orientation, or the colour conversion an encoder
/// needs), at 4 bytes a pixel.
const BYTES_PER_PIXEL: u64 = 8;
/// The display and thumbnail renditions (a 2,400 px box-filtered step, the 1,200 px filtered
/// resize and its float intermediate), the encoders' buffers, whatever the size of the photo.
const FIXED_BYTES: u64 = 96 * 1024 * 1024;
/// How long an upload waits for room before it is told to come back.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// Memory reserved for decoding, shared by every upload of this replica.
#[derive(Clone)]
pub struct DecodeBudget {
    units: Arc<Semaphore>,
    total_units: u32,
    wait: Duration,
    /// Bytes reserved now, and the most ever reserved at once (exported at `/metrics`).
    pub in_use: Gauge<i64, AtomicI64>,
    pub peak: Gauge<i64, AtomicI64>,
}

/// A reservation: released when dropped (after the decode and renditions are done).
pub struct Reserved {
    _permit: OwnedSemaphorePermit,
    bytes: i64,
    in_use: Gauge<i64, AtomicI64>,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.in_use.dec_by(self.bytes);
    }
}

/// No room within the wait: the client should retry (503).
#[derive(Debug, thiserror::Error)]
#[error("busy decoding other photos; retry shortly")]
pub struct Busy;

impl DecodeBudget {
    pub fn new(bytes: u64, wait: Duration) -> Self {
        let total_units = (bytes / UNIT).clamp(1, u32::MAX as u64) as u32;
        Self {
            units: Arc::new(Semaphore::new(total_units as usize)),
            total_units,
            wait,
            in_use: Gauge::default(),
            peak: Gauge::default(),
        }
    }

    /// What decoding a `width` × `height` photo and making its renditions holds at its peak.
    pub fn cost(width: u32, height: u32) -> u64 {
        width as u64 * height as u64 * BYTES_PER_PIXEL + FIXED_BYTES
    }

    /// Reserves the memory for a `width` × `height` decode, waiting up to the configured time.
    /// A photo dearer than the whole budget takes all of it (it runs alone).
    pub async fn reserve(&self, width: u32, height: u32) -> Result<Reserved, Busy> {
        let units = Self::cost(width, height).div_ceil(UNIT).min(self.total_units as u64) as u32;
        let permit = tokio::time::timeout(self.wait, self.units.clone().acquire_many_owned(units))
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let bytes = (units as u64 * UNIT) as i64;
        let now = self.in_use.inc_by(bytes) + bytes;
        self.peak.inner().fetch_max(now, Ordering::Relaxed);
        Ok(Reserved { _permit: permit, bytes, in_use: self.in_use.clone() })
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_units as u64 * UNIT
    }

    /// The most ever reserved at once (what `/metrics` reports, and tests hold to the total).
    pub fn peak_bytes(&self) -> u64 {
        self.peak.get() as u64
    }

    pub fn in_use_bytes(&self) -> u64 {
        self.in_use.get() as u64
    }
}

/// The default budget: a quarter of the memory this process may use (its cgroup's limit, as a
/// pod's `resources.limits.memory` sets it), between 256 MiB and 2 GiB; 512 MiB with no limit.
pub fn default_budget_bytes() -> u64 {
    const MIB: u64 = 1024 * 1024;
    match cgroup_memory_limit() {
        Some(limit) => (limit / 4).clamp(256 * MIB, 2048 * MIB),
        None => 512 * MIB,
    }
}

/// cgroup v2's `memory.max`, or v1's `memory.limit_in_bytes` (v1 says "no limit" with a huge
/// number).
fn cgroup_memory_limit() -> Option<u64> {
    let read = |p: &str| std::fs::read_to_string(p).ok().and_then(|s| s.trim().parse::<u64>().ok());
    read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .filter(|&b| b < (1 << 50))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_never_exceed_the_budget_and_waiters_time_out() {
        let budget = DecodeBudget::new(DecodeBudget::cost(6300, 6300) + 10 * UNIT, Duration::from_millis(200));
        let first = budget.reserve(6300, 6300).await.unwrap();
        // A second bomb can't fit beside the first: it waits, then is told to come back.
        assert!(budget.reserve(6300, 6300).await.is_err());
        drop(first);
        let again = budget.reserve(6300, 6300).await.unwrap();
        assert!(budget.peak_bytes() <= budget.total_bytes());
        drop(again);
        assert_eq!(budget.in_use_bytes(), 0);
        // Bigger than the whole budget: runs alone rather than never.
        let small = DecodeBudget::new(64 * UNIT, Duration::from_secs(1));
        assert!(small.reserve(8000, 5000).await.is_ok());
    }
}
