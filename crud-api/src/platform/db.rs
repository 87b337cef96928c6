//! The database handle: SQLite (embedded default) or PostgreSQL (production).
//!
//! Both backends run the same SQL text (`$1` placeholders, `RETURNING`, `ON CONFLICT` work on
//! both), so the storage functions are written once and `on_db!` runs them on whichever pool is
//! configured. Where the dialects really differ, a function matches on `Db` itself.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run `$body` with `$pool` bound to the concrete pool of `$db`: `on_db!(db, |pool| …)`. The
/// closure-like form is ordinary expression syntax, so rustfmt formats the bodies (the former
/// `pool => …` form left them unformatted, and over the line limit).
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::platform::db::Db::Sqlite($pool) => $body,
            $crate::platform::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Starts a write transaction on `$pool` (bound by `on_db!`): `BEGIN IMMEDIATE` on SQLite, so
/// a transaction that reads before it writes can't fail to upgrade its lock (one writer at a
/// time); plain `BEGIN` on PostgreSQL, where row locks do the serialising.
#[macro_export]
macro_rules! begin_write {
    ($db:expr, $pool:ident) => {
        match $db {
            $crate::platform::db::Db::Sqlite(_) => $pool.begin_with("BEGIN IMMEDIATE").await?,
            $crate::platform::db::Db::Postgres(_) => $pool.begin().await?,
        }
    };
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connect and apply migrations.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(dir) = Path::new(opts.get_filename()).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            SQLITE_MIGRATIONS.run(&pool).await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            Db::Postgres(pool)
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:");
        };
        Ok(db)
    }

    /// Path of the SQLite file, if this is a file-backed SQLite database.
    pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
        let opts = SqliteConnectOptions::from_str(url).ok()?;
        let file = opts.get_filename();
        let s = file.to_string_lossy();
        if s.is_empty() || s == ":memory:" {
            None
        } else {
            Some(file.to_path_buf())
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Cheap round-trip used by readiness.
    #[tracing::instrument(skip_all)]
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// (open connections, idle connections)
    pub fn pool_stats(&self) -> (u32, usize) {
        on_db!(self, |pool| (pool.size(), pool.num_idle()))
    }

    #[tracing::instrument(skip_all)]
    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

/// True when `e` is a unique-constraint violation (both backends).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
