//! Payments, ledger entries and webhook receipts (and, in `sandbox`, the sandbox gateway's
//! own records).

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub mod sandbox;

use crate::orders::status::OrderStatus;
use crate::orders::store::{Actor, OrderRow, TransitionError};
use crate::payments::status::PaymentStatus;
use crate::platform::db::Db;
use crate::{begin_write, on_db, transition_in};

/// One ledger line: (account, amount KRW, memo); a group of them sums to zero.
pub type Entry = (String, i64, String);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: PaymentStatus,
    pub gateway: String,
    /// The plan as JSON (`payments::plan::StoredPlan`).
    pub plan: String,
    pub amount: i64,
    pub delivery_fee: i64,
    pub commission: i64,
    pub strategy_digest: Option<String>,
    pub payment_key: Option<String>,
    pub method: Option<String>,
    pub refunded_amount: i64,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, order_id, status, gateway, plan, amount, delivery_fee, commission, strategy_digest, payment_key, \
    method, refunded_amount, failure, created_at, updated_at, confirmed_at";

pub struct NewQuote<'a> {
    pub order_id: Uuid,
    pub gateway: &'a str,
    pub plan: &'a str,
    pub amount: i64,
    pub delivery_fee: i64,
    pub commission: i64,
    pub digest: Option<&'a str>,
}

/// Stores a fresh quote, supersedes the order's older open quotes, and sets the order's
/// delivery fee and total to the plan's — in one transaction.
#[tracing::instrument(skip_all)]
pub async fn insert_quote(db: &Db, q: &NewQuote<'_>) -> Result<PaymentRow, sqlx::Error> {
    let now = Utc::now();
    let sql = format!(
        "INSERT INTO payments (id, order_id, status, gateway, plan, amount, delivery_fee, commission, strategy_digest, created_at, updated_at) \
         VALUES ($1, $2, 'quoted', $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "UPDATE payments SET status = 'superseded', updated_at = $2 WHERE order_id = $1 AND status = 'quoted'",
        )
        .bind(q.order_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query_as::<_, PaymentRow>(&sql)
            .bind(Uuid::now_v7())
            .bind(q.order_id)
            .bind(q.gateway)
            .bind(q.plan)
            .bind(q.amount)
            .bind(q.delivery_fee)
            .bind(q.commission)
            .bind(q.digest)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE orders SET delivery_fee = $2, total = $3, updated_at = $4 WHERE id = $1 AND status = 'pending_payment'")
            .bind(q.order_id).bind(q.delivery_fee).bind(q.amount).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(row)
    })
}

#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<PaymentRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, PaymentRow>(&sql).bind(id).fetch_optional(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn by_key(db: &Db, key: &str) -> Result<Option<PaymentRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE payment_key = $1");
    on_db!(db, |pool| sqlx::query_as::<_, PaymentRow>(&sql).bind(key).fetch_optional(pool).await)
}

/// The order's payments, oldest first.
#[tracing::instrument(skip_all)]
pub async fn for_order(db: &Db, order_id: Uuid) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at, id");
    on_db!(db, |pool| sqlx::query_as::<_, PaymentRow>(&sql).bind(order_id).fetch_all(pool).await)
}

/// The order's open quote, if any.
#[tracing::instrument(skip_all)]
pub async fn open_quote(db: &Db, order_id: Uuid) -> Result<Option<PaymentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payments WHERE order_id = $1 AND status = 'quoted' ORDER BY created_at DESC LIMIT 1"
    );
    on_db!(db, |pool| sqlx::query_as::<_, PaymentRow>(&sql).bind(order_id).fetch_optional(pool).await)
}

