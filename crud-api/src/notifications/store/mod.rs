//! In-app notifications, push devices, and the push outbox; stream tickets in `tickets`.

pub mod tickets;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::bind_args;
use crate::on_db;
use crate::platform::args::{Arg, Args};
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub order_id: Option<Uuid>,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, user_id, kind, title, body, order_id, read_at, created_at";

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Db,
    user_id: Uuid,
    kind: &str,
    title: &str,
    body: &str,
    order_id: Option<Uuid>,
) -> Result<NotificationRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO notifications (id, user_id, kind, title, body, order_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, NotificationRow>(&sql)
        .bind(Uuid::now_v7())
        .bind(user_id)
        .bind(kind)
        .bind(title)
        .bind(body)
        .bind(order_id)
        .bind(Utc::now())
        .fetch_one(pool)
        .await)
}

/// Newest first, `limit + 1` rows older than `before`.
#[tracing::instrument(skip_all)]
pub async fn page(
    db: &Db,
    user_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    let mut args = Args::default();
    let mut wh = format!("user_id = {}", args.push(Arg::Uuid(user_id)));
    if let Some(b) = before {
        wh.push_str(&format!(" AND id < {}", args.push(Arg::Uuid(b))));
    }
    let lim = args.push(Arg::Int(limit + 1));
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE {wh} ORDER BY id DESC LIMIT {lim}");
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, NotificationRow>(&sql), args.0).fetch_all(pool).await)
}

/// Oldest first, everything after `after` (ids are UUIDv7: time-ordered). For streams.
#[tracing::instrument(skip_all)]
pub async fn after(
    db: &Db,
    user_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    let mut args = Args::default();
    let mut wh = format!("user_id = {}", args.push(Arg::Uuid(user_id)));
    if let Some(a) = after {
        wh.push_str(&format!(" AND id > {}", args.push(Arg::Uuid(a))));
    }
    let lim = args.push(Arg::Int(limit));
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE {wh} ORDER BY id ASC LIMIT {lim}");
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, NotificationRow>(&sql), args.0).fetch_all(pool).await)
}

/// (id, recipient) of every notification from `floor` on (a UUIDv7 lower bound): what the
/// stream poller reads once per poll for all the streams of a replica.
#[tracing::instrument(skip_all)]
pub async fn recent(db: &Db, floor: Uuid) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    let sql = "SELECT id, user_id FROM notifications WHERE id >= $1 ORDER BY id ASC LIMIT 10000";
    on_db!(db, |pool| sqlx::query_as::<_, (Uuid, Uuid)>(sql).bind(floor).fetch_all(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn unread_count(db: &Db, user_id: Uuid) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL";
    on_db!(db, |pool| sqlx::query_scalar(sql).bind(user_id).fetch_one(pool).await)
}

/// Marks one as read; false when it is not the user's.
#[tracing::instrument(skip_all)]
pub async fn mark_read(db: &Db, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(id).bind(user_id).bind(Utc::now()).execute(pool).await?.rows_affected())
        == 1)
}

#[tracing::instrument(skip_all)]
pub async fn mark_all_read(db: &Db, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let sql = "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(user_id).bind(Utc::now()).execute(pool).await?.rows_affected()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token: String,
    pub platform: String,
    pub created_at: DateTime<Utc>,
}

/// Registers a push token for `user_id` (a token moves to the latest user who registers it:
/// devices change hands).
#[tracing::instrument(skip_all)]
pub async fn upsert_device(db: &Db, user_id: Uuid, token: &str, platform: &str) -> Result<DeviceRow, sqlx::Error> {
    let sql = "INSERT INTO devices (id, user_id, token, platform, created_at) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (token) DO UPDATE SET user_id = excluded.user_id, platform = excluded.platform \
               RETURNING id, user_id, token, platform, created_at";
    on_db!(db, |pool| sqlx::query_as::<_, DeviceRow>(sql)
        .bind(Uuid::now_v7())
        .bind(user_id)
        .bind(token)
        .bind(platform)
        .bind(Utc::now())
        .fetch_one(pool)
        .await)
}

#[tracing::instrument(skip_all)]
pub async fn delete_device(db: &Db, user_id: Uuid, token: &str) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM devices WHERE user_id = $1 AND token = $2";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(user_id).bind(token).execute(pool).await?.rows_affected()) == 1)
}

#[tracing::instrument(skip_all)]
pub async fn devices(db: &Db, user_id: Uuid) -> Result<Vec<DeviceRow>, sqlx::Error> {
    let sql = "SELECT id, user_id, token, platform, created_at FROM devices WHERE user_id = $1";
    on_db!(db, |pool| sqlx::query_as::<_, DeviceRow>(sql).bind(user_id).fetch_all(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn enqueue_push(
    db: &Db,
    notification_id: Uuid,
    platform: &str,
    token: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO push_outbox (id, notification_id, platform, token, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(Uuid::now_v7())
        .bind(notification_id)
        .bind(platform)
        .bind(token)
        .bind(payload)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))
}

/// (platform, token, payload) of queued pushes for a notification.
#[tracing::instrument(skip_all)]
pub async fn outbox_for(db: &Db, notification_id: Uuid) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let sql = "SELECT platform, token, payload FROM push_outbox WHERE notification_id = $1 ORDER BY id";
    on_db!(db, |pool| sqlx::query_as(sql).bind(notification_id).fetch_all(pool).await)
}
