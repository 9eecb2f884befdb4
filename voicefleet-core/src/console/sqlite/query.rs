//! The store's query helpers: one place that runs a statement and maps its errors.

use rusqlite::{Connection, OptionalExtension as _, Params, Row};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

pub(super) fn db_error(error: rusqlite::Error) -> Error {
    Error::Internal { message: format!("database: {error}") }
}

pub(super) fn json_error(error: serde_json::Error) -> Error {
    Error::Internal { message: format!("stored data: {error}") }
}

/// The one query-and-collect: every row of `sql`, mapped.
pub(super) fn query_all<T>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut statement = connection.prepare(sql).map_err(db_error)?;
    let rows = statement.query_map(params, map).map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
}

/// The one row of `sql`, if any, mapped.
pub(super) fn query_one<T>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    connection.query_row(sql, params, map).optional().map_err(db_error)
}

/// Every row of `sql`, whose first column is a JSON body, parsed.
pub(super) fn query_bodies<T: DeserializeOwned>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Vec<T>> {
    query_all(connection, sql, params, |row| row.get::<_, String>(0))?
        .iter()
        .map(|body| serde_json::from_str(body).map_err(json_error))
        .collect()
}
