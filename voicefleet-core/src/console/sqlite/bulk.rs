//! Bulk runs: the run's header and one row per target.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, json_error, query_all, query_bodies, query_one};
use crate::console::bulk::BulkRun;
use crate::error::Result;

/// A run as rows: its header (without targets) and each target's body.
pub(super) struct RunRows {
    id: String,
    created_at_ms: u64,
    header: String,
    targets: Vec<(String, String)>,
}

impl RunRows {
    pub(super) fn of(run: &BulkRun) -> Result<Self> {
        let mut header = run.clone();
        header.targets.clear();
        let targets = run
            .targets
            .iter()
            .map(|t| serde_json::to_string(t).map(|body| (t.customer_id.clone(), body)))
            .collect::<std::result::Result<_, _>>()
            .map_err(json_error)?;
        Ok(Self {
            id: run.id.clone(),
            created_at_ms: run.created_at_ms,
            header: serde_json::to_string(&header).map_err(json_error)?,
            targets,
        })
    }
}

pub(super) fn save(tx: &Transaction<'_>, rows: &RunRows) -> Result<()> {
    tx.execute(
        "INSERT INTO bulk_runs (id, body, created_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body",
        params![rows.id, rows.header, rows.created_at_ms],
    )
    .map_err(db_error)?;
    for (customer, body) in &rows.targets {
        save_target(tx, &rows.id, customer, body)?;
    }
    Ok(())
}

pub(super) fn save_target(c: &Connection, run_id: &str, customer: &str, body: &str) -> Result<()> {
    c.execute(
        "INSERT INTO bulk_targets (run_id, customer_id, body) VALUES (?1, ?2, ?3)
         ON CONFLICT (run_id, customer_id) DO UPDATE SET body = excluded.body",
        params![run_id, customer, body],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn load(c: &Connection, id: &str) -> Result<Option<BulkRun>> {
    let body: Option<String> =
        query_one(c, "SELECT body FROM bulk_runs WHERE id = ?1", [id], |row| row.get(0))?;
    let Some(body) = body else { return Ok(None) };
    let mut run: BulkRun = serde_json::from_str(&body).map_err(json_error)?;
    run.targets = query_bodies(c, "SELECT body FROM bulk_targets WHERE run_id = ?1 ORDER BY rowid", [id])?;
    Ok(Some(run))
}

/// Newest first.
pub(super) fn newest(c: &Connection, limit: usize) -> Result<Vec<BulkRun>> {
    let ids: Vec<String> = query_all(
        c,
        "SELECT id FROM bulk_runs ORDER BY created_at_ms DESC, rowid DESC LIMIT ?1",
        [limit as i64],
        |row| row.get(0),
    )?;
    ids.iter().filter_map(|id| load(c, id).transpose()).collect()
}

/// Runs whose stored outcome is still `running`, oldest first.
pub(super) fn unfinished(c: &Connection) -> Result<Vec<BulkRun>> {
    let ids: Vec<String> = query_all(
        c,
        "SELECT id FROM bulk_runs WHERE json_extract(body, '$.outcome') = 'running'
         ORDER BY created_at_ms, rowid",
        [],
        |row| row.get(0),
    )?;
    ids.iter().filter_map(|id| load(c, id).transpose()).collect()
}
