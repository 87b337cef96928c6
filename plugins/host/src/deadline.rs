//! The call deadline counts the CPU time of the thread running the plugin, not wall time.
//!
//! On a busy host a call waits for a core: with a wall-clock deadline a plugin that needs 60%
//! of its budget timed out whenever a few calls shared two cores — a failure of the host,
//! charged to the plugin. The epoch ticker still wakes the call every millisecond; at the
//! deadline this check looks at the thread's CPU time and lets the call go on while it has
//! used less than the timeout, up to a wall-clock backstop of `WALL_BACKSTOP` × the timeout
//! (a call is never held up longer than that, however busy the host).

use wasmtime::{StoreContextMut, UpdateDeadline};

use crate::cpu_time::thread_cpu_time;
use crate::engine::PluginEngine;
use crate::state::CallState;

/// The most wall time a call may take, in multiples of its timeout.
pub const WALL_BACKSTOP: u32 = 5;

/// What to do when the epoch deadline is reached: interrupt, or wait for the CPU time still
/// left in the budget.
pub fn check(store: StoreContextMut<'_, CallState>) -> wasmtime::Result<UpdateDeadline> {
    let data = store.data();
    let timeout = data.limits.timeout;
    let wall = data.started.wall.elapsed();
    let cpu = match (data.started.cpu, thread_cpu_time()) {
        (Some(then), Some(now)) => now.saturating_sub(then),
        _ => wall,
    };
    if cpu >= timeout || wall >= timeout * WALL_BACKSTOP {
        return Ok(UpdateDeadline::Interrupt);
    }
    Ok(UpdateDeadline::Continue(PluginEngine::ticks(timeout - cpu)))
}
