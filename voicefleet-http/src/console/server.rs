//! Opening the embedded console (data directory, store, keys, first admin) and serving it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::auth::Role;
use voicefleet_core::console::checkpoint;
use voicefleet_core::console::keyfile;
use voicefleet_core::console::lease::{self, Lease, LeaseOptions, Starter};
use voicefleet_core::console::{Accounts, Console, ConsoleOptions, KeySource, OpenedConsole, StoreLocation};
use voicefleet_core::{Error, Result};

use super::{ConsoleApiOptions, router};
use crate::console::telemetry::HostRequestMetrics;
use crate::host::client::AgentClientOptions;
use crate::host::connector::AgentConnector;
use crate::token::HostTokenSigner;

/// Everything an embedded console is made of.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub console: Arc<Console>,
    pub accounts: Accounts,
    pub signer: HostTokenSigner,
    pub data_dir: PathBuf,
    pub key_source: KeySource,
    /// The first admin's name and generated password, when this open created them.
    pub first_admin: Option<(String, String)>,
    /// The console's requests to hosts, for its `/metrics`.
    pub host_metrics: HostRequestMetrics,
    /// The file of signed audit checkpoints (outside the database).
    pub checkpoint_file: PathBuf,
}

impl Embedded {
    /// A console user token (what login returns), for embedding and tools.
    pub fn user_token(&self, name: &str, role: Role, seconds: u64) -> voicefleet_core::Result<String> {
        self.signer.sign(
            voicefleet_core::auth::TokenKind::Login,
            name,
            super::auth::CONSOLE_AUDIENCE,
            role,
            seconds,
        )
    }
}

/// Opens (creating) the data directory: `console.db`, `master.key`, `console.key` and
/// `console.pub.pem` (the key hosts trust), and the first admin on first start.
pub async fn open_embedded(
    data_dir: PathBuf,
    admin_password: Option<String>,
    host_timeout: Duration,
) -> Result<Embedded> {
    open_embedded_with(data_dir, admin_password, host_timeout, None).await
}

/// [`open_embedded`] with alert notifications going to `notifier`.
pub async fn open_embedded_with(
    data_dir: PathBuf,
    admin_password: Option<String>,
    host_timeout: Duration,
    notifier: Option<Arc<dyn voicefleet_core::console::AlertNotifier>>,
) -> Result<Embedded> {
    let checkpoints = checkpoint::default_dir(&data_dir);
    open(data_dir, None, admin_password, host_timeout, notifier, checkpoints).await
}

