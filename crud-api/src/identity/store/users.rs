//! Users: customers, sellers and admins, plus their linked social identities.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::bind_args;
use crate::identity::role::Role;
use crate::on_db;
use crate::platform::args::{Arg, Args};
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: Option<String>,
    pub email_verified: bool,
    pub password_hash: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    /// JSON array of `domain::profile::Address`.
    pub addresses: String,
    pub role: Role,
    pub is_seller: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, email, email_verified, password_hash, name, phone, addresses, role, \
                       is_seller, disabled, created_at, updated_at";

pub struct NewUser<'a> {
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub password_hash: Option<&'a str>,
    pub name: &'a str,
    pub role: Role,
}

/// Inserts a user; a taken email surfaces as a unique violation (`is_unique_violation`).
#[tracing::instrument(skip_all)]
pub async fn insert(db: &Db, new: NewUser<'_>) -> Result<UserRow, sqlx::Error> {
    let now = Utc::now();
    let sql = format!(
        "INSERT INTO users (id, email, email_verified, password_hash, name, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql)
        .bind(Uuid::now_v7())
        .bind(new.email)
        .bind(new.email_verified)
        .bind(new.password_hash)
        .bind(new.name)
        .bind(new.role)
        .bind(now)
        .fetch_one(pool)
        .await)
}

/// Display names of several users, by id.
#[tracing::instrument(skip_all)]
pub async fn names(db: &Db, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut args = Args::default();
    let list: Vec<String> = ids.iter().map(|id| args.push(Arg::Uuid(*id))).collect();
    let sql = format!("SELECT id, name FROM users WHERE id IN ({})", list.join(", "));
    let rows: Vec<(Uuid, String)> =
        on_db!(db, |pool| bind_args!(sqlx::query_as::<_, (Uuid, String)>(&sql), args.0).fetch_all(pool).await)?;
    Ok(rows.into_iter().collect())
}

#[tracing::instrument(skip_all)]
pub async fn by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql).bind(email).fetch_optional(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub struct ProfileUpdate {
    pub name: String,
    pub phone: Option<String>,
    pub addresses: String,
    pub is_seller: bool,
}

#[tracing::instrument(skip_all)]
pub async fn update_profile(db: &Db, id: Uuid, p: &ProfileUpdate) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET name = $2, phone = $3, addresses = $4, is_seller = $5, updated_at = $6 \
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql)
        .bind(id)
        .bind(&p.name)
        .bind(&p.phone)
        .bind(&p.addresses)
        .bind(p.is_seller)
        .bind(Utc::now())
        .fetch_optional(pool)
        .await)
}

/// Which of `ids` are disabled accounts (the notification streams' periodic check).
#[tracing::instrument(skip_all)]
pub async fn disabled_among(db: &Db, ids: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut disabled = Vec::new();
    // Bounded IN lists: SQLite allows 32,766 variables, and a short list plans well everywhere.
    for chunk in ids.chunks(500) {
        let mut args = crate::platform::args::Args::default();
        let list: Vec<String> = chunk.iter().map(|id| args.push(crate::platform::args::Arg::Uuid(*id))).collect();
        let sql = format!("SELECT id FROM users WHERE disabled AND id IN ({})", list.join(", "));
        disabled.extend(on_db!(db, |pool| crate::bind_args!(sqlx::query_scalar::<_, Uuid>(&sql), args.0)
            .fetch_all(pool)
            .await)?);
    }
    Ok(disabled)
}

/// Creates the bootstrap admin, or resets its password and role if the email exists.
#[tracing::instrument(skip_all)]
pub async fn upsert_admin(db: &Db, email: &str, password_hash: &str) -> Result<UserRow, sqlx::Error> {
    let now = Utc::now();
    let sql = format!(
        "INSERT INTO users (id, email, email_verified, password_hash, name, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'Administrator', 'admin', $5, $5) \
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, role = 'admin', \
         disabled = $6, updated_at = excluded.updated_at \
         RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql)
        .bind(Uuid::now_v7())
        .bind(email)
        .bind(true)
        .bind(password_hash)
        .bind(now)
        .bind(false)
        .fetch_one(pool)
        .await)
}

/// The user linked to a provider subject, if any.
#[tracing::instrument(skip_all)]
pub async fn by_identity(db: &Db, provider: &str, subject: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let cols = COLUMNS.split(", ").map(|c| format!("u.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {cols} FROM users u JOIN user_identities i ON i.user_id = u.id \
         WHERE i.provider = $1 AND i.subject = $2"
    );
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql).bind(provider).bind(subject).fetch_optional(pool).await)
}

/// Links a provider subject to a user. Linking the same subject twice is a no-op.
#[tracing::instrument(skip_all)]
pub async fn link_identity(
    db: &Db,
    provider: &str,
    subject: &str,
    user_id: Uuid,
    email: Option<&str>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO user_identities (provider, subject, user_id, email, created_at) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, subject) DO NOTHING";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(provider)
        .bind(subject)
        .bind(user_id)
        .bind(email)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Marks the account's email verified — only while `email` is still its email. True when it
/// now is (also when it already was).
#[tracing::instrument(skip_all)]
pub async fn mark_email_verified(db: &Db, id: Uuid, email: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE users SET email_verified = $3, updated_at = $4 WHERE id = $1 AND email = $2";
    let n = on_db!(db, |pool| sqlx::query(sql)
        .bind(id)
        .bind(email)
        .bind(true)
        .bind(Utc::now())
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// The account's email was proven by an identity provider, but nobody ever proved it here:
/// whoever set the password may not own the address. The password goes and the email counts as
/// verified (the sessions are revoked by the caller).
#[tracing::instrument(skip_all)]
pub async fn claim_unverified(db: &Db, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET password_hash = NULL, email_verified = $2, updated_at = $3 \
         WHERE id = $1 AND NOT email_verified RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql)
        .bind(id)
        .bind(true)
        .bind(Utc::now())
        .fetch_optional(pool)
        .await)
}

#[tracing::instrument(skip_all)]
pub async fn any_admin(db: &Db) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM users WHERE role = 'admin'";
    let n: i64 = on_db!(db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await?);
    Ok(n > 0)
}

#[tracing::instrument(skip_all)]
pub async fn set_seller(db: &Db, id: Uuid, seller: bool) -> Result<(), sqlx::Error> {
    let sql = "UPDATE users SET is_seller = $2, updated_at = $3 WHERE id = $1";
    on_db!(db, |pool| sqlx::query(sql).bind(id).bind(seller).bind(Utc::now()).execute(pool).await.map(|_| ()))
}
