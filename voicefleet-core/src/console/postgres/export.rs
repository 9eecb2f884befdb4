//! The way back from `import.rs`: every table of this store copied into a new SQLite database at
//! this voicefleet's schema version, read in one repeatable-read snapshot, so a backup of a
//! PostgreSQL store is the same archive as one of an embedded store (`backup/`), and a restore
//! reads it the same way.

use std::path::Path;

use rusqlite::types::Value;
use tokio_postgres::IsolationLevel;

use super::import::TABLES;
use super::{PostgresStore, db_error};
use crate::console::SqliteStore;
use crate::error::{Error, Result};

/// One table's rows, as SQLite will hold them.
struct TableRows {
    name: &'static str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

fn sqlite_error(error: rusqlite::Error) -> Error {
    Error::Internal { message: format!("SQLite: {error}") }
}

/// The columns of each table in the SQLite schema (PostgreSQL's tables may have more: the
/// `row_order` that SQLite's rowid stands for).
fn sqlite_columns(path: &Path) -> Result<Vec<Vec<String>>> {
    let connection = rusqlite::Connection::open(path).map_err(sqlite_error)?;
    TABLES
        .iter()
        .map(|table| {
            let mut statement = connection
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .map_err(sqlite_error)?;
            let names = statement
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(sqlite_error)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(sqlite_error)?;
            Ok(names)
        })
        .collect()
}

/// A PostgreSQL value of type `pg_type` as SQLite stores it.
fn value(row: &tokio_postgres::Row, index: usize, pg_type: &str) -> Result<Value> {
    let read =
        |error: tokio_postgres::Error| Error::Internal { message: format!("reading the store: {error}") };
    Ok(match pg_type {
        "bigint" => row.try_get::<_, Option<i64>>(index).map_err(read)?.map_or(Value::Null, Value::Integer),
        "boolean" => row
            .try_get::<_, Option<bool>>(index)
            .map_err(read)?
            .map_or(Value::Null, |b| Value::Integer(i64::from(b))),
        "text" => row.try_get::<_, Option<String>>(index).map_err(read)?.map_or(Value::Null, Value::Text),
        "bytea" => row.try_get::<_, Option<Vec<u8>>>(index).map_err(read)?.map_or(Value::Null, Value::Blob),
        other => {
            return Err(Error::Internal { message: format!("a column of type {other} cannot be exported") });
        }
    })
}

impl PostgresStore {
    /// Writes every table of this store into a new SQLite database at `path` (which must not
    /// exist yet), as one consistent snapshot; returns each table's row count.
    pub(super) async fn export_tables(&self, path: &Path) -> Result<Vec<(String, u64)>> {
        if path.exists() {
            return Err(Error::Internal { message: format!("{} exists already", path.display()) });
        }
        // The schema first (every migration), then the columns each table has there.
        drop(SqliteStore::open(path)?);
        let columns = {
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || sqlite_columns(&path))
                .await
                .map_err(|error| Error::Internal { message: error.to_string() })??
        };
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(db_error)?;
        let mut tables = Vec::with_capacity(TABLES.len());
        for (&name, columns) in TABLES.iter().zip(columns) {
            let types = tx
                .query(
                    "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1",
                    &[&name],
                )
                .await
                .map_err(db_error)?;
            let type_of = |column: &str| {
                types.iter().find(|row| row.get::<_, &str>(0) == column).map(|row| row.get::<_, String>(1))
            };
            let column_types = columns
                .iter()
                .map(|column| {
                    type_of(column).ok_or_else(|| Error::Internal {
                        message: format!("PostgreSQL's table {name} has no column {column}"),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            // Rows in the order they were written, as SQLite's rowid keeps them.
            let order = if type_of("row_order").is_some() { "row_order" } else { "1" };
            let rows = tx
                .query(&format!("SELECT {} FROM {name} ORDER BY {order}", columns.join(", ")), &[])
                .await
                .map_err(db_error)?;
            let rows = rows
                .iter()
                .map(|row| column_types.iter().enumerate().map(|(i, t)| value(row, i, t)).collect())
                .collect::<Result<Vec<Vec<Value>>>>()?;
            tables.push(TableRows { name, columns, rows });
        }
        tx.commit().await.map_err(db_error)?;
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || write_sqlite(&path, &tables))
            .await
            .map_err(|error| Error::Internal { message: error.to_string() })?
    }
}

/// Writes `tables` into the SQLite database at `path`, in one transaction.
fn write_sqlite(path: &Path, tables: &[TableRows]) -> Result<Vec<(String, u64)>> {
    let mut connection = rusqlite::Connection::open(path).map_err(sqlite_error)?;
    let tx = connection.transaction().map_err(sqlite_error)?;
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let placeholders: Vec<String> = (1..=table.columns.len()).map(|n| format!("?{n}")).collect();
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO {} ({}) VALUES ({})",
                table.name,
                table.columns.join(", "),
                placeholders.join(", ")
            ))
            .map_err(sqlite_error)?;
        for row in &table.rows {
            insert.execute(rusqlite::params_from_iter(row.iter())).map_err(sqlite_error)?;
        }
        counts.push((table.name.to_owned(), table.rows.len() as u64));
    }
    tx.commit().map_err(sqlite_error)?;
    Ok(counts)
}
