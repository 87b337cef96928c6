//! The listings a recommendation ranks — the newest on-sale ones, with their popularity — kept
//! in memory as one snapshot per replica that every request shares. Read per request, they were
//! ~1,000 rows and three signal counts decoded from the database for each home page and each
//! "similar items" list: the largest share of both the database's and crud-api's time under the
//! shopper load test (docs/benchmarks.md, "1,000 shoppers").
//!
//! Fresh enough, and never wrong on the page: the snapshot is re-read when a listing or its
//! stock changed through this process (`products::writes`), and is at most `MAX_AGE` old
//! otherwise — other replicas' changes and popularity reach it within that. Candidates only
//! decide what is ranked: the listings a page shows are read from the database afresh, and any
//! sold or hidden since is left out.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::catalogue::listing::ProductStatus;
use crate::catalogue::store::products::{self, ListFilter, ProductRow, Sort};
use crate::platform::db::Db;
use crate::recommendations::store::signals;

/// Most candidates offered to a strategy per request.
pub const MAX_CANDIDATES: i64 = 1000;
/// The oldest a snapshot may be, whatever this process saw.
const MAX_AGE: Duration = Duration::from_secs(1);

/// The on-sale listings, newest first, and each one's popularity (0 to 1).
pub struct Snapshot {
    pub rows: Vec<ProductRow>,
    pub popularity: HashMap<Uuid, f64>,
    taken: Instant,
    /// `products::writes()` before the rows were read.
    writes: u64,
}

#[derive(Default)]
pub struct Candidates {
    current: RwLock<Option<Arc<Snapshot>>>,
    /// One reload at a time: requests arriving meanwhile wait for it rather than each reading
    /// the same thousand rows.
    reload: tokio::sync::Mutex<()>,
}

impl Candidates {
    pub async fn get(&self, db: &Db) -> Result<Arc<Snapshot>, sqlx::Error> {
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let _one = self.reload.lock().await;
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        // Read before the rows: a write committed while they are read makes this snapshot
        // stale at once rather than never.
        let writes = products::writes();
        let taken = Instant::now();
        let rows = products::list(db, &on_sale()).await?;
        let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
        let popularity = signals::popularity(db, &ids).await?;
        let snapshot = Arc::new(Snapshot { rows, popularity, taken, writes });
        *self.current.write().expect("candidates lock") = Some(snapshot.clone());
        Ok(snapshot)
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        let current = self.current.read().expect("candidates lock");
        current.as_ref().filter(|s| s.writes == products::writes() && s.taken.elapsed() < MAX_AGE).cloned()
    }
}

fn on_sale() -> ListFilter {
    ListFilter {
        categories: None,
        query: None,
        boost: Default::default(),
        ids: None,
        min_price: None,
        max_price: None,
        statuses: vec![ProductStatus::OnSale],
        seller: None,
        style: None,
        sort: Sort::Newest,
        after: None,
        limit: MAX_CANDIDATES,
    }
}
