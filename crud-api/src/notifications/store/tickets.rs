//! Stream tickets: what a browser's `EventSource` (which cannot send an `Authorization`
//! header) opens the notification stream with instead of the access token. Single use, valid
//! `TTL`, and stored only as a SHA-256: a ticket seen in a log line is already spent or
//! about to expire, and the table holds nothing that opens a stream.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

/// Long enough to open a stream right after asking for the ticket.
pub const TTL: Duration = Duration::seconds(60);

fn hash(ticket: &str) -> String {
    hex::encode(Sha256::digest(ticket.as_bytes()))
}

/// A new ticket for `user_id` and when it expires. `session_expires_at`: when the access token
/// it was asked for with expires — the stream it opens ends then too. Expired tickets are
/// swept on the way.
#[tracing::instrument(skip_all)]
pub async fn issue(
    db: &Db,
    user_id: Uuid,
    session_expires_at: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), sqlx::Error> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let ticket = URL_SAFE_NO_PAD.encode(raw);
    let now = Utc::now();
    let expires = now + TTL;
    let insert =
        "INSERT INTO stream_tickets (ticket_hash, user_id, expires_at, session_expires_at) VALUES ($1, $2, $3, $4)";
    let sweep = "DELETE FROM stream_tickets WHERE expires_at < $1";
    on_db!(db, |pool| {
        sqlx::query(sweep).bind(now - Duration::hours(1)).execute(pool).await?;
        sqlx::query(insert)
            .bind(hash(&ticket))
            .bind(user_id)
            .bind(expires)
            .bind(session_expires_at)
            .execute(pool)
            .await?;
        Ok::<_, sqlx::Error>(())
    })?;
    Ok((ticket, expires))
}

/// A spent ticket: its user, and when the token it was asked with expires.
pub type Redeemed = (Uuid, Option<DateTime<Utc>>);

/// The user a ticket was issued to and when their session's token expires (tickets from
/// before that was recorded: a ticket's lifetime plus an access token's), spending it; None
/// when it is unknown, spent or expired. One conditional UPDATE: of two replicas redeeming the
/// same ticket at once, one wins.
#[tracing::instrument(skip_all)]
pub async fn redeem(db: &Db, ticket: &str) -> Result<Option<Redeemed>, sqlx::Error> {
    let now = Utc::now();
    let sql = "UPDATE stream_tickets SET used_at = $2 WHERE ticket_hash = $1 AND used_at IS NULL AND expires_at > $2 \
               RETURNING user_id, session_expires_at";
    on_db!(db, |pool| sqlx::query_as::<_, Redeemed>(sql).bind(hash(ticket)).bind(now).fetch_optional(pool).await)
}
