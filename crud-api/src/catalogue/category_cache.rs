//! The category tree, kept in memory. Every listing page, "similar items" list and product card
//! needs it, and it changes only through the admin endpoints: reading it from the database per
//! request cost a listing page two of its five queries (docs/benchmarks.md, "Listing vs the
//! database ceiling").
//!
//! Freshness across a fleet: a replica drops its copy when it writes the tree itself, and on
//! PostgreSQL a trigger (migration 0011) sends `NOTIFY categories_changed` on any change, which
//! a listener connection per replica turns into the same drop — also whenever that connection
//! had to be re-made, since notices sent meanwhile are lost. A copy is never older than
//! `MAX_AGE` all the same, a bound for anything missed. SQLite is one process's embedded
//! database, so its own writes are all there are.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::PgPool;

use crate::catalogue::store::categories::{self, CategoryRow};
use crate::platform::db::Db;

/// The channel the migration's trigger notifies.
pub const CHANNEL: &str = "categories_changed";
/// The oldest a copy may be, whatever the listener saw.
const MAX_AGE: Duration = Duration::from_secs(60);

pub struct CategoryCache {
    db: Db,
    state: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    rows: Option<(Arc<[CategoryRow]>, Instant)>,
    /// Bumped by every `invalidate`: a load that started before one must not store its
    /// (possibly older) rows after it.
    generation: u64,
}

impl CategoryCache {
    /// A cache over `db`; on PostgreSQL it also listens for other replicas' changes, for as long
    /// as the cache lives.
    pub fn new(db: Db) -> Arc<Self> {
        let cache = Arc::new(Self { db: db.clone(), state: Mutex::default() });
        if let Db::Postgres(pool) = db {
            tokio::spawn(listen(Arc::downgrade(&cache), pool));
        }
        cache
    }

    /// The whole tree, ordered by position and slug.
    pub async fn all(&self) -> Result<Arc<[CategoryRow]>, sqlx::Error> {
        let generation = {
            let s = self.state.lock().expect("category cache lock");
            match &s.rows {
                Some((rows, at)) if at.elapsed() < MAX_AGE => return Ok(rows.clone()),
                _ => s.generation,
            }
        };
        let rows: Arc<[CategoryRow]> = categories::all(&self.db).await?.into();
        let mut s = self.state.lock().expect("category cache lock");
        if s.generation == generation {
            s.rows = Some((rows.clone(), Instant::now()));
        }
        Ok(rows)
    }

    /// Forget the copy: the next read loads the tree again.
    pub fn invalidate(&self) {
        let mut s = self.state.lock().expect("category cache lock");
        s.rows = None;
        s.generation += 1;
    }
}

/// Drops the cache's copy on every notice; ends when the cache is gone.
async fn listen(cache: Weak<CategoryCache>, app_pool: PgPool) {
    // Its own connection, beside the application's pool: a listener keeps the one it takes
    // for good, which would leave the pool one short (and a pool of one, none at all).
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(app_pool.connect_options().as_ref().clone());
    loop {
        let mut listener = match subscribe(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for category changes; retrying");
                if !wait_a_little(&cache).await {
                    return;
                }
                continue;
            }
        };
        // Changes made while nobody listened were not heard: start from a fresh load.
        match cache.upgrade() {
            Some(c) => c.invalidate(),
            None => return,
        }
        loop {
            // A bounded wait, so a dropped cache ends the task (and its connection) soon.
            let next = tokio::time::timeout(Duration::from_secs(2), listener.try_recv()).await;
            let Some(c) = cache.upgrade() else { return };
            match next {
                Err(_quiet) => {}
                Ok(Ok(Some(_notice))) => c.invalidate(),
                // The connection was lost; the next call re-makes it, and notices may be lost.
                Ok(Ok(None)) => c.invalidate(),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "category change listener failed; reconnecting");
                    c.invalidate();
                    break;
                }
            }
        }
    }
}

/// A connection of `pool` listening on `CHANNEL`.
async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Sleeps a second; false when the cache is gone meanwhile.
async fn wait_a_little(cache: &Weak<CategoryCache>) -> bool {
    tokio::time::sleep(Duration::from_secs(1)).await;
    cache.strong_count() > 0
}
