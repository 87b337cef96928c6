//! Shopping carts: one line per product per user.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CartLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub quantity: i32,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, product_id, quantity, created_at";

#[tracing::instrument(skip_all)]
pub async fn lines(db: &Db, user_id: Uuid) -> Result<Vec<CartLine>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM cart_items WHERE user_id = $1 ORDER BY created_at, id");
    on_db!(db, |pool| sqlx::query_as::<_, CartLine>(&sql).bind(user_id).fetch_all(pool).await)
}

/// Adds `quantity` of a product (to an existing line, if any). Returns the line.
#[tracing::instrument(skip_all)]
pub async fn add(db: &Db, user_id: Uuid, product_id: Uuid, quantity: i32) -> Result<CartLine, sqlx::Error> {
    let now = Utc::now();
    let sql = format!(
        "INSERT INTO cart_items (id, user_id, product_id, quantity, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity, updated_at = excluded.updated_at \
         RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, CartLine>(&sql)
        .bind(Uuid::now_v7())
        .bind(user_id)
        .bind(product_id)
        .bind(quantity)
        .bind(now)
        .fetch_one(pool)
        .await)
}

#[tracing::instrument(skip_all)]
pub async fn set_quantity(
    db: &Db,
    user_id: Uuid,
    line_id: Uuid,
    quantity: i32,
) -> Result<Option<CartLine>, sqlx::Error> {
    let sql = format!(
        "UPDATE cart_items SET quantity = $3, updated_at = $4 WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, CartLine>(&sql)
        .bind(line_id)
        .bind(user_id)
        .bind(quantity)
        .bind(Utc::now())
        .fetch_optional(pool)
        .await)
}

#[tracing::instrument(skip_all)]
pub async fn remove(db: &Db, user_id: Uuid, line_id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM cart_items WHERE id = $1 AND user_id = $2";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(line_id).bind(user_id).execute(pool).await?.rows_affected()) == 1)
}
