//! Whether the database answers, probed in the background: `/readyz` reads the last answer
//! instead of waiting for a pooled connection, so it answers at once under load (the probe's
//! timeout is 1 s; a readiness check that queued behind requests took 0.9–1.8 s).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::platform::db::Db;

/// How often the database is pinged, and how long a ping may take.
const EVERY: Duration = Duration::from_secs(1);
/// An answer older than this no longer counts (the prober is stuck).
const STALE: Duration = Duration::from_secs(5);

pub struct DbProbe {
    db: Db,
    last: Mutex<(bool, Instant)>,
}

impl DbProbe {
    /// Ready at first: start-up has just connected and migrated.
    pub fn new(db: Db) -> Self {
        Self { db, last: Mutex::new((true, Instant::now())) }
    }

    /// The last answer, if recent; a closed pool (shutdown) is never ready.
    pub fn ok(&self) -> bool {
        let (ok, at) = *self.last.lock().expect("probe lock");
        ok && at.elapsed() < STALE && !self.db.is_closed()
    }

    /// Pings for the life of the process.
    pub async fn run(&self) {
        loop {
            let ok = matches!(tokio::time::timeout(EVERY, self.db.ping()).await, Ok(Ok(())));
            if !ok {
                tracing::warn!("readiness: the database did not answer within 1 s");
            }
            *self.last.lock().expect("probe lock") = (ok, Instant::now());
            tokio::time::sleep(EVERY).await;
        }
    }
}
