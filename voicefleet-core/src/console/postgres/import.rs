//! Moving a console's data from its embedded SQLite database into an empty PostgreSQL one
//! (`voicefleet console migrate`): every table copied row for row in one PostgreSQL
//! transaction, the audit chain verbatim (sequence numbers and hashes), so it verifies after
//! the move as before it.

use std::path::Path;

use rusqlite::types::Value;
use tokio_postgres::types::ToSql;

use super::{PostgresStore, db_error};
use crate::console::audit::{AuditEntry, AuditKey, AuditRecord, verify};
use crate::console::{SQLITE_FILE, SqliteStore, Store as _};
use crate::error::{Error, Result};

/// Every table of the schema, parents before children (the order rows are copied in).
pub(super) const TABLES: &[&str] = &[
    "customers",
    "revisions",
    "secrets",
    "bulk_runs",
    "bulk_targets",
    "audit",
    "samples",
    "alerts",
    "users",
    "api_tokens",
    "login_failures",
    "events",
    "user_mfa",
    "mfa_recovery_codes",
    "mfa_required_roles",
    "instances",
    "launch_specs",
    "recovery_settings",
    "recovery_state",
    "login_attempts",
    "key_fingerprints",
    "idempotency_keys",
    "leases",
];

/// Rows per INSERT statement.
const BATCH: usize = 500;

/// What a move did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveReport {
    /// Each table and how many rows it held.
    pub tables: Vec<(String, u64)>,
    /// The audit chain moved, verified at both ends.
    pub audit_entries: u64,
    /// The entry recording the move, appended after the moved chain.
    pub recorded: AuditEntry,
}

