//! [`Console::open_sqlite`]: a console over a SQLite data directory in one call, its options
//! explicit (no user is created and the environment is not read unless asked).
//!
//! The data directory holds `console.db`, `master.key` (the key that seals secrets, unless it
//! comes from the environment), `console.key` and `console.pub.pem` (the signing key, see
//! [`load_or_create_signing_key`]) and `audit-checkpoints/`.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::keyfile::{create_data_dir, load_or_create_signing_key};
use super::{
    Accounts, AlertNotifier, CheckpointLog, Console, ConsoleOptions, HostConnector, KeySource, SecretBox,
};
use super::{SQLITE_FILE, SqliteStore, Store, StoreLocation, checkpoint, replicas};
use crate::error::{Error, Result};

/// A console opened by [`Console::open_sqlite`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OpenedConsole {
    /// The fleet (implements [`super::Fleet`]).
    pub console: Arc<Console>,
    /// Console users: logins, tokens, second factors.
    pub accounts: Accounts,
    /// Where the master key came from.
    pub key_source: KeySource,
    /// The first admin's name and generated password, when this open created them (the
    /// password is empty when it was given).
    pub first_admin: Option<(String, String)>,
    /// The file of signed audit checkpoints.
    pub checkpoint_file: PathBuf,
}

/// The open of a SQLite console; made by [`Console::open_sqlite`], run by `.await`.
#[must_use = "the console opens when this is awaited"]
pub struct OpenSqlite {
    dir: PathBuf,
    connector: Arc<dyn HostConnector>,
    first_admin: Option<(String, Option<String>)>,
    master_key_from_env: bool,
    checkpoint_dir: Option<PathBuf>,
    store: Option<StoreLocation>,
    options: ConsoleOptions,
}

impl std::fmt::Debug for OpenSqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenSqlite").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Console {
    /// Opens (creating) a console whose store, keys and audit checkpoints live in `dir`, reaching
    /// hosts through `connector` (`voicefleet_http::AgentConnector` over HTTP). Options are set
    /// on the returned value before it is awaited:
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # async fn run(connector: Arc<dyn voicefleet_core::console::HostConnector>) -> voicefleet_core::Result<()> {
    /// use voicefleet_core::console::Console;
    ///
    /// let opened = Console::open_sqlite("/var/lib/console", connector)
    ///     .first_admin("admin", None) // a generated password, returned once
    ///     .master_key_from_env()      // VOICEFLEET_MASTER_KEY, else DIR/master.key
    ///     .await?;
    /// if let Some((name, password)) = &opened.first_admin {
    ///     println!("log in as {name} with {password}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn open_sqlite(dir: impl Into<PathBuf>, connector: Arc<dyn HostConnector>) -> OpenSqlite {
        OpenSqlite {
            dir: dir.into(),
            connector,
            first_admin: None,
            master_key_from_env: false,
            checkpoint_dir: None,
            store: None,
            options: ConsoleOptions::default(),
        }
    }
}

impl OpenSqlite {
    /// Creates the admin `name` when the console has no user yet, with `password`, or a
    /// generated one (returned in [`OpenedConsole::first_admin`]). Without this, no user is
    /// created.
    pub fn first_admin(mut self, name: impl Into<String>, password: Option<String>) -> Self {
        self.first_admin = Some((name.into(), password));
        self
    }

    /// Takes the master key from `VOICEFLEET_MASTER_KEY` when it is set (64 hex digits), else
    /// from `DIR/master.key`. Without this, only the file is used (created when absent).
    pub fn master_key_from_env(mut self) -> Self {
        self.master_key_from_env = true;
        self
    }

    /// Writes the signed audit checkpoints to `dir` (default `DIR/audit-checkpoints`).
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Sets the longest wait for one host's answer (default 3 s).
    pub fn host_timeout(mut self, timeout: Duration) -> Self {
        self.options.host_timeout = timeout;
        self
    }

    /// Sends alert notifications to `notifier`.
    pub fn notifier(mut self, notifier: Arc<dyn AlertNotifier>) -> Self {
        self.options.notifier = Some(notifier);
        self
    }

    /// Keeps the console's records in `location` (a PostgreSQL server, with the `postgres`
    /// feature) instead of `DIR/console.db`; the keys and the audit checkpoints stay in `DIR`.
    pub fn store(mut self, location: StoreLocation) -> Self {
        self.store = Some(location);
        self
    }

    /// Sets every console option at once (the checkpoint log is still the one of
    /// [`OpenSqlite::checkpoint_dir`]).
    pub fn options(mut self, options: ConsoleOptions) -> Self {
        self.options = options;
        self
    }

    async fn open(self) -> Result<OpenedConsole> {
        let dir = self.dir;
        if let Some((name, _)) = &self.first_admin
            && name.trim().is_empty()
        {
            return Err(Error::InvalidValue {
                value: "an empty first admin name".to_owned(),
                reason: "name the first admin".to_owned(),
            });
        }
        create_data_dir(&dir)?;
        let key_path = dir.join("master.key");
        let (secrets, key_source) = if self.master_key_from_env {
            SecretBox::load_or_create(&key_path)?
        } else {
            SecretBox::load_or_create_file(&key_path)?
        };
        // New audit entries are chained with the audit key (derived from the master key).
        let store: Arc<dyn Store> = match &self.store {
            Some(location) => location.open(secrets.audit_key().clone()).await?,
            None => Arc::new(
                SqliteStore::open(&dir.join(SQLITE_FILE))?.with_audit_key(secrets.audit_key().clone()),
            ),
        };
        let signing = load_or_create_signing_key(&dir)?;
        if matches!(self.store, Some(StoreLocation::Postgres(_))) {
            // Consoles sharing a database must hold the same keys: checked before anything is served.
            let signing_source = dir.join(super::keyfile::SIGNING_KEY_FILE).display().to_string();
            let master_source = match &key_source {
                KeySource::Environment => "VOICEFLEET_MASTER_KEY".to_owned(),
                KeySource::File(path) | KeySource::Generated(path) => path.display().to_string(),
            };
            let held = [
                replicas::signing(&signing, &checkpoint::previous_keys(&dir), &signing_source),
                replicas::master(secrets.audit_key(), &master_source),
            ];
            replicas::check(store.as_ref(), &held, self.options.clock.now_ms()).await?;
        }
        let checkpoint_dir = self.checkpoint_dir.unwrap_or_else(|| dir.join("audit-checkpoints"));
        let checkpoints =
            Arc::new(CheckpointLog::new(&checkpoint_dir, signing, checkpoint::previous_keys(&dir)));
        let checkpoint_file = checkpoints.path().to_path_buf();
        let options = ConsoleOptions { checkpoints: Some(checkpoints), ..self.options };
        // Users' TOTP secrets are sealed with the same master key as customers' secrets.
        let accounts = Accounts::with_clock(store.clone(), secrets.clone(), options.clock.clone());
        let console = Console::new(store, self.connector, secrets, options);
        let first_admin = match self.first_admin {
            Some((name, password)) => accounts.ensure_first_admin_named(&name, password).await?,
            None => None,
        };
        // Whatever was appended since the last checkpoint (another process, a crash) is vouched for now.
        console.checkpoint_audit("open").await?;
        Ok(OpenedConsole { console, accounts, key_source, first_admin, checkpoint_file })
    }
}

impl IntoFuture for OpenSqlite {
    type Output = Result<OpenedConsole>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<OpenedConsole>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.open())
    }
}
