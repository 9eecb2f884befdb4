//! The fleet's event history (state changes with exits, alerts), kept 7 days.

use tokio_postgres::Transaction;

use super::{Client, bodies, db_error, int, json_error, prepared};
use crate::console::{EventQuery, FleetEvent};
use crate::error::Result;

const KEEP_MS: u64 = 7 * 86_400_000;

pub(super) async fn insert(c: &Client, customer_id: &str, at_ms: u64, event: &FleetEvent) -> Result<()> {
    let body = serde_json::to_string(event).map_err(json_error)?;
    c.execute(
        &prepared(c, "INSERT INTO events (customer_id, at_ms, body) VALUES ($1, $2, $3)").await?,
        &[&customer_id, &int(at_ms), &body],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// The newest `limit` events that match, oldest first.
pub(super) async fn list(c: &Client, query: &EventQuery) -> Result<Vec<FleetEvent>> {
    let rows = c
        .query(
            &prepared(
                c,
                "SELECT body FROM events WHERE ($1::TEXT IS NULL OR customer_id = $1) AND at_ms >= $2
             ORDER BY at_ms DESC, row_order DESC LIMIT $3",
            )
            .await?,
            &[&query.customer, &int(query.since_ms), &(query.limit.clamp(1, 10_000) as i64)],
        )
        .await
        .map_err(db_error)?;
    let mut events: Vec<FleetEvent> = bodies(&rows)?;
    events.reverse();
    Ok(events)
}

pub(super) async fn prune(tx: &Transaction<'_>, now_ms: u64) -> Result<()> {
    tx.execute("DELETE FROM events WHERE at_ms < $1", &[&int(now_ms.saturating_sub(KEEP_MS))])
        .await
        .map_err(db_error)?;
    Ok(())
}
