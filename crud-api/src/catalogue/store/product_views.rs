//! Who looked at which listing, last (`product_views`): recorded when a signed-in buyer opens
//! a product page; the recommender reads it (`recommendations::store::signals`).

use chrono::Utc;
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

/// Records that `user_id` looked at `product_id` now (their last look is kept).
#[tracing::instrument(skip_all)]
pub async fn record_view(db: &Db, user_id: Uuid, product_id: Uuid) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO product_views (product_id, user_id, viewed_at) VALUES ($1, $2, $3) \
               ON CONFLICT (product_id, user_id) DO UPDATE SET viewed_at = excluded.viewed_at";
    on_db!(db, |pool| sqlx::query(sql).bind(product_id).bind(user_id).bind(Utc::now()).execute(pool).await.map(|_| ()))
}
