//! Where backups live: a directory, or S3 (`s3://bucket/prefix`, feature `aws`). A target
//! stores whole objects by name; it knows nothing of what they hold.

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A place that keeps backup objects.
#[async_trait::async_trait]
pub trait BackupTarget: Send + Sync + std::fmt::Debug {
    /// How to name it to the user (`/var/backups/voicefleet`, `s3://bucket/prefix`).
    fn describe(&self) -> String;
    /// Writes object `name`, replacing one of the same name.
    async fn put(&self, name: &str, contents: Vec<u8>) -> Result<()>;
    /// Not found is an error that names the object.
    async fn get(&self, name: &str) -> Result<Vec<u8>>;
    /// The names of the objects there.
    async fn list(&self) -> Result<Vec<String>>;
    /// Deletes object `name`.
    async fn delete(&self, name: &str) -> Result<()>;
}

/// Backups in a local directory (created 0700 on the first backup; objects written 0600,
/// atomically).
#[derive(Debug, Clone)]
pub struct DirTarget {
    dir: PathBuf,
}

impl DirTarget {
    /// A target that keeps backups as files in `dir` (created on the first write).
    pub fn new(dir: PathBuf) -> DirTarget {
        DirTarget { dir }
    }
}

fn object_path(dir: &std::path::Path, name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(Error::InvalidValue {
            value: name.to_owned(),
            reason: "not a backup object name".to_owned(),
        });
    }
    Ok(dir.join(name))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Internal { message: e.to_string() })?
}

#[async_trait::async_trait]
impl BackupTarget for DirTarget {
    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    async fn put(&self, name: &str, contents: Vec<u8>) -> Result<()> {
        let path = object_path(&self.dir, name)?;
        let dir = self.dir.clone();
        blocking(move || {
            if !dir.exists() {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    Error::io(format!("cannot create the backup directory {}", dir.display()), e)
                })?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
                }
            }
            crate::fs::write_atomic(&path, &contents, 0o600)
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
        })
        .await
    }

    async fn get(&self, name: &str) -> Result<Vec<u8>> {
        let path = object_path(&self.dir, name)?;
        let (target, name) = (self.describe(), name.to_owned());
        blocking(move || {
            std::fs::read(&path).map_err(|error| {
                if error.kind() == std::io::ErrorKind::NotFound {
                    Error::BackupNotFound { target, name: Some(name) }
                } else {
                    Error::io(format!("cannot read {}", path.display()), error)
                }
            })
        })
        .await
    }

    async fn list(&self) -> Result<Vec<String>> {
        let dir = self.dir.clone();
        blocking(move || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(error) => return Err(Error::io(format!("cannot list {}", dir.display()), error)),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
                if let Some(name) = entry.file_name().to_str() {
                    names.push(name.to_owned());
                }
            }
            Ok(names)
        })
        .await
    }

    async fn delete(&self, name: &str) -> Result<()> {
        let path = object_path(&self.dir, name)?;
        blocking(move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(Error::io(format!("cannot remove {}", path.display()), error)),
        })
        .await
    }
}

/// The target a user named: `s3://bucket/prefix` or a directory.
pub fn open_target(spec: &str) -> Result<Arc<dyn BackupTarget>> {
    if let Some(rest) = spec.strip_prefix("s3://") {
        #[cfg(feature = "aws")]
        {
            return Ok(Arc::new(super::s3::S3Target::from_spec(rest)?));
        }
        #[cfg(not(feature = "aws"))]
        {
            let _ = rest;
            return Err(Error::InvalidValue {
                value: spec.to_owned(),
                reason: "this voicefleet was built without S3 support: use a build with the cargo feature `aws` (the released packages have it)".to_owned(),
            });
        }
    }
    if spec.is_empty() || spec.contains("://") {
        return Err(Error::InvalidValue {
            value: spec.to_owned(),
            reason: "give a directory or s3://bucket/prefix".to_owned(),
        });
    }
    Ok(Arc::new(DirTarget::new(PathBuf::from(spec))))
}

/// Splits `TARGET/NAME` into the target and the backup name when the last part is a backup's
/// name; otherwise the whole is a target (and the latest backup there is meant).
pub fn split_backup_ref(reference: &str) -> (String, Option<String>) {
    let trimmed = reference.trim_end_matches('/');
    let trimmed = trimmed.strip_suffix(super::manifest::MANIFEST_SUFFIX).unwrap_or(trimmed);
    if let Some((target, last)) = trimmed.rsplit_once('/')
        && super::manifest::time_of(last).is_some()
    {
        return (target.to_owned(), Some(last.to_owned()));
    }
    (reference.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_names_a_target_and_maybe_one_backup() {
        let check = |reference: &str, target: &str, name: Option<&str>| {
            assert_eq!(
                split_backup_ref(reference),
                (target.to_owned(), name.map(str::to_owned)),
                "{reference}"
            );
        };
        check("/var/backups/voicefleet", "/var/backups/voicefleet", None);
        check("/b/voicefleet-20261126T173339123Z", "/b", Some("voicefleet-20261126T173339123Z"));
        check(
            "/b/voicefleet-20261126T173339123Z.manifest.json",
            "/b",
            Some("voicefleet-20261126T173339123Z"),
        );
        check(
            "s3://bucket/console/voicefleet-20261126T173339123Z",
            "s3://bucket/console",
            Some("voicefleet-20261126T173339123Z"),
        );
        check("s3://bucket/console", "s3://bucket/console", None);
    }
}