/// Claims a quote for confirmation with `key`. Exactly one concurrent caller wins.
#[tracing::instrument(skip_all)]
pub async fn claim(db: &Db, id: Uuid, key: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE payments SET status = 'confirming', payment_key = $2, updated_at = $3 WHERE id = $1 AND status = 'quoted'";
    let n =
        on_db!(db, |pool| sqlx::query(sql).bind(id).bind(key).bind(Utc::now()).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Gives a claim back (the gateway could not be reached; a retry may succeed).
#[tracing::instrument(skip_all)]
pub async fn release(db: &Db, id: Uuid) -> Result<(), sqlx::Error> {
    let sql = "UPDATE payments SET status = 'quoted', payment_key = NULL, updated_at = $2 WHERE id = $1 AND status = 'confirming'";
    on_db!(db, |pool| sqlx::query(sql).bind(id).bind(Utc::now()).execute(pool).await.map(|_| ()))
}

#[tracing::instrument(skip_all)]
pub async fn set_status(
    db: &Db,
    id: Uuid,
    from: PaymentStatus,
    to: PaymentStatus,
    failure: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE payments SET status = $3, failure = COALESCE($4, failure), updated_at = $5 WHERE id = $1 AND status = $2";
    let n = on_db!(db, |pool| sqlx::query(sql)
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(failure)
        .bind(Utc::now())
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

const LEDGER_INSERT: &str =
    "INSERT INTO ledger_entries (id, entry_group, payment_id, account, amount, memo, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Writes one group of ledger entries inside the transaction `$tx`.
macro_rules! insert_ledger {
    ($tx:expr, $payment:expr, $entries:expr, $now:expr) => {{
        let group = Uuid::now_v7();
        for (account, amount, memo) in $entries {
            sqlx::query(LEDGER_INSERT)
                .bind(Uuid::now_v7())
                .bind(group)
                .bind($payment)
                .bind(account)
                .bind(*amount)
                .bind(memo)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Why `settle` changed nothing (and rolled back).
#[derive(Debug, PartialEq)]
pub enum Unsettled {
    /// The order can't become paid (its reservation ran out and it was cancelled, …).
    OrderNotPayable(OrderStatus),
    /// The payment is no longer `confirming` (another replica settled it).
    PaymentMoved,
}

/// Settles a captured payment, all or nothing: the payment `confirming → confirmed`, its
/// capture entries, and the order `pending_payment → paid` with its audit event (`actor`). An
/// order already `paid` with no other captured payment (a crash of an older version between
/// the two writes) is left as it is. A crash anywhere leaves the payment `confirming` for the
/// reconciler, never half of it.
#[tracing::instrument(skip_all, fields(payment = %id))]
pub async fn settle(
    db: &Db,
    id: Uuid,
    order_id: Uuid,
    method: &str,
    entries: &[Entry],
    actor: Actor,
    note: &str,
) -> Result<Result<(PaymentRow, Option<OrderRow>), Unsettled>, sqlx::Error> {
    let now = Utc::now();
    let sql = format!(
        "UPDATE payments SET status = 'confirmed', method = $2, confirmed_at = $3, updated_at = $3 \
         WHERE id = $1 AND status = 'confirming' RETURNING {COLUMNS}"
    );
    let other_captured = "SELECT COUNT(*) FROM payments WHERE order_id = $1 AND id <> $2 \
                          AND status IN ('confirmed', 'partially_refunded', 'refunded')";
    on_db!(db, |pool| {
        let mut tx = begin_write!(db, pool);
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await?;
        let status = status.as_deref().and_then(OrderStatus::parse).unwrap_or(OrderStatus::Cancelled);
        let order = match status {
            OrderStatus::PendingPayment => {
                match transition_in!(
                    tx,
                    order_id,
                    Some(OrderStatus::PendingPayment),
                    OrderStatus::Paid,
                    actor,
                    Some(note)
                ) {
                    Ok(o) => Some(o),
                    Err(TransitionError::Illegal { from, .. }) => return Ok(Err(Unsettled::OrderNotPayable(from))),
                    Err(TransitionError::NotFound) => return Ok(Err(Unsettled::OrderNotPayable(status))),
                }
            }
            OrderStatus::Paid => {
                let others: i64 =
                    sqlx::query_scalar(other_captured).bind(order_id).bind(id).fetch_one(&mut *tx).await?;
                if others > 0 {
                    return Ok(Err(Unsettled::OrderNotPayable(status)));
                }
                None
            }
            other => return Ok(Err(Unsettled::OrderNotPayable(other))),
        };
        let row =
            sqlx::query_as::<_, PaymentRow>(&sql).bind(id).bind(method).bind(now).fetch_optional(&mut *tx).await?;
        let Some(row) = row else {
            return Ok(Err(Unsettled::PaymentMoved));
        };
        insert_ledger!(tx, id, entries, now);
        tx.commit().await?;
        Ok(Ok((row, order)))
    })
}

/// Payments left `confirming` since before `cutoff` (a confirmation that crashed, or whose
/// gateway call timed out), oldest first.
#[tracing::instrument(skip_all)]
pub async fn stale_confirming(db: &Db, cutoff: DateTime<Utc>, limit: i64) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payments WHERE status = 'confirming' AND updated_at < $1 ORDER BY updated_at LIMIT $2"
    );
    on_db!(db, |pool| sqlx::query_as::<_, PaymentRow>(&sql).bind(cutoff).bind(limit).fetch_all(pool).await)
}

/// Takes a stale `confirming` payment for reconciling: of concurrent reconcilers (replicas)
/// exactly one wins, and the others skip it until it is stale again.
#[tracing::instrument(skip_all)]
pub async fn take_for_reconcile(db: &Db, id: Uuid, cutoff: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE payments SET updated_at = $3 WHERE id = $1 AND status = 'confirming' AND updated_at < $2";
    let n =
        on_db!(db, |pool| sqlx::query(sql).bind(id).bind(cutoff).bind(Utc::now()).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Whether a payment of the order is being confirmed (or was left so by a crash).
#[tracing::instrument(skip_all)]
pub async fn has_unresolved(db: &Db, order_id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM payments WHERE order_id = $1 AND status = 'confirming'";
    let n: i64 = on_db!(db, |pool| sqlx::query_scalar(sql).bind(order_id).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// Records a refund of `amount` and its entries, atomically; None when it would exceed what
/// is left to refund (or the payment is not captured).
#[tracing::instrument(skip_all)]
pub async fn refund(db: &Db, id: Uuid, amount: i64, entries: &[Entry]) -> Result<Option<PaymentRow>, sqlx::Error> {
    let now = Utc::now();
    let sql = format!(
        "UPDATE payments SET refunded_amount = refunded_amount + $2, \
         status = CASE WHEN refunded_amount + $2 = amount THEN 'refunded' ELSE 'partially_refunded' END, updated_at = $3 \
         WHERE id = $1 AND status IN ('confirmed', 'partially_refunded') AND refunded_amount + $2 <= amount RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let row =
            sqlx::query_as::<_, PaymentRow>(&sql).bind(id).bind(amount).bind(now).fetch_optional(&mut *tx).await?;
        if row.is_some() {
            insert_ledger!(tx, id, entries, now);
        }
        tx.commit().await?;
        Ok(row)
    })
}

/// (account, balance) over the whole ledger.
#[tracing::instrument(skip_all)]
pub async fn balances(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = "SELECT account, CAST(SUM(amount) AS BIGINT) FROM ledger_entries GROUP BY account ORDER BY account";
    on_db!(db, |pool| sqlx::query_as::<_, (String, i64)>(sql).fetch_all(pool).await)
}

/// How many capture groups a payment has (tests: "captured exactly once").
#[tracing::instrument(skip_all)]
pub async fn entry_groups(db: &Db, payment_id: Uuid) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COUNT(DISTINCT entry_group) FROM ledger_entries WHERE payment_id = $1";
    on_db!(db, |pool| sqlx::query_scalar(sql).bind(payment_id).fetch_one(pool).await)
}

/// Remembers a webhook; false when this event was seen before.
#[tracing::instrument(skip_all)]
pub async fn record_webhook(db: &Db, gateway: &str, event_id: &str, payload: &str) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO webhook_events (id, gateway, event_id, payload, received_at) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (gateway, event_id) DO NOTHING";
    let n = on_db!(db, |pool| sqlx::query(sql)
        .bind(Uuid::now_v7())
        .bind(gateway)
        .bind(event_id)
        .bind(payload)
        .bind(Utc::now())
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}
