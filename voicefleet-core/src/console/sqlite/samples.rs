//! Metrics samples (7 days, thinned after one) and alerts.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, json_error, query_bodies};
use crate::console::store::AlertRecord;
use crate::error::Result;
use crate::host::MetricsSample;

const DAY_MS: u64 = 86_400_000;

/// Each sample as (time, body).
pub(super) fn rows(samples: &[MetricsSample]) -> Result<Vec<(u64, String)>> {
    samples
        .iter()
        .map(|s| serde_json::to_string(s).map(|body| (s.at_ms, body)))
        .collect::<std::result::Result<_, _>>()
        .map_err(json_error)
}

pub(super) fn insert(tx: &Transaction<'_>, customer_id: &str, rows: &[(u64, String)]) -> Result<()> {
    for (at, body) in rows {
        tx.execute(
            "INSERT INTO samples (customer_id, at_ms, body) VALUES (?1, ?2, ?3)",
            params![customer_id, at, body],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

pub(super) fn between(
    c: &Connection,
    customer_id: &str,
    since_ms: u64,
    until_ms: u64,
) -> Result<Vec<MetricsSample>> {
    // SQLite integers are signed 64-bit.
    let (since_ms, until_ms) = (since_ms.min(i64::MAX as u64), until_ms.min(i64::MAX as u64));
    query_bodies(
        c,
        "SELECT body FROM samples WHERE customer_id = ?1 AND at_ms >= ?2 AND at_ms <= ?3 ORDER BY at_ms",
        params![customer_id, since_ms, until_ms],
    )
}

/// How far back of the one-day line thinning looks: samples older than that were thinned by an
/// earlier prune (the console prunes every few minutes), so a prune reads hours, not days.
const THIN_WINDOW_MS: u64 = 6 * 3_600_000;

/// Keeps 7 days: full resolution for a day, the first sample of each minute before that.
pub(super) fn prune(tx: &Transaction<'_>, now_ms: u64) -> Result<()> {
    // SQLite integers are signed 64-bit.
    let now_ms = now_ms.min(i64::MAX as u64);
    tx.execute("DELETE FROM samples WHERE at_ms < ?1", [now_ms.saturating_sub(7 * DAY_MS)])
        .map_err(db_error)?;
    let day_ago = now_ms.saturating_sub(DAY_MS);
    tx.execute(
        "DELETE FROM samples WHERE at_ms >= ?2 AND at_ms < ?1 AND rowid NOT IN (
            SELECT MIN(rowid) FROM samples WHERE at_ms >= ?2 AND at_ms < ?1
            GROUP BY customer_id, at_ms / 60000)",
        params![day_ago, day_ago.saturating_sub(THIN_WINDOW_MS)],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn upsert_alert(c: &Connection, alert: &AlertRecord, body: &str) -> Result<()> {
    c.execute(
        "INSERT INTO alerts (customer_id, rule, body) VALUES (?1, ?2, ?3)
         ON CONFLICT (customer_id, rule) DO UPDATE SET body = excluded.body",
        params![alert.customer_id, alert.rule, body],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn customer_alerts(c: &Connection, customer_id: &str) -> Result<Vec<AlertRecord>> {
    query_bodies(c, "SELECT body FROM alerts WHERE customer_id = ?1 ORDER BY rule", [customer_id])
}

pub(super) fn alerts(c: &Connection, include_resolved: bool) -> Result<Vec<AlertRecord>> {
    let alerts: Vec<AlertRecord> = query_bodies(c, "SELECT body FROM alerts ORDER BY customer_id, rule", [])?;
    Ok(alerts.into_iter().filter(|a| include_resolved || a.firing).collect())
}
