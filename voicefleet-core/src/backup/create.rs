//! One backup run: snapshot, seal, upload (archive first, manifest last), audit, then retention.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::key::{BackupKey, sha256_hex};
use super::manifest::{self, BackupManifest, FORMAT, KeptOutside};
use super::target::BackupTarget;
use super::{DATABASE_FILE, KEY_FILES, MASTER_KEY_FILE, OPTIONAL_KEY_FILES, seal, snapshot};
use crate::clock::SharedClock;
use crate::console::checkpoint::CHECKPOINT_FILE;
use crate::console::{AuditRecord, Store};
use crate::error::{Error, Result};

/// What to back up, where, and how long to keep backups.
#[derive(Clone)]
pub struct BackupOptions {
    /// The console's data directory (its store, its signing key pair).
    pub data_dir: PathBuf,
    /// The console's store, where the run is audited (the same database, open in this process).
    pub store: Arc<dyn Store>,
    /// Where the archive and its manifest are written.
    pub target: Arc<dyn BackupTarget>,
    /// The key the archive is encrypted with; a restore needs the same key.
    pub key: BackupKey,
    /// Remove backups older than this many days after a successful run (the newest is always
    /// kept).
    pub keep_days: Option<u32>,
    /// Who asked: `cli:USER`, `schedule`.
    pub actor: String,
    /// The console's audit checkpoint directory: its checkpoint file goes into the backup (the
    /// audit key needs no copy of its own: it is derived from the master key).
    pub checkpoints: Option<PathBuf>,
}

impl std::fmt::Debug for BackupOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupOptions")
            .field("data_dir", &self.data_dir)
            .field("target", &self.target)
            .field("key", &self.key)
            .field("keep_days", &self.keep_days)
            .finish_non_exhaustive()
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// What was written.
    pub manifest: BackupManifest,
    /// Where it was written ([`BackupTarget::describe`](crate::backup::BackupTarget::describe)).
    pub target: String,
    /// The backups retention removed.
    pub pruned: Vec<String>,
}

/// The master key's fingerprint (`sha256:` of its 64 hex digits, lower case).
pub(crate) fn master_key_fingerprint(text: &str) -> String {
    sha256_hex(format!("voicefleet-master-key:{}", text.trim().to_ascii_lowercase()).as_bytes())
}

fn master_key_note(data_dir: &std::path::Path) -> KeptOutside {
    let from_env = crate::secret_env::var("VOICEFLEET_MASTER_KEY");
    let from_file = std::fs::read_to_string(data_dir.join(MASTER_KEY_FILE)).ok();
    KeptOutside {
        file: MASTER_KEY_FILE.to_owned(),
        fingerprint: from_env.or(from_file).map(|text| master_key_fingerprint(&text)),
        note: "the master key that encrypts secrets and keys the audit chain is not in the backup: keep its own backup, and give it when restoring".to_owned(),
    }
}

/// Takes a backup of the console in `options.data_dir` into `options.target`, audits it, and
/// applies retention. A failure is audited too, and returned.
pub async fn backup(options: &BackupOptions, clock: &SharedClock) -> Result<BackupReport> {
    let result = run(options, clock).await;
    let (target, outcome) = match &result {
        Ok(report) => (report.manifest.name.clone(), "ok".to_owned()),
        Err(error) => (options.target.describe(), format!("failed: {error}")),
    };
    let record = AuditRecord {
        actor: options.actor.clone(),
        action: "console.backup".to_owned(),
        target,
        request_id: String::new(),
        outcome,
        at_ms: clock.now_ms(),
    };
    let audited = options.store.append_audit(record).await;
    let report = result?;
    audited?;
    let pruned = match options.keep_days {
        Some(days) => prune(options.target.as_ref(), days, clock.now_ms()).await?,
        None => Vec::new(),
    };
    Ok(BackupReport { pruned, ..report })
}

async fn run(options: &BackupOptions, clock: &SharedClock) -> Result<BackupReport> {
    let data_dir = options.data_dir.clone();
    let checkpoints = options.checkpoints.clone();
    let (snapshot, mut files) = tokio::task::spawn_blocking(move || {
        let mut files = BTreeMap::new();
        // Read before the snapshot, so every checkpoint in it is at or before the snapshot's head.
        if let Some(file) = checkpoints.map(|dir| dir.join(CHECKPOINT_FILE))
            && let Ok(contents) = std::fs::read(&file)
        {
            files.insert(CHECKPOINT_FILE.to_owned(), contents);
        }
        let snapshot = snapshot::take(&data_dir)?;
        for name in KEY_FILES {
            let path = data_dir.join(name);
            let contents =
                std::fs::read(&path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
            files.insert(name.to_owned(), contents);
        }
        for name in OPTIONAL_KEY_FILES {
            if let Ok(contents) = std::fs::read(data_dir.join(name)) {
                files.insert(name.to_owned(), contents);
            }
        }
        Ok::<_, Error>((snapshot, files))
    })
    .await
    .map_err(|e| Error::Internal { message: e.to_string() })??;
    let created_at_ms = clock.now_ms();
    let mut manifest = BackupManifest {
        format: FORMAT,
        name: manifest::name_at(created_at_ms),
        created_at_ms,
        voicefleet_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: snapshot.schema_version,
        files: std::iter::once(DATABASE_FILE.to_owned()).chain(files.keys().cloned()).collect(),
        audit_entries: snapshot.audit_entries,
        audit_head: snapshot.audit_head,
        backup_key_id: options.key.id(),
        database_sha256: sha256_hex(&snapshot.database),
        archive_bytes: 0,
        archive_sha256: String::new(),
        kept_outside: vec![master_key_note(&options.data_dir)],
    };
    manifest.files.sort();
    files.insert(DATABASE_FILE.to_owned(), snapshot.database);
    let key = options.key.clone();
    let associated_data = manifest.associated_data();
    let sealed = tokio::task::spawn_blocking(move || seal::seal(&files, &key, &associated_data))
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })??;
    manifest.archive_bytes = sealed.len() as u64;
    manifest.archive_sha256 = sha256_hex(&sealed);
    options.target.put(&manifest.archive_name(), sealed).await?;
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal { message: e.to_string() })?;
    options.target.put(&manifest.manifest_name(), text).await?;
    Ok(BackupReport { manifest, target: options.target.describe(), pruned: Vec::new() })
}

/// Removes the backups in `target` older than `keep_days` (manifest first, so a half-removed
/// backup is never listed); the newest backup is kept whatever its age. Returns their names.
pub async fn prune(target: &dyn BackupTarget, keep_days: u32, now_ms: u64) -> Result<Vec<String>> {
    let cutoff = now_ms.saturating_sub(u64::from(keep_days) * 86_400_000);
    let mut names: Vec<(u64, String)> = target
        .list()
        .await?
        .into_iter()
        .filter_map(|object| object.strip_suffix(manifest::MANIFEST_SUFFIX).map(str::to_owned))
        .filter_map(|name| Some((manifest::time_of(&name)?, name)))
        .collect();
    names.sort();
    names.pop(); // the newest stays
    let mut pruned = Vec::new();
    for (at_ms, name) in names {
        if at_ms < cutoff {
            target.delete(&format!("{name}{}", manifest::MANIFEST_SUFFIX)).await?;
            target.delete(&format!("{name}{}", manifest::ARCHIVE_SUFFIX)).await?;
            pruned.push(name);
        }
    }
    Ok(pruned)
}