/// One table's rows as SQLite holds them, with its column names.
struct TableRows {
    name: &'static str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

/// Reads every table of the SQLite database at `path` (already at this voicefleet's schema
/// version) in one read transaction.
fn read_sqlite(path: &Path) -> Result<Vec<TableRows>> {
    let sqlite_error = |error: rusqlite::Error| Error::Internal { message: format!("SQLite: {error}") };
    let mut connection = rusqlite::Connection::open(path).map_err(sqlite_error)?;
    let tx = connection.transaction().map_err(sqlite_error)?;
    let mut names = tx
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .map_err(sqlite_error)?;
    let present: Vec<String> = names
        .query_map([], |row| row.get(0))
        .map_err(sqlite_error)?
        .collect::<rusqlite::Result<_>>()
        .map_err(sqlite_error)?;
    drop(names);
    if let Some(unknown) = present.iter().find(|name| !TABLES.contains(&name.as_str())) {
        return Err(Error::Unavailable {
            message: format!(
                "the SQLite database has a table `{unknown}` this voicefleet cannot move: use the voicefleet that wrote it"
            ),
        });
    }
    let mut tables = Vec::with_capacity(TABLES.len());
    for name in TABLES {
        let mut statement =
            tx.prepare(&format!("SELECT * FROM {name} ORDER BY rowid")).map_err(sqlite_error)?;
        let columns: Vec<String> = statement.column_names().iter().map(|c| (*c).to_owned()).collect();
        let count = columns.len();
        let rows = statement
            .query_map([], |row| {
                (0..count).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sqlite_error)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sqlite_error)?;
        tables.push(TableRows { name, columns, rows });
    }
    Ok(tables)
}

/// A SQLite value as the PostgreSQL column of type `pg_type` takes it.
fn param(value: &Value, pg_type: &str, column: &str) -> Result<Box<dyn ToSql + Sync + Send>> {
    let mismatch =
        || Error::Internal { message: format!("column {column}: {value:?} does not fit {pg_type}") };
    Ok(match (pg_type, value) {
        ("bigint", Value::Integer(i)) => Box::new(*i),
        ("bigint", Value::Null) => Box::new(None::<i64>),
        ("boolean", Value::Integer(i)) => Box::new(*i != 0),
        ("boolean", Value::Null) => Box::new(None::<bool>),
        ("text", Value::Text(text)) => Box::new(text.clone()),
        ("text", Value::Null) => Box::new(None::<String>),
        ("bytea", Value::Blob(bytes)) => Box::new(bytes.clone()),
        ("bytea", Value::Null) => Box::new(None::<Vec<u8>>),
        _ => return Err(mismatch()),
    })
}

impl PostgresStore {
    /// Copies the SQLite database at `sqlite_path` into this store, which must hold no data
    /// yet: all of it in one transaction, or nothing. Returns each table's row count.
    async fn import_sqlite(&self, sqlite_path: &Path) -> Result<Vec<(String, u64)>> {
        // Brought to this voicefleet's schema first, so both sides have the same tables.
        SqliteStore::open(sqlite_path)?;
        let path = sqlite_path.to_owned();
        let tables = tokio::task::spawn_blocking(move || read_sqlite(&path))
            .await
            .map_err(|error| Error::Internal { message: error.to_string() })??;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        for table in TABLES {
            let any: bool = tx
                .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
                .await
                .map_err(db_error)?
                .get(0);
            if any {
                return Err(Error::conflict(
                    format!(
                        "the PostgreSQL database {} already holds console data (table {table})",
                        self.shown
                    ),
                    Some("move into a new, empty database (CREATE DATABASE …)"),
                ));
            }
        }
        let mut counts = Vec::with_capacity(tables.len());
        for table in &tables {
            let types = tx
                .query(
                    "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1",
                    &[&table.name],
                )
                .await
                .map_err(db_error)?;
            let type_of = |column: &str| {
                types.iter().find(|row| row.get::<_, &str>(0) == column).map(|row| row.get::<_, String>(1))
            };
            let column_types = table
                .columns
                .iter()
                .map(|column| {
                    type_of(column).ok_or_else(|| Error::Internal {
                        message: format!("PostgreSQL's table {} has no column {column}", table.name),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            for chunk in table.rows.chunks(BATCH) {
                let mut params: Vec<Box<dyn ToSql + Sync + Send>> =
                    Vec::with_capacity(chunk.len() * table.columns.len());
                let mut tuples = Vec::with_capacity(chunk.len());
                for row in chunk {
                    let start = params.len();
                    for ((value, pg_type), column) in row.iter().zip(&column_types).zip(&table.columns) {
                        params.push(param(value, pg_type, column)?);
                    }
                    let placeholders: Vec<String> =
                        (start + 1..=params.len()).map(|n| format!("${n}")).collect();
                    tuples.push(format!("({})", placeholders.join(", ")));
                }
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    table.name,
                    table.columns.join(", "),
                    tuples.join(", ")
                );
                let refs: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
                tx.execute(&sql, &refs).await.map_err(db_error)?;
            }
            counts.push((table.name.to_owned(), table.rows.len() as u64));
        }
        tx.commit().await.map_err(db_error)?;
        Ok(counts)
    }
}

impl PostgresStore {
    /// Moves the console data of `data_dir`'s SQLite database into this (empty) store: the
    /// source's audit chain must verify (with `key`, the audit key of the console's master
    /// key, when it is keyed); after the copy the chain here must be the same entries and
    /// verify too. Then the move itself is appended to the chain, as `actor`. The SQLite file is
    /// left as it was.
    pub async fn move_from_sqlite(
        &self,
        data_dir: &Path,
        key: Option<&AuditKey>,
        actor: &str,
    ) -> Result<MoveReport> {
        let path = data_dir.join(SQLITE_FILE);
        if !path.exists() {
            return Err(Error::Unavailable {
                message: format!(
                    "there is no console database at {}: give the console's data directory",
                    path.display()
                ),
            });
        }
        let (tables, source) = self.import_verified(&path, key).await?;
        let recorded = self
            .append_audit(AuditRecord {
                actor: actor.to_owned(),
                action: "console.migrate".to_owned(),
                target: self.shown.to_string(),
                request_id: String::new(),
                outcome: format!("ok: {source} audit entries from {}", path.display()),
                at_ms: crate::clock::system().now_ms(),
            })
            .await?;
        Ok(MoveReport { tables, audit_entries: source, recorded })
    }

    /// Copies the SQLite database at `path` into this (empty) store with [`Self::move_from_sqlite`]'s
    /// checks of the audit chain before and after, then appends `record` (a restore's entry) to it.
    pub async fn restore_from_sqlite(
        &self,
        path: &Path,
        key: Option<&AuditKey>,
        record: AuditRecord,
    ) -> Result<AuditEntry> {
        self.import_verified(path, key).await?;
        self.append_audit(record).await
    }

    /// The copy and its checks; returns each table's row count and the audit entries copied.
    async fn import_verified(
        &self,
        path: &Path,
        key: Option<&AuditKey>,
    ) -> Result<(Vec<(String, u64)>, u64)> {
        let source = SqliteStore::open(path)?.audit(0, usize::MAX).await?;
        let checked = verify(&source, key);
        if !checked.ok {
            return Err(Error::Unavailable {
                message: format!(
                    "the audit chain in {} does not verify (entry {}: {}); nothing was moved",
                    path.display(),
                    checked.first_broken_seq.unwrap_or(0),
                    checked.reason.unwrap_or_default()
                ),
            });
        }
        let tables = self.import_sqlite(path).await?;
        let moved = self.audit(0, usize::MAX).await?;
        let verdict = verify(&moved, key);
        if moved != source || !verdict.ok {
            return Err(Error::Internal {
                message: format!(
                    "the audit chain in {} is not the one moved ({} entries of {}; {})",
                    self.shown,
                    moved.len(),
                    source.len(),
                    verdict.reason.unwrap_or_else(|| "its entries differ".to_owned())
                ),
            });
        }
        Ok((tables, source.len() as u64))
    }
}
