//! The fingerprints of the keys every console on this store must hold (`console/replicas.rs`).

use rusqlite::{Connection, Transaction, params};

use super::{db_error, query_all};
use crate::error::Result;

pub(super) fn key_fingerprints(c: &Connection) -> Result<Vec<(String, String)>> {
    query_all(c, "SELECT name, fingerprint FROM key_fingerprints ORDER BY name", [], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })
}

/// Inserts when absent (`replacing` none) or swaps `replacing` for `fingerprint`; whether written.
pub(super) fn record_key_fingerprint(
    tx: &Transaction<'_>,
    name: &str,
    fingerprint: &str,
    replacing: Option<&str>,
    at_ms: u64,
) -> Result<bool> {
    let at_ms = at_ms.min(i64::MAX as u64);
    let written = match replacing {
        None => tx.execute(
            "INSERT INTO key_fingerprints (name, fingerprint, recorded_at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
            params![name, fingerprint, at_ms],
        ),
        Some(old) => tx.execute(
            "UPDATE key_fingerprints SET fingerprint = ?2, recorded_at_ms = ?3 WHERE name = ?1 AND fingerprint = ?4",
            params![name, fingerprint, at_ms, old],
        ),
    }
    .map_err(db_error)?;
    Ok(written == 1)
}
