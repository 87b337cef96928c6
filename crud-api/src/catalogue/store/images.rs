//! Product images, and the analysis job each new image queues for the inference service.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::bind_args;
use crate::on_db;
use crate::platform::args::{Arg, Args};
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImageRow {
    pub id: Uuid,
    pub product_id: Uuid,
    pub image_key: String,
    pub thumb_key: String,
    /// The 1200 px rendition; None until the start-up job has rendered an older photo's.
    pub display_key: Option<String>,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub position: i32,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, product_id, image_key, thumb_key, display_key, content_type, width, height, bytes, position, created_at";

pub struct NewImage<'a> {
    pub product_id: Uuid,
    pub image_key: &'a str,
    pub thumb_key: &'a str,
    pub display_key: &'a str,
    pub content_type: &'a str,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
}

/// Adds an image at the end of the product's gallery and queues its analysis job, atomically.
/// None when the gallery is already full.
#[tracing::instrument(skip_all)]
pub async fn insert_with_job(
    db: &Db,
    img: &NewImage<'_>,
    max_per_product: i64,
) -> Result<Option<ImageRow>, sqlx::Error> {
    let now = Utc::now();
    let image_id = Uuid::now_v7();
    let insert = format!(
        "INSERT INTO product_images (id, product_id, image_key, thumb_key, content_type, width, height, bytes, position, created_at, sanitized, display_key) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, COALESCE(MAX(position) + 1, 0), $9, $11, $12 FROM product_images WHERE product_id = $2 \
         HAVING COUNT(*) < $10 RETURNING {COLUMNS}"
    );
    let job = "INSERT INTO image_analysis_jobs (id, image_id, created_at, updated_at) VALUES ($1, $2, $3, $3)";
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let row = sqlx::query_as::<_, ImageRow>(&insert)
            .bind(image_id)
            .bind(img.product_id)
            .bind(img.image_key)
            .bind(img.thumb_key)
            .bind(img.content_type)
            .bind(img.width)
            .bind(img.height)
            .bind(img.bytes)
            .bind(now)
            .bind(max_per_product)
            .bind(true)
            .bind(img.display_key)
            .fetch_optional(&mut *tx)
            .await?;
        if row.is_some() {
            sqlx::query(job).bind(Uuid::now_v7()).bind(image_id).bind(now).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(row)
    })
}

/// Images stored before renditions were re-encoded clean (see `media::sanitize`), oldest first.
#[tracing::instrument(skip_all)]
pub async fn unsanitized(db: &Db, limit: i64) -> Result<Vec<ImageRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM product_images WHERE sanitized = $1 ORDER BY id LIMIT $2");
    on_db!(db, |pool| sqlx::query_as::<_, ImageRow>(&sql).bind(false).bind(limit).fetch_all(pool).await)
}

/// Points an unsanitized image at its clean rendition; false when another replica already did
/// (or the row is gone).
#[tracing::instrument(skip_all)]
pub async fn replace_with_clean(db: &Db, id: Uuid, old_key: &str, clean: &NewImage<'_>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE product_images SET image_key = $3, thumb_key = $4, content_type = $5, width = $6, height = $7, \
               bytes = $8, sanitized = $9, display_key = $11 WHERE id = $1 AND image_key = $2 AND sanitized = $10";
    let n = on_db!(db, |pool| sqlx::query(sql)
        .bind(id)
        .bind(old_key)
        .bind(clean.image_key)
        .bind(clean.thumb_key)
        .bind(clean.content_type)
        .bind(clean.width)
        .bind(clean.height)
        .bind(clean.bytes)
        .bind(true)
        .bind(false)
        .bind(clean.display_key)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Marks an image sanitized without new files (its file is gone, or could not be cleaned and
/// was removed).
#[tracing::instrument(skip_all)]
pub async fn mark_sanitized(db: &Db, id: Uuid) -> Result<(), sqlx::Error> {
    let sql = "UPDATE product_images SET sanitized = $2 WHERE id = $1";
    on_db!(db, |pool| sqlx::query(sql).bind(id).bind(true).execute(pool).await.map(|_| ()))
}

/// Clean photos without a display rendition (stored before renditions existed), oldest first.
#[tracing::instrument(skip_all)]
pub async fn without_display(db: &Db, limit: i64) -> Result<Vec<ImageRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM product_images WHERE display_key IS NULL AND sanitized = $1 ORDER BY id LIMIT $2"
    );
    on_db!(db, |pool| sqlx::query_as::<_, ImageRow>(&sql).bind(true).bind(limit).fetch_all(pool).await)
}

/// Records a photo's display rendition (idempotent: every replica renders the same bytes).
#[tracing::instrument(skip_all)]
pub async fn set_display(db: &Db, id: Uuid, display_key: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE product_images SET display_key = $2 WHERE id = $1";
    on_db!(db, |pool| sqlx::query(sql).bind(id).bind(display_key).execute(pool).await.map(|_| ()))
}

/// True while any image row still names `key` (as photo or rendition).
#[tracing::instrument(skip_all)]
pub async fn key_in_use(db: &Db, key: &str) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM product_images WHERE image_key = $1 OR thumb_key = $1 OR display_key = $1";
    let n: i64 = on_db!(db, |pool| sqlx::query_scalar(sql).bind(key).fetch_one(pool).await?);
    Ok(n > 0)
}

#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<ImageRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM product_images WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, ImageRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// Images of several products, in gallery order.
#[tracing::instrument(skip_all)]
pub async fn for_products(db: &Db, product_ids: &[Uuid]) -> Result<Vec<ImageRow>, sqlx::Error> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::default();
    let list: Vec<String> = product_ids.iter().map(|id| args.push(Arg::Uuid(*id))).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM product_images WHERE product_id IN ({}) ORDER BY product_id, position",
        list.join(", ")
    );
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, ImageRow>(&sql), args.0).fetch_all(pool).await)
}