async fn open(
    data_dir: PathBuf,
    store: Option<&StoreLocation>,
    admin_password: Option<String>,
    host_timeout: Duration,
    notifier: Option<Arc<dyn voicefleet_core::console::AlertNotifier>>,
    checkpoint_dir: PathBuf,
) -> Result<Embedded> {
    keyfile::create_data_dir(&data_dir)?;
    let signer = HostTokenSigner::load_or_create(&data_dir)?;
    let host_metrics = HostRequestMetrics::default();
    let connector = Arc::new(
        AgentConnector::new(
            signer.clone(),
            AgentClientOptions {
                timeout: host_timeout,
                retries: 1,
                retry_backoff: Duration::from_millis(50),
            },
        )
        .with_metrics(host_metrics.clone()),
    );
    // The server's console: the first admin `admin`, the master key from the environment first.
    // Onboarding writes the key hosts trust for the console's tokens into a new host's user data.
    let mut options =
        ConsoleOptions::default().host_timeout(host_timeout).host_public_key_pem(signer.public_pem());
    if let Some(notifier) = notifier {
        options = options.notifier(notifier);
    }
    let mut open = Console::open_sqlite(&data_dir, connector)
        .first_admin("admin", admin_password)
        .master_key_from_env()
        .checkpoint_dir(checkpoint_dir)
        .options(options);
    if let Some(location) = store {
        open = open.store(location.clone());
    }
    let OpenedConsole { console, accounts, key_source, first_admin, checkpoint_file, .. } = open.await?;
    Ok(Embedded {
        console,
        accounts,
        signer,
        data_dir,
        key_source,
        first_admin,
        host_metrics,
        checkpoint_file,
    })
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub data_dir: PathBuf,
    /// Where the console's data is kept: `None`, the embedded SQLite database in `data_dir`;
    /// or a PostgreSQL server (keys and checkpoints stay in `data_dir`).
    pub store: Option<StoreLocation>,
    /// Default `127.0.0.1:9000`; anything else must be given explicitly.
    pub listen: SocketAddr,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Plain HTTP off loopback, and the networks clients may come from.
    pub exposure: crate::serve::Exposure,
    /// Origins allowed by CORS (the web team's dev server, e.g. `http://localhost:5173`).
    pub cors_origins: Vec<String>,
    /// The first admin's password (generated and shown once when absent).
    pub admin_password: Option<String>,
    /// How often hosts are polled in the background (status cache, metrics history, alerts).
    pub refresh_interval: Duration,
    /// How often a recovery pass runs (it does nothing while recovery is off).
    pub recovery_interval: Duration,
    pub host_timeout: Duration,
    /// Where alerts are posted (https, or http to loopback), with retries.
    pub alert_webhook: Option<String>,
    /// The audit checkpoint directory (default: `VOICEFLEET_AUDIT_CHECKPOINTS`, else
    /// `DATA/audit-checkpoints`).
    pub audit_checkpoints: Option<PathBuf>,
    /// A checkpoint after this many new audit entries…
    pub checkpoint_entries: u64,
    /// …or this long after the last one with any new entry (and on shutdown).
    pub checkpoint_every: Duration,
    /// How replicas on one PostgreSQL store share the once-only work (a console alone on its
    /// SQLite store always holds it).
    pub lease: LeaseOptions,
    /// How often the lease holder looks for bulk runs to take over (left by a replica that
    /// died, or started through another replica).
    pub takeover_every: Duration,
}

impl ServeOptions {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            store: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 9000)),
            tls: None,
            exposure: Default::default(),
            cors_origins: Vec::new(),
            admin_password: None,
            refresh_interval: Duration::from_secs(5),
            recovery_interval: Duration::from_secs(15),
            host_timeout: Duration::from_secs(3),
            alert_webhook: None,
            audit_checkpoints: None,
            checkpoint_entries: 100,
            checkpoint_every: Duration::from_secs(60),
            lease: LeaseOptions::default(),
            takeover_every: Duration::from_secs(1),
        }
    }
}

/// A running console server.
#[derive(Debug)]
pub struct ConsoleServer {
    address: SocketAddr,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The once-only work (polling, live events, recovery, bulk runs), run while the lease is held.
    work: tokio::task::JoinHandle<()>,
    /// The lease and the task that keeps it (none: alone on the store, always held).
    lease: Lease,
    keeper: Option<tokio::task::JoinHandle<()>>,
    lease_name: String,
    checkpointer: tokio::task::JoinHandle<()>,
    /// Live events to and from the other consoles on the store (PostgreSQL).
    relay: Option<tokio::task::JoinHandle<()>>,
    embedded: Embedded,
}

impl ConsoleServer {
    pub async fn start(options: ServeOptions) -> Result<ConsoleServer> {
        // Before anything is opened or created: a refused address changes nothing.
        let plaintext = voicefleet_core::transport::plaintext_verdict(
            options.listen,
            options.tls.is_some(),
            options.exposure.insecure_plaintext,
        )?;
        if let Some(warning) = plaintext {
            tracing::warn!("{warning}");
        }
        let notifier = match &options.alert_webhook {
            Some(url) => {
                Some(Arc::new(super::webhook::WebhookNotifier::new(url, 3, Duration::from_millis(500))?)
                    as Arc<dyn voicefleet_core::console::AlertNotifier>)
            }
            None => None,
        };
        let checkpoints =
            options.audit_checkpoints.clone().unwrap_or_else(|| checkpoint::default_dir(&options.data_dir));
        let embedded = open(
            options.data_dir.clone(),
            options.store.as_ref(),
            options.admin_password.clone(),
            options.host_timeout,
            notifier,
            checkpoints,
        )
        .await?;
        Self::serve(embedded, &options).await
    }

