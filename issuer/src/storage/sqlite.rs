//! The SQLite backend (the embedded default): one database file in WAL mode with
//! `synchronous=FULL`, so every acknowledged (committed) write is on disk before the call returns
//! and survives `kill -9` and power loss; writers are serialized with `BEGIN IMMEDIATE` and wait
//! up to 30 s for the lock. Migrations: `issuer/migrations/sqlite`.

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::IssuerError;

type Db = sqlx::Sqlite;
type Store = SqliteStorage;
/// Takes the database write lock at the start of every write transaction.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
/// The sealer's lock (specs/revocation.md §3): SQLite serialises writers, so none.
const SEALER_LOCK: Option<&str> = None;
/// The next revocation index + 1 (SQLite serialises writers anyway).
const NEXT_REV_INDEX: &str =
    "UPDATE counters SET value = value + 1 WHERE name = 'rev_index' RETURNING value";

// The same SQL source is compiled once per backend, on purpose (see sql.rs).
#[allow(clippy::duplicate_mod)]
#[path = "sql.rs"]
mod sql;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite storage.
#[derive(Clone, Debug)]
pub struct SqliteStorage {
    pool: SqlitePool,
}

impl SqliteStorage {
    /// Opens (creating if missing) and migrates the database at `url`: `sqlite://PATH`,
    /// `sqlite:PATH` or `sqlite::memory:` (one connection, gone when dropped).
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for a malformed URL, [`IssuerError::Storage`] otherwise.
    pub async fn connect(url: &str) -> Result<SqliteStorage, IssuerError> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|_| IssuerError::InvalidInput("malformed sqlite URL"))?;
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        SqliteStorage::open_with(opts, if memory { 1 } else { 8 }).await
    }

    /// Opens (creating if missing) and migrates the database file at `path`.
    ///
    /// # Errors
    /// [`IssuerError::Storage`].
    pub async fn open(path: &Path) -> Result<SqliteStorage, IssuerError> {
        SqliteStorage::open_with(SqliteConnectOptions::new().filename(path), 8).await
    }

    async fn open_with(
        opts: SqliteConnectOptions,
        max_connections: u32,
    ) -> Result<SqliteStorage, IssuerError> {
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts)
            .await
            .map_err(|e| IssuerError::storage("connect", e))?;
        let s = SqliteStorage { pool };
        s.migrate().await?;
        Ok(s)
    }

    /// Applies pending migrations (done by the constructors).
    ///
    /// # Errors
    /// [`IssuerError::Storage`].
    pub async fn migrate(&self) -> Result<(), IssuerError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| IssuerError::storage("migrate", e))
    }

    /// The connection pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
