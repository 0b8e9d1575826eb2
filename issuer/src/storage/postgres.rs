//! The PostgreSQL backend (scale-out): several issuer replicas share one database. Writers lock
//! the person row they change (`UPDATE … RETURNING` in `READ COMMITTED`), so concurrent
//! enrolments of one person serialize; the unique constraints are the last line of defence.
//! Migrations: `issuer/migrations/postgres`.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::IssuerError;

type Db = sqlx::Postgres;
type Store = PostgresStorage;
const BEGIN_WRITE: &str = "BEGIN";
/// The sealer's lock (specs/revocation.md §3): held to the commit; a replica that does not get
/// it leaves the seal to the one that did, without waiting. Advisory locks are shared by the
/// whole database, so the key names the issuer's schema: issuers in other schemas of the same
/// database seal on their own.
const SEALER_LOCK: Option<&str> =
    Some("SELECT pg_try_advisory_xact_lock(hashtext('netid/v1/sealer/' || current_schema()))");
/// The next revocation index + 1, from a sequence (no row lock held until commit).
const NEXT_REV_INDEX: &str = "SELECT nextval('rev_index_seq')";

// The same SQL source is compiled once per backend, on purpose (see sql.rs).
#[allow(clippy::duplicate_mod)]
#[path = "sql.rs"]
mod sql;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// PostgreSQL storage.
#[derive(Clone, Debug)]
pub struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user@host:port/db`) and migrates.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for a malformed URL, [`IssuerError::Storage`] otherwise.
    pub async fn connect(url: &str) -> Result<PostgresStorage, IssuerError> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(|_| IssuerError::InvalidInput("malformed postgres URL"))?;
        PostgresStorage::connect_with(opts, 16).await
    }

    /// Connects to `url` with every table in `schema` (created if missing; `[a-z0-9_]`, at most
    /// 63 bytes), and migrates. For tests and for several issuers in one database.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for a malformed URL or schema name,
    /// [`IssuerError::Storage`] otherwise.
    pub async fn connect_in_schema(
        url: &str,
        schema: &str,
    ) -> Result<PostgresStorage, IssuerError> {
        if schema.is_empty()
            || schema.len() > 63
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            || schema.as_bytes()[0].is_ascii_digit()
        {
            return Err(IssuerError::InvalidInput(
                "schema name must be [a-z_][a-z0-9_]*, at most 63 bytes",
            ));
        }
        let opts = PgConnectOptions::from_str(url)
            .map_err(|_| IssuerError::InvalidInput("malformed postgres URL"))?;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await
            .map_err(|e| IssuerError::storage("connect", e))?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&admin)
            .await
            .map_err(|e| IssuerError::storage("create schema", e))?;
        admin.close().await;
        PostgresStorage::connect_with(opts.options([("search_path", schema)]), 16).await
    }

    async fn connect_with(
        opts: PgConnectOptions,
        max_connections: u32,
    ) -> Result<PostgresStorage, IssuerError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts)
            .await
            .map_err(|e| IssuerError::storage("connect", e))?;
        let s = PostgresStorage { pool };
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
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
