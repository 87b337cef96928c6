//! Image embeddings from the inference service, one per analysed image, stored as
//! little-endian f32 bytes (portable across SQLite and PostgreSQL, 5 KB per image).

use chrono::Utc;
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

/// An embedding with what the similarity index needs about its product.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmbeddingRow {
    pub image_id: Uuid,
    pub product_id: Uuid,
    pub vector: Vec<u8>,
    pub category_id: Uuid,
    pub style_tags: String,
}

pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// Stores (or replaces) an image's embedding.
#[tracing::instrument(skip_all)]
pub async fn put(db: &Db, image_id: Uuid, product_id: Uuid, model: &str, vector: &[f32]) -> Result<(), sqlx::Error> {
    let sql =
        "INSERT INTO image_embeddings (image_id, product_id, model, vector, created_at) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (image_id) DO UPDATE SET model = excluded.model, vector = excluded.vector, \
               created_at = excluded.created_at";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(image_id)
        .bind(product_id)
        .bind(model)
        .bind(to_bytes(vector))
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))
}

const SELECT: &str = "SELECT e.image_id, e.product_id, e.vector, p.category_id, p.style_tags \
                      FROM image_embeddings e JOIN products p ON p.id = e.product_id WHERE NOT p.deleted";

/// Every embedding of a live product (the index loads these at start and on refresh).
#[tracing::instrument(skip_all)]
pub async fn all(db: &Db) -> Result<Vec<EmbeddingRow>, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_as::<_, EmbeddingRow>(SELECT).fetch_all(pool).await)
}

/// The embeddings of one product.
#[tracing::instrument(skip_all)]
pub async fn for_product(db: &Db, product_id: Uuid) -> Result<Vec<EmbeddingRow>, sqlx::Error> {
    let sql = format!("{SELECT} AND e.product_id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, EmbeddingRow>(&sql).bind(product_id).fetch_all(pool).await)
}

/// Products whose embeddings were written at or after `since`, with the latest write time
/// (other replicas' analyses, for the index to pick up).
#[tracing::instrument(skip_all)]
pub async fn changed_since(
    db: &Db,
    since: chrono::DateTime<Utc>,
) -> Result<Vec<(Uuid, chrono::DateTime<Utc>)>, sqlx::Error> {
    let sql = "SELECT product_id, MAX(created_at) FROM image_embeddings WHERE created_at >= $1 GROUP BY product_id";
    on_db!(db, |pool| sqlx::query_as(sql).bind(since).fetch_all(pool).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip() {
        let v = [0.5f32, -1.25, 3.0e-8];
        assert_eq!(from_bytes(&to_bytes(&v)), v);
    }
}
