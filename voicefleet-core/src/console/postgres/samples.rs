//! Metrics samples (7 days, thinned after one) and alerts.

use tokio_postgres::Transaction;

use super::{Client, bodies, db_error, int, json_error, prepared};
use crate::console::store::AlertRecord;
use crate::error::Result;
use crate::host::MetricsSample;

const DAY_MS: u64 = 86_400_000;

/// How far back of the one-day line thinning looks (as for SQLite: earlier prunes thinned the rest).
const THIN_WINDOW_MS: u64 = 6 * 3_600_000;

/// Stores `(customer, sample)` pairs in one statement (a status pass's samples for the fleet).
pub(super) async fn insert(tx: &Transaction<'_>, samples: &[(&str, &MetricsSample)]) -> Result<()> {
    let mut customers = Vec::with_capacity(samples.len());
    let mut times = Vec::with_capacity(samples.len());
    let mut bodies = Vec::with_capacity(samples.len());
    for (customer, sample) in samples {
        customers.push(*customer);
        times.push(int(sample.at_ms));
        bodies.push(serde_json::to_string(sample).map_err(json_error)?);
    }
    tx.execute(
        "INSERT INTO samples (customer_id, at_ms, body)
         SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[])",
        &[&customers, &times, &bodies],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn between(
    c: &Client,
    customer_id: &str,
    since_ms: u64,
    until_ms: u64,
) -> Result<Vec<MetricsSample>> {
    let rows = c
        .query(
            &prepared(
                c,
                "SELECT body FROM samples WHERE customer_id = $1 AND at_ms >= $2 AND at_ms <= $3
             ORDER BY at_ms, row_order",
            )
            .await?,
            &[&customer_id, &int(since_ms), &int(until_ms)],
        )
        .await
        .map_err(db_error)?;
    bodies(&rows)
}

/// Keeps 7 days: full resolution for a day, the first sample of each minute before that.
pub(super) async fn prune(tx: &Transaction<'_>, now_ms: u64) -> Result<()> {
    tx.execute("DELETE FROM samples WHERE at_ms < $1", &[&int(now_ms.saturating_sub(7 * DAY_MS))])
        .await
        .map_err(db_error)?;
    let day_ago = now_ms.saturating_sub(DAY_MS);
    tx.execute(
        "DELETE FROM samples WHERE at_ms >= $2 AND at_ms < $1 AND row_order NOT IN (
            SELECT MIN(row_order) FROM samples WHERE at_ms >= $2 AND at_ms < $1
            GROUP BY customer_id, at_ms / 60000)",
        &[&int(day_ago), &int(day_ago.saturating_sub(THIN_WINDOW_MS))],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn upsert_alert(c: &Client, alert: &AlertRecord) -> Result<()> {
    let body = serde_json::to_string(alert).map_err(json_error)?;
    c.execute(
        &prepared(
            c,
            "INSERT INTO alerts (customer_id, rule, body) VALUES ($1, $2, $3)
         ON CONFLICT (customer_id, rule) DO UPDATE SET body = excluded.body",
        )
        .await?,
        &[&alert.customer_id, &alert.rule, &body],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn customer_alerts(c: &Client, customer_id: &str) -> Result<Vec<AlertRecord>> {
    let rows = c
        .query(
            &prepared(c, "SELECT body FROM alerts WHERE customer_id = $1 ORDER BY rule").await?,
            &[&customer_id],
        )
        .await
        .map_err(db_error)?;
    bodies(&rows)
}

pub(super) async fn alerts(c: &Client, include_resolved: bool) -> Result<Vec<AlertRecord>> {
    let rows = c
        .query(&prepared(c, "SELECT body FROM alerts ORDER BY customer_id, rule").await?, &[])
        .await
        .map_err(db_error)?;
    let alerts: Vec<AlertRecord> = bodies(&rows)?;
    Ok(alerts.into_iter().filter(|alert| include_resolved || alert.firing).collect())
}
