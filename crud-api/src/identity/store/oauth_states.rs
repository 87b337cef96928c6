//! Pending social logins: the state, nonce and PKCE verifier of an authorization request.
//! A state is consumed exactly once (`DELETE … RETURNING`), so a callback can't be replayed.

use chrono::{DateTime, Utc};

use crate::on_db;
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OauthStateRow {
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: DateTime<Utc>,
    /// SHA-256 of the cookie set on the browser that started the login.
    pub browser_hash: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Db,
    state_hash: &str,
    provider: &str,
    nonce: &str,
    pkce_verifier: &str,
    expires_at: DateTime<Utc>,
    browser_hash: &str,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO oauth_states (state_hash, provider, nonce, pkce_verifier, expires_at, browser_hash) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(state_hash)
        .bind(provider)
        .bind(nonce)
        .bind(pkce_verifier)
        .bind(expires_at)
        .bind(browser_hash)
        .execute(pool)
        .await
        .map(|_| ()))
}

#[tracing::instrument(skip_all)]
pub async fn take(db: &Db, state_hash: &str) -> Result<Option<OauthStateRow>, sqlx::Error> {
    let sql = "DELETE FROM oauth_states WHERE state_hash = $1 \
               RETURNING provider, nonce, pkce_verifier, expires_at, browser_hash";
    on_db!(db, |pool| sqlx::query_as::<_, OauthStateRow>(sql).bind(state_hash).fetch_optional(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM oauth_states WHERE expires_at < $1";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(now).execute(pool).await?.rows_affected()))
}
