//! Console backups and restores (feature `sqlite`).
//!
//! A backup is two objects in a target (a directory, or S3 with the `aws` feature):
//! `NAME.backup`, the sealed archive, and `NAME.manifest.json`, written last, which says what is
//! in it. The archive holds a consistent snapshot of the store taken with SQLite's online backup
//! while the console runs, and the console's signing key pair (so a restored console is trusted
//! by the existing hosts); it is compressed (zstd) and encrypted with XChaCha20-Poly1305 under
//! the **backup key**, which is neither in the database nor in the backup. The master key that
//! encrypts secrets is not in the backup either: the manifest names it by fingerprint, and it is
//! backed up separately (docs/operations.md).
//!
//! A restore verifies before it writes anything: the archive's hash, the key, the schema version
//! (a newer one is refused), the database's hash and its audit chain against the head the
//! manifest recorded; then it fills the new data directory and records the restore as an audit
//! entry.
//!
//! `key.rs` the backup key; `manifest.rs` names and the manifest; `seal.rs` archive,
//! compression and encryption; `snapshot.rs` the online snapshot; `target.rs` where backups
//! live (`s3.rs` with `aws`); `create.rs` a backup run with retention; `restore.rs` the restore;
//! `schedule.rs` the scheduled runs of `console serve`.

mod create;
mod key;
mod manifest;
mod restore;
#[cfg(feature = "aws")]
mod s3;
mod schedule;
mod seal;
mod snapshot;
mod target;

pub use create::{BackupOptions, BackupReport, backup, prune};
pub use key::{BackupKey, BackupKeySource};
pub use manifest::{BackupManifest, KeptOutside, list};
pub use restore::{RestoreOptions, RestoreReport, restore};
pub use schedule::{BACKUP_ALERT_SUBJECT, ScheduleOptions, spawn_schedule};
pub use target::{BackupTarget, DirTarget, open_target, split_backup_ref};

/// The files of a data directory that a backup carries besides the store: the signing key pair.
pub(crate) const KEY_FILES: [&str; 2] = ["console.key", "console.pub.pem"];
/// Carried when present: the public keys a rotation replaced (their audit checkpoints' signers).
pub(crate) const OPTIONAL_KEY_FILES: [&str; 1] = [crate::console::checkpoint::PREVIOUS_KEYS_FILE];
/// The store's file in a data directory.
pub(crate) const DATABASE_FILE: &str = "console.db";
/// The master key's file in a data directory (never in a backup).
pub(crate) const MASTER_KEY_FILE: &str = "master.key";
