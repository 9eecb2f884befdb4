//! Restoring a backup into a new data directory. Everything is checked before the directory
//! appears: the archive's hash, the key, the schema version, the database's hash, its audit
//! chain against the manifest's head, and the master key when one is given. The files are
//! assembled in a scratch directory beside the new one and renamed into place last, with the
//! restore recorded as an audit entry, so a refused restore leaves nothing behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use super::create::master_key_fingerprint;
use super::key::{BackupKey, decode, sha256_hex};
use super::manifest::{BackupManifest, list};
use super::target::BackupTarget;
use super::{DATABASE_FILE, MASTER_KEY_FILE, seal, snapshot};
use crate::clock::SharedClock;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;

use crate::console::checkpoint::{self, CHECKPOINT_FILE, Checkpoint};
use crate::console::{AuditKey, AuditRecord, SCHEMA_VERSION, SecretBox, SqliteStore, Store as _, audit};
use crate::error::{Error, Result};
use crate::remedy::Remedy;

/// Which backup, from where, into where.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Where the backups are.
    pub target: Arc<dyn BackupTarget>,
    /// A backup's name; `None`: the newest in the target.
    pub name: Option<String>,
    /// The key the backup was encrypted with ([`BackupManifest::backup_key_id`] names it).
    pub key: BackupKey,
    /// The new data directory: absent or empty.
    pub data_dir: PathBuf,
    /// The master key's backup, copied into the new directory once it matches the manifest's
    /// fingerprint and opens a stored secret.
    pub master_key: Option<PathBuf>,
    /// The restored console's audit checkpoint directory (default: `VOICEFLEET_AUDIT_CHECKPOINTS`,
    /// else `DATA/audit-checkpoints`), where the restore's anchor is written.
    pub checkpoints: Option<PathBuf>,
    /// Who is restoring, for the restored console's audit log.
    pub actor: String,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The manifest of the backup restored.
    pub manifest: BackupManifest,
    /// The data directory written.
    pub data_dir: PathBuf,
    /// Entries in the restored audit log, the restore's own entry included.
    pub audit_entries: u64,
    /// Whether the master key file given in [`RestoreOptions::master_key`] was checked against the
    /// backup and written into the data directory.
    pub master_key_restored: bool,
    /// The checkpoint file the restore's anchor was appended to.
    pub checkpoint_file: PathBuf,
}

fn refused(message: String, hint: &str) -> Error {
    Error::conflict(message, Some(hint))
}

fn blocked(message: String, remedy: Remedy) -> Error {
    Error::blocked(message, remedy)
}

