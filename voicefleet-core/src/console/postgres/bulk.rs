//! Bulk runs: the run's header and one row per target.

use tokio_postgres::{GenericClient, Transaction};

use super::{Client, bodies, db_error, int, json_error, prepared};
use crate::console::bulk::{BulkRun, TargetResult};
use crate::error::Result;

/// Saves the run's header (without targets) and each target, replacing what was stored.
pub(super) async fn save(tx: &Transaction<'_>, run: &BulkRun) -> Result<()> {
    let mut header = run.clone();
    header.targets.clear();
    let header = serde_json::to_string(&header).map_err(json_error)?;
    tx.execute(
        "INSERT INTO bulk_runs (id, body, created_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body",
        &[&run.id, &header, &int(run.created_at_ms)],
    )
    .await
    .map_err(db_error)?;
    for target in &run.targets {
        save_target(tx, &run.id, target).await?;
    }
    Ok(())
}

/// Stores one target's result in place of its earlier one (its position in the run is kept).
pub(super) async fn save_target(c: &impl GenericClient, run_id: &str, result: &TargetResult) -> Result<()> {
    let body = serde_json::to_string(result).map_err(json_error)?;
    c.execute(
        "INSERT INTO bulk_targets (run_id, customer_id, body) VALUES ($1, $2, $3)
         ON CONFLICT (run_id, customer_id) DO UPDATE SET body = excluded.body",
        &[&run_id, &result.customer_id, &body],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn load(c: &impl GenericClient, id: &str) -> Result<Option<BulkRun>> {
    let Some(row) =
        c.query_opt("SELECT body FROM bulk_runs WHERE id = $1", &[&id]).await.map_err(db_error)?
    else {
        return Ok(None);
    };
    let mut run: BulkRun = serde_json::from_str(row.get::<_, &str>(0)).map_err(json_error)?;
    let targets = c
        .query("SELECT body FROM bulk_targets WHERE run_id = $1 ORDER BY row_order", &[&id])
        .await
        .map_err(db_error)?;
    run.targets = bodies(&targets)?;
    Ok(Some(run))
}

async fn load_all(c: &Client, ids: Vec<String>) -> Result<Vec<BulkRun>> {
    let mut runs = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(run) = load(&**c, &id).await? {
            runs.push(run);
        }
    }
    Ok(runs)
}

/// Newest first.
pub(super) async fn newest(c: &Client, limit: usize) -> Result<Vec<BulkRun>> {
    let rows = c
        .query(
            &prepared(c, "SELECT id FROM bulk_runs ORDER BY created_at_ms DESC, row_order DESC LIMIT $1")
                .await?,
            &[&int(limit as u64)],
        )
        .await
        .map_err(db_error)?;
    load_all(c, rows.iter().map(|row| row.get(0)).collect()).await
}

/// Runs whose stored outcome is still `running`, oldest first.
pub(super) async fn unfinished(c: &Client) -> Result<Vec<BulkRun>> {
    let rows = c
        .query(&prepared(c, "SELECT id FROM bulk_runs WHERE body::jsonb ->> 'outcome' = 'running' ORDER BY created_at_ms, row_order").await?,
            &[],
        )
        .await
        .map_err(db_error)?;
    load_all(c, rows.iter().map(|row| row.get(0)).collect()).await
}
