//! Rider positions.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LocationRow {
    pub lat: f64,
    pub lng: f64,
    pub updated_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn set_location(db: &Db, rider_id: Uuid, lat: f64, lng: f64) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO rider_locations (rider_id, lat, lng, updated_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (rider_id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, updated_at = excluded.updated_at";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(rider_id)
        .bind(lat)
        .bind(lng)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))
}

#[tracing::instrument(skip_all)]
pub async fn location(db: &Db, rider_id: Uuid) -> Result<Option<LocationRow>, sqlx::Error> {
    let sql = "SELECT lat, lng, updated_at FROM rider_locations WHERE rider_id = $1";
    on_db!(db, |pool| sqlx::query_as::<_, LocationRow>(sql).bind(rider_id).fetch_optional(pool).await)
}
