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

/// A PostgreSQL connection idle longer than this is pinged before it is used again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Start-up waits up to 10 s for the database (it may be starting too), although a request
/// waits only the short acquire timeout.
async fn first_connection<P, F: std::future::Future<Output = Result<P, sqlx::Error>>>(
    mut connect: impl FnMut() -> F,
) -> Result<P, sqlx::Error> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match connect().await {
            Ok(pool) => return Ok(pool),
            Err(e) if std::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Start-up work on a SQLite file, one app at a time within the process.
static SQLITE_SETUP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connect and apply migrations.
    #[tracing::instrument(skip_all)]
    /// `acquire_timeout`: how long a caller waits for a connection (an outage answers 503
    /// after it). Start-up itself waits up to 10 s for the first connection.
    pub async fn connect(url: &str, max_connections: u32, acquire_timeout: Duration) -> anyhow::Result<Self> {
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
            let pool = SqlitePoolOptions::new().max_connections(max_connections).acquire_timeout(acquire_timeout);
            let pool = first_connection(|| pool.clone().connect_with(opts.clone())).await?;
            {
                // Several apps of one process opening one file (tests; SQLite is the one-process
                // mode) must not migrate it at once.
                let _held = SQLITE_SETUP.lock().await;
                SQLITE_MIGRATIONS.run(&pool).await?;
            }
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                // sqlx pings every connection it hands out by default: a second round trip per
                // query, which cost PostgreSQL as much CPU as the listing query itself under
                // load. A connection that sat idle for a while is still checked (the database
                // may have restarted meanwhile); one that was in use a moment ago is not.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for > IDLE_BEFORE_PING {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                });
            let pool = first_connection(|| pool.clone().connect_with(opts.clone())).await?;
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
    /// Runs `setup` holding the database-wide start-up lock: a PostgreSQL session advisory lock
    /// (released when the session ends, so a replica that dies holding it doesn't block the
    /// others), and on SQLite — one process — a lock within the process.
    pub async fn with_setup_lock<T>(
        &self,
        setup: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        const KEY: i64 = 0x6761_6a79_656f_6761; // "gajyeoga"
        match self {
            Db::Postgres(pool) => {
                let mut conn = first_connection(|| pool.acquire()).await?;
                sqlx::query("SELECT pg_advisory_lock($1)").bind(KEY).execute(&mut *conn).await?;
                let done = setup.await;
                sqlx::query("SELECT pg_advisory_unlock($1)").bind(KEY).execute(&mut *conn).await?;
                done
            }
            Db::Sqlite(_) => {
                let _held = SQLITE_SETUP.lock().await;
                setup.await
            }
        }
    }

    pub fn is_closed(&self) -> bool {
        on_db!(self, |pool| pool.is_closed())
    }

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