/// Restores a backup into `options.data_dir`.
pub async fn restore(options: &RestoreOptions, clock: &SharedClock) -> Result<RestoreReport> {
    check_new_dir(&options.data_dir)?;
    let manifest = match &options.name {
        Some(name) => {
            let object = format!("{name}{}", super::manifest::MANIFEST_SUFFIX);
            BackupManifest::parse(&object, &options.target.get(&object).await?)?
        }
        None => list(options.target.as_ref())
            .await?
            .pop()
            .ok_or_else(|| Error::BackupNotFound { target: options.target.describe(), name: None })?,
    };
    if manifest.schema_version > SCHEMA_VERSION {
        return Err(refused(
            format!(
                "backup {} is schema version {}, newer than this voicefleet's {SCHEMA_VERSION}",
                manifest.name, manifest.schema_version
            ),
            &format!("restore it with voicefleet {} or newer", manifest.voicefleet_version),
        ));
    }
    if manifest.backup_key_id != options.key.id() {
        return Err(blocked(
            format!(
                "backup {} was sealed with backup key {}, not with the given key {}",
                manifest.name,
                manifest.backup_key_id,
                options.key.id()
            ),
            Remedy::GiveBackupKey,
        ));
    }
    let sealed = options.target.get(&manifest.archive_name()).await?;
    if sha256_hex(&sealed) != manifest.archive_sha256 {
        return Err(refused(
            format!(
                "backup {}'s archive does not match its manifest's hash: it is incomplete or altered",
                manifest.name
            ),
            "restore another of the target's backups",
        ));
    }
    let audit_key = audit_key(options, &manifest)?;
    let staging_options = options.clone();
    let staged_manifest = manifest.clone();
    let staged_key = audit_key.clone();
    let (staging, master_key_restored) = tokio::task::spawn_blocking(move || {
        stage(&staging_options, &staged_manifest, &sealed, staged_key.as_ref())
    })
    .await
    .map_err(|e| Error::Internal { message: e.to_string() })??;
    // Open as the console would (migrations bring an older schema up to date) and record the
    // restore in the restored chain.
    let mut store = SqliteStore::open(&staging.path().join(DATABASE_FILE))?;
    if let Some(key) = audit_key {
        store = store.with_audit_key(key);
    }
    let entry = store
        .append_audit(AuditRecord {
            actor: options.actor.clone(),
            action: "console.restore".to_owned(),
            target: manifest.name.clone(),
            request_id: String::new(),
            outcome: format!("ok: {} audit entries, head {}", manifest.audit_entries, manifest.audit_head),
            at_ms: clock.now_ms(),
        })
        .await?;
    drop(store);
    let data_dir = options.data_dir.clone();
    tokio::task::spawn_blocking(move || move_into_place(staging, &data_dir))
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })??;
    let checkpoint_dir =
        options.checkpoints.clone().unwrap_or_else(|| checkpoint::default_dir(&options.data_dir));
    let note = format!("restore of {} (backup head entry {})", manifest.name, manifest.audit_entries);
    let (data_dir, restored_head, at_ms) = (options.data_dir.clone(), manifest.audit_entries, clock.now_ms());
    let anchored = entry.clone();
    let checkpoint_file = tokio::task::spawn_blocking(move || {
        anchor(&data_dir, &checkpoint_dir, (&anchored, restored_head), at_ms, &note)
    })
    .await
    .map_err(|e| Error::Internal { message: e.to_string() })??;
    Ok(RestoreReport {
        manifest,
        data_dir: options.data_dir.clone(),
        audit_entries: entry.seq,
        master_key_restored,
        checkpoint_file,
    })
}

/// The audit key of the master key the restore was given (`--master-key`, else
/// `VOICEFLEET_MASTER_KEY`), if any, once it matches the backup's master key fingerprint.
fn audit_key(options: &RestoreOptions, manifest: &BackupManifest) -> Result<Option<AuditKey>> {
    let text = match &options.master_key {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read the master key {}", path.display()), e))?,
        None => match crate::secret_env::var("VOICEFLEET_MASTER_KEY") {
            Some(text) => text,
            None => return Ok(None),
        },
    };
    let key = decode(&text).ok_or_else(|| Error::InvalidValue {
        value: options
            .master_key
            .as_ref()
            .map_or("VOICEFLEET_MASTER_KEY".to_owned(), |p| p.display().to_string()),
        reason: "a master key holds 64 hexadecimal digits (32 bytes)".to_owned(),
    })?;
    let recorded = manifest
        .kept_outside
        .iter()
        .find(|kept| kept.file == MASTER_KEY_FILE)
        .and_then(|kept| kept.fingerprint.clone());
    if let Some(recorded) = recorded
        && recorded != master_key_fingerprint(&text)
    {
        let given = options
            .master_key
            .as_ref()
            .map_or("VOICEFLEET_MASTER_KEY".to_owned(), |p| p.display().to_string());
        return Err(blocked(
            format!("{given} is not the master key backup {} was taken with", manifest.name),
            Remedy::GiveMasterKey,
        ));
    }
    Ok(Some(AuditKey::derive(&key)))
}

