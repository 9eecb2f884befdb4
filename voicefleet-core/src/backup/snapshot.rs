//! A consistent snapshot of the store while the console runs: SQLite's online backup API copies
//! the database page by page from a connection of its own (WAL: the console keeps writing), into
//! a scratch file beside it that is read and removed.

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use crate::console::audit::GENESIS;
use crate::error::{Error, Result};

/// The snapshot and what the manifest says of it.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) database: Vec<u8>,
    pub(crate) schema_version: u32,
    pub(crate) audit_entries: u64,
    pub(crate) audit_head: String,
}

fn db(context: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |error| Error::Internal { message: format!("{context}: {error}") }
}

/// The facts a manifest records and a restore checks, read from a database.
pub(crate) fn facts(connection: &Connection) -> Result<(u32, u64, String)> {
    let schema_version: u32 =
        connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(db("schema version"))?;
    let (entries, head): (u64, Option<String>) = connection
        .query_row(
            "SELECT COUNT(*), (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1) FROM audit",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(db("audit head"))?;
    Ok((schema_version, entries, head.unwrap_or_else(|| GENESIS.to_owned())))
}

/// Snapshots `data_dir/console.db` (blocking: call it off the async threads).
pub(crate) fn take(data_dir: &Path) -> Result<Snapshot> {
    let path = data_dir.join(super::DATABASE_FILE);
    if !path.is_file() {
        return Err(Error::InvalidValue {
            value: data_dir.display().to_string(),
            reason: format!(
                "no console store ({}) there: give the console's data directory",
                super::DATABASE_FILE
            ),
        });
    }
    let source = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db("cannot open the store"))?;
    source.busy_timeout(Duration::from_secs(5)).map_err(db("busy timeout"))?;
    let scratch = tempfile::Builder::new()
        .prefix(".backup-")
        .tempfile_in(data_dir)
        .map_err(|e| Error::io(format!("cannot make a scratch file in {}", data_dir.display()), e))?;
    {
        let mut copy = Connection::open(scratch.path()).map_err(db("scratch database"))?;
        let backup = Backup::new(&source, &mut copy).map_err(db("online backup"))?;
        // Pages in steps, so the console's writers are never held up for long.
        backup.run_to_completion(1024, Duration::from_millis(0), None).map_err(db("online backup"))?;
        drop(backup);
        // One file, no journal to carry along.
        copy.pragma_update(None, "journal_mode", "DELETE").map_err(db("scratch database"))?;
        let (schema_version, audit_entries, audit_head) = facts(&copy)?;
        drop(copy);
        let database = std::fs::read(scratch.path()).map_err(|e| Error::io("cannot read the snapshot", e))?;
        Ok(Snapshot { database, schema_version, audit_entries, audit_head })
    }
}