    /// Serves an already opened console.
    pub async fn serve(embedded: Embedded, options: &ServeOptions) -> Result<ConsoleServer> {
        let listener = crate::serve::bind(options.listen)?;
        let address = listener.local_addr().map_err(|error| Error::io("cannot listen", error))?;
        let app = router(
            embedded.console.clone(),
            embedded.accounts.clone(),
            embedded.signer.clone(),
            ConsoleApiOptions {
                cors_origins: options.cors_origins.clone(),
                status_max_age: options.refresh_interval * 2,
                clock: voicefleet_core::clock::system(),
                host_metrics: embedded.host_metrics.clone(),
            },
        )?;
        // Before serving: a subscriber's first events already come from every console.
        let relay = embedded.console.relay_events().await?;
        // Replicas on one PostgreSQL store compete for the work; a console alone on its SQLite
        // store always has it.
        let (lease, keeper) = match &options.store {
            Some(StoreLocation::Postgres(_)) => {
                let (lease, keeper) = Lease::spawn(
                    embedded.console.store().clone(),
                    voicefleet_core::clock::system(),
                    lease::replica_id(),
                    options.lease.clone(),
                );
                (lease, Some(keeper))
            }
            _ => (Lease::always_held(), None),
        };
        // Before the first request: a bulk run started through a replica without the lease is
        // left to the holder.
        embedded.console.set_lease(lease.clone());
        let (handle, server) =
            match crate::serve::spawn_server(listener, options.tls.as_ref(), &options.exposure, app).await {
                Ok(serving) => serving,
                Err(error) => {
                    if let Some(keeper) = &keeper {
                        keeper.abort();
                    }
                    return Err(error);
                }
            };
        let work = lease::spawn_gated(lease.clone(), work_starters(&embedded.console, options));
        let checkpointer =
            embedded.console.spawn_checkpointer(options.checkpoint_entries, options.checkpoint_every);
        tracing::info!(%address, data = %embedded.data_dir.display(), "console listening");
        Ok(ConsoleServer {
            address,
            handle,
            server,
            work,
            lease,
            keeper,
            lease_name: options.lease.name.clone(),
            checkpointer,
            relay,
            embedded,
        })
    }

    /// The lease this server runs the once-only work under.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    pub fn embedded(&self) -> &Embedded {
        &self.embedded
    }

    pub async fn shutdown(self) {
        self.work.abort();
        if let Some(keeper) = self.keeper {
            keeper.abort();
            // The next replica need not wait for the expiry.
            let store = self.embedded.console.store();
            if let Err(error) = store.release_lease(&self.lease_name, self.lease.holder()).await {
                tracing::warn!(%error, "cannot release the lease");
            }
        }
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        let _ = self.server.await;
        self.checkpointer.abort();
        if let Some(relay) = self.relay {
            relay.abort();
        }
        // A clean shutdown vouches for the head it leaves.
        if let Err(error) = self.embedded.console.checkpoint_audit("shutdown").await {
            tracing::warn!(%error, "cannot write the audit checkpoint at shutdown");
        }
    }
}

/// What runs only while the lease is held: polling (status cache, samples, alerts), every host's
/// event stream, the recovery loop and bulk runs (taken over when another replica left them).
fn work_starters(console: &Arc<Console>, options: &ServeOptions) -> Vec<Starter> {
    let (refresh, recovery, takeover) =
        (options.refresh_interval, options.recovery_interval, options.takeover_every);
    let c = console.clone();
    let refresher: Starter = Box::new(move || c.spawn_refresher(refresh));
    let c = console.clone();
    let recoverer: Starter = Box::new(move || c.spawn_recoverer(recovery));
    // Every host's event stream; the customer list is read again at each refresh interval.
    let c = console.clone();
    let live: Starter =
        Box::new(move || c.spawn_live(voicefleet_core::console::LiveOptions::default().rescan(refresh)));
    let c = console.clone();
    let runner: Starter = Box::new(move || c.spawn_bulk_runner(takeover));
    vec![runner, refresher, recoverer, live]
}
