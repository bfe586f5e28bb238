//! Storage: SQLite (embedded default, WAL) and PostgreSQL (scale-out) behind one
//! non-generic [`Db`] type. Every method is one `match` over the backend; the SQL text is
//! shared where both dialects agree and split where they do not. No SQL lives elsewhere.
//!
//! This crate knows rows, not rules: it must not depend on the app, web or CLI crates.

mod error;
mod migrate;
mod rows;
mod sqlite_numbering;

pub mod accounts;
pub mod audit;
pub mod branches;
pub mod campaigns;
pub mod desk_fees;
pub mod electronic_photos;
pub mod jobs;
pub mod makeup_booking_reads;
pub mod makeup_bookings;
pub mod online_entries;
pub mod online_photos;
pub mod onsite;
pub mod onsite_offline;
pub mod onsite_registrations;
pub mod onsite_sessions;
pub mod onsite_settlements;
pub mod onsite_station;
pub mod order_list;
pub mod otp;
pub mod outbox;
pub mod payments;
pub mod prints;
pub mod progress;
pub mod refunds;
pub mod registry;
pub mod shipments;
pub mod status_reports;
pub mod student_accounts;
pub mod students;
pub mod testing;
pub mod universities;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use error::DbError;

/// Runs `$body` with `$pool` bound to the backend's pool. The body is written once and
/// compiled for each backend, so shared SQL stays shared.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.pool;
                $body
            }
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Opens a write transaction: `BEGIN IMMEDIATE` on SQLite, so that a transaction that
/// reads before it writes takes the single write lock up front instead of failing to
/// upgrade later; a plain `BEGIN` on PostgreSQL.
macro_rules! write_tx {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(sqlite) => {
                let _writer = sqlite.writer.lock().await;
                let mut $tx = sqlite.pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
pub(crate) use write_tx;

/// The database: one of the two backends, chosen by the URL scheme.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// SQLite with its one writer. SQLite takes one write transaction at a time; left to
/// itself, a second writer waits in SQLite's busy handler, which sleeps in growing steps
/// (milliseconds each), so writers that collide wait far longer than the write takes.
/// Write transactions in this process therefore queue on an async lock first and find
/// the database free when their turn comes.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub pool: SqlitePool,
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Check-ins numbered by group commit, on a connection of their own.
    numbering: std::sync::Arc<sqlite_numbering::Numbering>,
}

impl SqliteDb {
    fn new(pool: SqlitePool, numbering: sqlite_numbering::Numbering) -> SqliteDb {
        SqliteDb {
            pool,
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            numbering: std::sync::Arc::new(numbering),
        }
    }

    /// Waits for this process's turn to write (see [`SqliteDb`]).
    pub async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.lock().await
    }
}

/// Connection settings that do not belong in the URL.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// How long SQLite waits for the write lock before giving up.
    pub busy_timeout: Duration,
    /// Stops the start-up migrations after this version (a test of a later migration
    /// over data written by the schema before it); `None` applies them all.
    pub migrate_up_to: Option<i64>,
}

impl Default for DbOptions {
    fn default() -> DbOptions {
        DbOptions {
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            migrate_up_to: None,
        }
    }
}

/// Which backend a [`Db`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    /// Connects to `sqlite://path` (created if missing, WAL mode) or `postgres://…`, then
    /// applies pending migrations.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Db, DbError> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let o = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(o)
                .await?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            // The numbering writer opens the file again: a database only in this
            // connection's memory would not be there.
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(DbError::Config(
                    "an in-memory SQLite database is not supported: give a file (sqlite://PATH)"
                        .into(),
                ));
            }
            let o = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(opts.busy_timeout);
            // No ping before each use: on SQLite it is a round trip to the connection's
            // worker thread (two context switches) for a local file that does not go stale,
            // and it doubled the hops of every query (measured: bench/checkin).
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.busy_timeout)
                .connect_with(o.clone())
                .await?;
            let numbering =
                sqlite_numbering::Numbering::new(o.get_filename().to_path_buf(), opts.busy_timeout);
            Db::Sqlite(SqliteDb::new(pool, numbering))
        } else {
            return Err(DbError::Config(format!(
                "unsupported database URL scheme (use sqlite:// or postgres://): {}",
                redact_url(url)
            )));
        };
        migrate::run(&db, opts.migrate_up_to.unwrap_or(i64::MAX)).await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<Vec<String>, DbError> {
        migrate::run(self, i64::MAX).await
    }

    /// A cheap round trip for readiness probes.
    pub async fn ping(&self) -> Result<(), DbError> {
        with_pool!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}

/// Hides the password of a database URL for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Current time in Unix milliseconds, the unit of every timestamp column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
