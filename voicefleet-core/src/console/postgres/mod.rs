//! The PostgreSQL store, for a console past one machine: the same [`Store`] as the embedded
//! SQLite one, on a server the operator runs (or a managed one), through a connection pool.
//!
//! `migrations.rs` holds the schema (the same versions as SQLite's); `connect.rs` reads the URL
//! and opens the pool; one module per table group holds its SQL, as in `sqlite/`. Every change
//! and its audit entry are written in one transaction ([`PostgresStore::finish`]); appends to the
//! audit chain are serialized by a transaction-scoped advisory lock (`audit.rs`), so the chain
//! stays linear whichever process or connection writes. Reads use statements prepared once per
//! pooled connection (`prepared`). Live events travel between consoles with `LISTEN/NOTIFY` on a
//! connection of their own (`notify.rs`).

mod accounts;
mod audit;
mod bulk;
mod connect;
mod customers;
mod events;
#[cfg(feature = "sqlite")]
mod export;
#[cfg(feature = "sqlite")]
mod import;
mod instances;
mod keys;
mod lease;
mod mfa;
mod migrations;
mod notify;
mod samples;
mod store;

use std::sync::Arc;

use deadpool_postgres::{Object, Pool, PoolError, Transaction};
use serde::de::DeserializeOwned;
use tokio_postgres::Row;

#[cfg(feature = "sqlite")]
pub use import::MoveReport;
pub(crate) use migrations::MIGRATIONS;

use super::audit::{AuditEntry, AuditKey, AuditRecord};
use crate::error::{Error, Result};

/// The first key of every advisory lock voicefleet takes (the second names the lock), so
/// they cannot collide with another application's locks on the same database.
pub(super) const ADVISORY_NAMESPACE: i32 = 0x5646_4c54; // "VFLT"

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// The audit chain's MAC key; without it entries are plain SHA-256 (tests).
    audit_key: Option<Arc<AuditKey>>,
    /// The database, without its password (for errors).
    shown: Arc<str>,
    /// How to connect, for the connection that listens for other consoles' events.
    config: Arc<tokio_postgres::Config>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("database", &self.shown).finish_non_exhaustive()
    }
}

fn db_error(error: tokio_postgres::Error) -> Error {
    let detail = error.as_db_error().map(|db| db.message().to_owned()).unwrap_or_else(|| error.to_string());
    Error::Internal { message: format!("database: {detail}") }
}

fn json_error(error: serde_json::Error) -> Error {
    Error::Internal { message: format!("stored data: {error}") }
}

/// A u64 as PostgreSQL's BIGINT (values past it, which no clock or counter reaches, saturate).
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A stored BIGINT as u64.
fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A pooled connection, with its cache of prepared statements.
type Client = deadpool_postgres::ClientWrapper;

/// `sql` prepared once per connection (the pool's statement cache): a read is one round trip.
async fn prepared(c: &Client, sql: &str) -> Result<tokio_postgres::Statement> {
    c.prepare_cached(sql).await.map_err(db_error)
}

/// Every row's first column, a JSON body, parsed.
fn bodies<T: DeserializeOwned>(rows: &[Row]) -> Result<Vec<T>> {
    rows.iter().map(|row| serde_json::from_str(row.get::<_, &str>(0)).map_err(json_error)).collect()
}

impl PostgresStore {
    /// Connects to `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`) and brings its schema up
    /// to date (once, whichever console starting at the same time gets there first).
    pub async fn connect(url: &str) -> Result<Self> {
        let target = connect::target(url)?;
        let pool = connect::pool(&target)?;
        let store =
            Self { pool, audit_key: None, shown: target.shown.into(), config: Arc::new(target.config) };
        let mut client = store.client().await?;
        migrations::migrate(&mut client).await?;
        Ok(store)
    }

    /// This store, chaining new audit entries with `key` (HMAC-SHA256).
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.audit_key = Some(Arc::new(key));
        self
    }

    /// The database, without its password.
    pub fn describe(&self) -> &str {
        &self.shown
    }

    /// A connection from the pool.
    async fn client(&self) -> Result<Object> {
        self.pool.get().await.map_err(|error| match error {
            PoolError::Backend(error) => connect::connect_error(&self.shown, &error),
            other => Error::Unavailable {
                message: format!("cannot use the PostgreSQL store {}: {other}", self.shown),
            },
        })
    }

    /// Appends `audit` (when given) to the chain and commits: the change and its entry, or neither.
    async fn finish(&self, tx: Transaction<'_>, audit: Option<AuditRecord>) -> Result<Option<AuditEntry>> {
        let entry = match audit {
            Some(record) => Some(audit::append(&tx, &record, self.audit_key.as_deref()).await?),
            None => None,
        };
        tx.commit().await.map_err(db_error)?;
        Ok(entry)
    }
}

/// Begins a transaction on `$client` (an [`Object`] borrowed mutably).
macro_rules! begin {
    ($client:expr) => {
        $client.transaction().await.map_err($crate::console::postgres::db_error)?
    };
}
use begin;
