//! Allocates until something stops it: the host's memory cap must.
//!
//! With the tenant config `mode=remember` it instead looks for what an earlier call left
//! behind — a static counter, a 1 MiB static buffer, 6 MiB of heap (past what the host keeps
//! resident between calls) — marks all three, and refuses with what it found: every call must
//! start from the module's initial memory, whatever the host reuses to make calls cheap.

use std::sync::atomic::{AtomicU32, Ordering};

use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};
use plugin_strategies::Config;

pub struct Hog;

static CALLS: AtomicU32 = AtomicU32::new(0);
static mut SCRATCH: [u8; 1 << 20] = [0; 1 << 20];

impl PaymentStrategy for Hog {
    fn quote(_input: Checkout) -> Result<Plan, String> {
        if HostConfig.get("mode").as_deref() == Some("remember") {
            let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
            // SAFETY: one call at a time (a component instance is single-threaded).
            let scratch = unsafe { &mut *std::ptr::addr_of_mut!(SCRATCH) };
            let static_dirty = scratch.iter().any(|&b| b != 0);
            scratch.fill(0xAB);
            let mut heap = std::hint::black_box(vec![0u8; 6 << 20]);
            let heap_dirty = heap.iter().any(|&b| b != 0);
            heap.fill(0xCD);
            std::hint::black_box(&heap);
            return Err(format!("calls={calls} static_dirty={static_dirty} heap_dirty={heap_dirty}"));
        }
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(std::hint::black_box(vec![7u8; 1 << 20]));
        }
    }
}

plugin_guest::export_payment!(Hog);
