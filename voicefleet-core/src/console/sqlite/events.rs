//! The fleet's event history (state changes with exits, alerts), kept 7 days.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, json_error, query_bodies};
use crate::console::{EventQuery, FleetEvent};
use crate::error::Result;

const KEEP_MS: u64 = 7 * 86_400_000;

pub(super) fn insert(c: &Connection, customer_id: &str, at_ms: u64, event: &FleetEvent) -> Result<()> {
    let body = serde_json::to_string(event).map_err(json_error)?;
    c.execute(
        "INSERT INTO events (customer_id, at_ms, body) VALUES (?1, ?2, ?3)",
        params![customer_id, at_ms.min(i64::MAX as u64), body],
    )
    .map_err(db_error)?;
    Ok(())
}

/// The newest `limit` events that match, oldest first.
pub(super) fn list(c: &Connection, query: &EventQuery) -> Result<Vec<FleetEvent>> {
    let mut events: Vec<FleetEvent> = query_bodies(
        c,
        "SELECT body FROM events WHERE (?1 IS NULL OR customer_id = ?1) AND at_ms >= ?2
         ORDER BY at_ms DESC, rowid DESC LIMIT ?3",
        params![query.customer, query.since_ms.min(i64::MAX as u64), query.limit.clamp(1, 10_000) as i64],
    )?;
    events.reverse();
    Ok(events)
}

pub(super) fn prune(tx: &Transaction<'_>, now_ms: u64) -> Result<()> {
    tx.execute("DELETE FROM events WHERE at_ms < ?1", [now_ms.saturating_sub(KEEP_MS)]).map_err(db_error)?;
    Ok(())
}
