//! The CPU time of the thread running a call, and when the call started: what the deadline
//! (`deadline`) measures a call by, kept apart from it so a call's state (`state`) can hold its
//! start without depending on the check that reads it.

use std::time::{Duration, Instant};

/// CPU time this thread has used (Linux and other Unixes; elsewhere: None, and the deadline is
/// wall time).
pub fn thread_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
        let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
        ok.then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// When the current call started: its thread's CPU time and the wall clock.
#[derive(Clone, Copy)]
pub struct Started {
    pub(crate) cpu: Option<Duration>,
    pub(crate) wall: Instant,
}

impl Started {
    pub fn now() -> Self {
        Self { cpu: thread_cpu_time(), wall: Instant::now() }
    }
}
