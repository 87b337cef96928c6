//! What people do with listings, read for the recommender: what each person looked at last
//! (`product_views`, which the catalogue records: `catalogue::store::product_views`), and how
//! much each product is looked at, carted and ordered.

use std::collections::HashMap;

use uuid::Uuid;

use crate::bind_args;
use crate::on_db;
use crate::platform::args::{Arg, Args};
use crate::platform::db::Db;

/// How much one cart line and one order weigh against one person's look.
const CART_WEIGHT: f64 = 3.0;
const ORDER_WEIGHT: f64 = 5.0;

/// The categories of what `user_id` looked at last, newest first, each once.
#[tracing::instrument(skip_all)]
pub async fn recent_category_ids(db: &Db, user_id: Uuid, looks: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = "SELECT p.category_id FROM product_views v JOIN products p ON p.id = v.product_id \
               WHERE v.user_id = $1 ORDER BY v.viewed_at DESC LIMIT $2";
    let ids: Vec<Uuid> =
        on_db!(db, |pool| sqlx::query_scalar::<_, Uuid>(sql).bind(user_id).bind(looks).fetch_all(pool).await)?;
    let mut seen = std::collections::HashSet::new();
    Ok(ids.into_iter().filter(|id| seen.insert(*id)).collect())
}

/// Counts per product in one of the signal tables, for `ids`.
async fn counts(db: &Db, table: &str, ids: &[Uuid]) -> Result<HashMap<Uuid, i64>, sqlx::Error> {
    let mut args = Args::default();
    let list: Vec<String> = ids.iter().map(|id| args.push(Arg::Uuid(*id))).collect();
    let sql = format!(
        "SELECT product_id, COUNT(*) FROM {table} WHERE product_id IN ({}) GROUP BY product_id",
        list.join(", ")
    );
    let rows: Vec<(Uuid, i64)> =
        on_db!(db, |pool| bind_args!(sqlx::query_as::<_, (Uuid, i64)>(&sql), args.0).fetch_all(pool).await)?;
    Ok(rows.into_iter().collect())
}

/// Popularity of each of `ids`, 0 to 1: people who looked, plus carts and orders weighted
/// more, relative to the most popular of them (the contract's "normalised by the host").
#[tracing::instrument(skip_all)]
pub async fn popularity(db: &Db, ids: &[Uuid]) -> Result<HashMap<Uuid, f64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (views, carts, orders) = (
        counts(db, "product_views", ids).await?,
        counts(db, "cart_items", ids).await?,
        counts(db, "order_items", ids).await?,
    );
    let raw: HashMap<Uuid, f64> = ids
        .iter()
        .map(|id| {
            let n = |m: &HashMap<Uuid, i64>| m.get(id).copied().unwrap_or(0) as f64;
            (*id, n(&views) + CART_WEIGHT * n(&carts) + ORDER_WEIGHT * n(&orders))
        })
        .collect();
    let top = raw.values().copied().fold(0.0, f64::max);
    Ok(raw.into_iter().map(|(id, v)| (id, if top > 0.0 { v / top } else { 0.0 })).collect())
}