/// Re-anchors the audit checkpoints on the restored head: the backup's checkpoints go into the
/// checkpoint directory when it has none (a new machine), then a signed anchor at the restore's
/// entry that names the backup's head, so checkpoints of history after the backup (which the
/// restore replaced) are not read as a truncation. Returns the checkpoint file.
fn anchor(
    data_dir: &Path,
    checkpoint_dir: &Path,
    (entry, restored_head): (&crate::console::AuditEntry, u64),
    at_ms: u64,
    note: &str,
) -> Result<PathBuf> {
    let file = checkpoint_dir.join(CHECKPOINT_FILE);
    let carried = data_dir.join(CHECKPOINT_FILE);
    if carried.exists() {
        if !file.exists() {
            std::fs::create_dir_all(checkpoint_dir)
                .map_err(|e| Error::io(format!("cannot create {}", checkpoint_dir.display()), e))?;
            let contents = std::fs::read(&carried)
                .map_err(|e| Error::io(format!("cannot read {}", carried.display()), e))?;
            crate::fs::write_atomic(&file, &contents, 0o600)
                .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
        }
        std::fs::remove_file(&carried)
            .map_err(|e| Error::io(format!("cannot remove {}", carried.display()), e))?;
    }
    let signing = signing_key(data_dir)?;
    let anchor = checkpoint::sign(
        Checkpoint {
            seq: entry.seq,
            hash: entry.hash.clone(),
            at_ms,
            note: note.to_owned(),
            restored_from: Some(restored_head),
            key: String::new(),
            signature: String::new(),
        },
        &signing,
    );
    checkpoint::append_line(&file, &anchor)?;
    Ok(file)
}

/// The console's signing key in `dir` (`console.key`, PKCS#8 PEM).
fn signing_key(dir: &Path) -> Result<SigningKey> {
    let path = dir.join("console.key");
    let pem = std::fs::read_to_string(&path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| Error::InvalidValue {
        value: path.display().to_string(),
        reason: format!("not an Ed25519 PKCS#8 PEM key: {e}"),
    })
}

fn check_new_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            Some(_) => Err(refused(
                format!("{} is not empty", dir.display()),
                "restore into a new directory, then point the console at it",
            )),
            None => Ok(()),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(Error::io(format!("cannot read {}", dir.display()), error)),
    }
}

