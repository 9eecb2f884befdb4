//! Where the console keeps its data (`console serve --store`, `console migrate --from/--to`):
//! the embedded SQLite database of a data directory (the default), or a PostgreSQL server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::audit::AuditKey;
use super::store::Store;
use crate::error::{Error, Result};

/// The file of the embedded store in a data directory.
pub const SQLITE_FILE: &str = "console.db";

/// A store's location.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// `sqlite:DIR`: `console.db` in the data directory DIR.
    Sqlite(PathBuf),
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (the password may come from
    /// `VOICEFLEET_STORE_PASSWORD` or `PGPASSWORD` instead).
    Postgres(String),
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl StoreLocation {
    /// Reads `sqlite:DIR` or `postgres://…` (`postgresql://` too).
    pub fn parse(text: &str) -> Result<StoreLocation> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(StoreLocation::Postgres(text.to_owned()));
        }
        if let Some(dir) = text.strip_prefix("sqlite:") {
            if dir.is_empty() {
                return Err(Error::InvalidValue {
                    value: text.to_owned(),
                    reason: "name the data directory: sqlite:/var/lib/voicefleet".to_owned(),
                });
            }
            return Ok(StoreLocation::Sqlite(PathBuf::from(dir)));
        }
        Err(Error::InvalidValue {
            value: redact(text),
            reason: "a store is sqlite:DATA_DIR or postgres://USER:PASSWORD@HOST:PORT/DATABASE".to_owned(),
        })
    }

    /// The location without a password, for messages.
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Sqlite(dir) => format!("sqlite:{}", dir.display()),
            StoreLocation::Postgres(url) => redact(url),
        }
    }

    /// Whether this is the embedded store of `data_dir`.
    pub fn is_embedded_in(&self, data_dir: &Path) -> bool {
        matches!(self, StoreLocation::Sqlite(dir) if dir == data_dir)
    }

    /// Opens (creating and migrating) the store; new audit entries are chained with `key`.
    pub async fn open(&self, key: AuditKey) -> Result<Arc<dyn Store>> {
        match self {
            #[cfg(feature = "sqlite")]
            StoreLocation::Sqlite(dir) => {
                Ok(Arc::new(super::SqliteStore::open(&dir.join(SQLITE_FILE))?.with_audit_key(key)))
            }
            #[cfg(not(feature = "sqlite"))]
            StoreLocation::Sqlite(_) => {
                let _ = key;
                Err(Error::Unavailable {
                    message: "this voicefleet was built without the SQLite store (feature `sqlite`)"
                        .to_owned(),
                })
            }
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => {
                Ok(Arc::new(super::PostgresStore::connect(url).await?.with_audit_key(key)))
            }
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(_) => {
                let _ = key;
                Err(Error::Unavailable {
                    message: "this voicefleet was built without PostgreSQL support: use the released \
                              `voicefleet` binary, or build it with `--features postgres`"
                        .to_owned(),
                })
            }
        }
    }
}

/// `text` with the password of a URL in it replaced.
fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => text.split('@').next_back().map(|rest| format!("…@{rest}")).unwrap_or_default(),
    }
}
