//! The fingerprints of the keys every console on this store must hold (`console/replicas.rs`).

use tokio_postgres::Transaction;

use super::{Client, db_error, int, prepared};
use crate::error::Result;

pub(super) async fn key_fingerprints(c: &Client) -> Result<Vec<(String, String)>> {
    let rows = c
        .query(&prepared(c, "SELECT name, fingerprint FROM key_fingerprints ORDER BY name").await?, &[])
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Inserts when absent (`replacing` none) or swaps `replacing` for `fingerprint`; whether written.
pub(super) async fn record_key_fingerprint(
    tx: &Transaction<'_>,
    name: &str,
    fingerprint: &str,
    replacing: Option<&str>,
    at_ms: u64,
) -> Result<bool> {
    let written = match replacing {
        None => {
            tx.execute(
                "INSERT INTO key_fingerprints (name, fingerprint, recorded_at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &fingerprint, &int(at_ms)],
            )
            .await
        }
        Some(old) => {
            tx.execute(
                "UPDATE key_fingerprints SET fingerprint = $2, recorded_at_ms = $3 WHERE name = $1 AND fingerprint = $4",
                &[&name, &fingerprint, &int(at_ms), &old],
            )
            .await
        }
    }
    .map_err(db_error)?;
    Ok(written == 1)
}