/// Opens and checks the archive and writes its files into a scratch directory beside the new
/// one; returns it with whether the master key was restored.
fn stage(
    options: &RestoreOptions,
    manifest: &BackupManifest,
    sealed: &[u8],
    audit_key: Option<&AuditKey>,
) -> Result<(tempfile::TempDir, bool)> {
    let files = seal::open(sealed, &options.key, &manifest.associated_data(), &manifest.name)?;
    let names: Vec<String> = files.keys().cloned().collect();
    if names != manifest.files {
        return Err(refused(
            format!("backup {} holds {names:?}, its manifest says {:?}", manifest.name, manifest.files),
            "restore another backup",
        ));
    }
    let database = &files[DATABASE_FILE];
    if sha256_hex(database) != manifest.database_sha256 {
        return Err(refused(
            format!("backup {}'s database does not match its manifest's hash", manifest.name),
            "restore another backup",
        ));
    }
    let parent = options.data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
    let staging = tempfile::Builder::new()
        .prefix(".voicefleet-restoring-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(format!("cannot make a scratch directory in {}", parent.display()), e))?;
    for (name, contents) in &files {
        crate::fs::write_atomic(&staging.path().join(name), contents, 0o600)
            .map_err(|e| Error::io(format!("cannot write {name}"), e))?;
    }
    let db_path = staging.path().join(DATABASE_FILE);
    verify_database(staging.path(), manifest, audit_key)?;
    let master_key_restored = match &options.master_key {
        Some(path) => {
            restore_master_key(path, manifest, &db_path, &staging.path().join(MASTER_KEY_FILE))?;
            true
        }
        None => false,
    };
    Ok((staging, master_key_restored))
}

/// Renames the checked scratch directory to the new data directory.
fn move_into_place(staging: tempfile::TempDir, data_dir: &Path) -> Result<()> {
    check_new_dir(data_dir)?;
    if data_dir.exists() {
        std::fs::remove_dir(data_dir)
            .map_err(|e| Error::io(format!("cannot replace the empty {}", data_dir.display()), e))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, data_dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        Error::io(format!("cannot move the restored files into {}", data_dir.display()), e)
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

fn db_error(error: rusqlite::Error) -> Error {
    Error::Internal { message: format!("restored database: {error}") }
}

/// The database is whole, and its audit chain is intact up to the manifest's head (keyed entries
/// checked with the audit key, which a chain that has them requires) and reaches the
/// checkpoints the backup carries.
fn verify_database(dir: &Path, manifest: &BackupManifest, audit_key: Option<&AuditKey>) -> Result<()> {
    let connection = Connection::open(dir.join(DATABASE_FILE)).map_err(db_error)?;
    let integrity: String =
        connection.query_row("PRAGMA integrity_check", [], |row| row.get(0)).map_err(db_error)?;
    if integrity != "ok" {
        return Err(refused(
            format!("backup {}'s database is damaged: {integrity}", manifest.name),
            "restore another backup",
        ));
    }
    let (schema_version, entries, head) = snapshot::facts(&connection)?;
    if (schema_version, entries, head.as_str())
        != (manifest.schema_version, manifest.audit_entries, manifest.audit_head.as_str())
    {
        return Err(refused(
            format!(
                "backup {}'s database does not match its manifest (schema, audit entries or head)",
                manifest.name
            ),
            "restore another backup",
        ));
    }
    let chain = crate::console::audit_chain(&connection)?;
    if audit_key.is_none() && chain.iter().any(|entry| audit::is_keyed(&entry.hash)) {
        return Err(Error::Incomplete {
            message: format!(
                "backup {}'s audit log is chained with the audit key, derived from the master key: the restore \
                 needs the master key (its own backup file, or VOICEFLEET_MASTER_KEY) to verify it and record itself",
                manifest.name
            ),
            remedy: Remedy::GiveMasterKey,
        });
    }
    let mut verification = audit::verify(&chain, audit_key);
    let carried = dir.join(CHECKPOINT_FILE);
    if verification.ok && carried.exists() {
        let mut trusted = vec![signing_key(dir)?.verifying_key()];
        trusted.extend(checkpoint::previous_keys(dir));
        verification =
            checkpoint::check(verification, &chain, checkpoint::read(&carried, &trusted), &carried);
    }
    if !verification.ok {
        return Err(refused(
            format!(
                "backup {}'s audit chain is broken at entry {}: {}",
                manifest.name,
                verification.first_broken_seq.unwrap_or_default(),
                verification.reason.unwrap_or_default()
            ),
            "restore an older backup, taken before the chain was altered",
        ));
    }
    Ok(())
}

/// Checks the given master key against the manifest and a stored secret, then copies it.
fn restore_master_key(from: &Path, manifest: &BackupManifest, database: &Path, to: &Path) -> Result<()> {
    let text = std::fs::read_to_string(from)
        .map_err(|e| Error::io(format!("cannot read the master key {}", from.display()), e))?;
    let key = decode(&text).ok_or_else(|| Error::InvalidValue {
        value: from.display().to_string(),
        reason: "a master key file holds 64 hexadecimal digits (32 bytes)".to_owned(),
    })?;
    let recorded = manifest
        .kept_outside
        .iter()
        .find(|kept| kept.file == MASTER_KEY_FILE)
        .and_then(|kept| kept.fingerprint.clone());
    if let Some(recorded) = recorded
        && recorded != master_key_fingerprint(&text)
    {
        return Err(blocked(
            format!("{} is not the master key backup {} was taken with", from.display(), manifest.name),
            Remedy::GiveMasterKey,
        ));
    }
    let connection = Connection::open(database).map_err(db_error)?;
    let sample: Option<(String, String, Vec<u8>, Vec<u8>)> = connection
        .query_row("SELECT customer_id, name, nonce, ciphertext FROM secrets LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .map(Some)
        .or_else(|error| if error == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(error) })
        .map_err(db_error)?;
    if let Some((customer, name, nonce, ciphertext)) = sample {
        SecretBox::new(&key).open(&customer, &name, &nonce, &ciphertext).map_err(|_| {
            blocked(format!("{} does not open the backup's secrets", from.display()), Remedy::GiveMasterKey)
        })?;
    }
    crate::fs::write_atomic(to, format!("{}\n", text.trim()).as_bytes(), 0o600)
        .map_err(|e| Error::io("cannot write the master key", e))
}
