//! Riders: a separate realm of accounts, created by admins.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RiderRow {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub name: String,
    pub phone: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, email, password_hash, name, phone, disabled, created_at, updated_at";

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Db,
    email: &str,
    password_hash: &str,
    name: &str,
    phone: &str,
) -> Result<RiderRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO riders (id, email, password_hash, name, phone, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, RiderRow>(&sql)
        .bind(Uuid::now_v7())
        .bind(email)
        .bind(password_hash)
        .bind(name)
        .bind(phone)
        .bind(Utc::now())
        .fetch_one(pool)
        .await)
}

#[tracing::instrument(skip_all)]
pub async fn by_email(db: &Db, email: &str) -> Result<Option<RiderRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM riders WHERE email = $1");
    on_db!(db, |pool| sqlx::query_as::<_, RiderRow>(&sql).bind(email).fetch_optional(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<RiderRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM riders WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, RiderRow>(&sql).bind(id).fetch_optional(pool).await)
}
