//! The daemon: open the supervisor, seed secrets and configuration, serve the API until told to
//! stop, then leave the voice agent running (or stop it).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::config::ConfigDocument;
use voicefleet_core::host::{Host, RevisionMeta};
use voicefleet_core::supervisor::{Supervisor, SupervisorOptions};
use voicefleet_http::host::{HostApiOptions, load_or_create_admin_token, router};

use crate::error::{Error, Result};
use crate::settings::Settings;

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Read { path: path.to_owned(), source })
}

/// A running host agent.
#[derive(Debug)]
pub struct Daemon {
    address: SocketAddr,
    handle: axum_server::Handle,
    supervisor: Supervisor,
    stop_agent_on_exit: bool,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    admin_token: String,
}

impl Daemon {
    /// Opens the state directory (adopting a running voice agent), applies `--config` when the
    /// host has no configuration yet, and starts serving.
    pub async fn start(settings: Settings) -> Result<Daemon> {
        // Before anything is touched: plain HTTP off loopback needs --insecure-plaintext.
        let plaintext = voicefleet_core::transport::plaintext_verdict(
            settings.listen,
            settings.tls.is_some(),
            settings.exposure.insecure_plaintext,
        )?;
        if let Some(warning) = plaintext {
            tracing::warn!("{warning}");
        }
        std::fs::create_dir_all(&settings.state_dir).map_err(|error| {
            voicefleet_core::Error::io(
                format!("cannot create the state directory {}", settings.state_dir.display()),
                error,
            )
        })?;
        // Read and check the initial document before touching anything.
        let initial = match &settings.config {
            Some(path) => Some(ConfigDocument::parse(&String::from_utf8_lossy(&read(path)?))?),
            None => None,
        };
        let console_public_key = match &settings.console_public_key {
            Some(path) => Some(read(path)?),
            None => None,
        };
        let admin_token = load_or_create_admin_token(&settings.state_dir)?;
        let api = HostApiOptions {
            customer_id: settings.customer_id.to_string(),
            admin_token: admin_token.clone(),
            console_public_key,
            console_keys_file: Some(settings.state_dir.join("console-keys.json")),
            audit_file: Some(settings.state_dir.join("audit.log")),
            rate_limit: settings.rate_limit,
            clock: voicefleet_core::clock::system(),
        };

        let mut options =
            SupervisorOptions::new(settings.customer_id.clone(), &settings.state_dir, settings.shim.clone());
        options.log_limits = settings.log_limits;
        options.provider_urls = settings.provider_urls.clone();
        options.default_agent_user = settings.agent_user.clone();
        options.key_probe = Some(Arc::new(voicefleet_http::HttpKeyProbe::new()?));
        let supervisor = Supervisor::open(options).await?;
        if let Some(path) = &settings.secrets_file {
            let secrets: BTreeMap<String, String> =
                serde_json::from_slice(&read(path)?).map_err(|error| Error::Settings {
                    message: format!(
                        "{} must be a JSON object of secret name to value: {error}",
                        path.display()
                    ),
                })?;
            for (name, value) in secrets {
                supervisor.set_secret(&name, &value).await?;
            }
        }
        if let Some(document) = initial {
            match supervisor.config().await? {
                None => {
                    let meta = RevisionMeta {
                        revision: None,
                        author: "voicefleet-agent --config".into(),
                        message: String::new(),
                    };
                    supervisor.apply_config(document, meta).await?;
                    supervisor.start().await?;
                }
                Some((current, revision)) if current.content_hash() != document.content_hash() => {
                    tracing::warn!(
                        revision = revision.revision,
                        "keeping the applied configuration revision; --config only seeds a host that has none"
                    );
                }
                Some(_) => {}
            }
        }

        let listener = voicefleet_http::bind(settings.listen)?;
        let address =
            listener.local_addr().map_err(|error| voicefleet_core::Error::io("cannot listen", error))?;
        let app = router(Arc::new(supervisor.clone()), api)?;
        let (handle, server) =
            voicefleet_http::spawn_server(listener, settings.tls.as_ref(), &settings.exposure, app).await?;
        tracing::info!(%address, customer = %settings.customer_id, tls = settings.tls.is_some(), "host agent listening");
        Ok(Daemon {
            address,
            handle,
            supervisor,
            stop_agent_on_exit: settings.stop_agent_on_exit,
            server,
            admin_token,
        })
    }

    /// The address the API listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The break-glass admin token (also in `STATE/admin.token`).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The supervisor, for embedding.
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// Stops serving, then leaves the voice agent running for the next daemon (or stops it when
    /// so configured).
    pub async fn shutdown(self) -> Result<()> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        let _ = self.server.await;
        self.supervisor.shutdown(self.stop_agent_on_exit).await?;
        Ok(())
    }
}

/// Runs the host agent until SIGTERM or Ctrl-C.
pub async fn run(settings: Settings) -> Result<()> {
    let daemon = Daemon::start(settings).await?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|error| voicefleet_core::Error::io("cannot catch SIGTERM", error))?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down");
    daemon.shutdown().await
}

/// Structured logs on standard error: JSON when not on a terminal, filtered by `VOICEFLEET_LOG`
/// (default `info`).
pub fn init_logging() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("VOICEFLEET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if std::io::stderr().is_terminal() { builder.try_init() } else { builder.json().try_init() };
}

/// The hidden entry points every binary that runs host agents serves: `__shim` (the per-agent
/// shim the supervisor starts, see ARCHITECTURE.md) and `__simulate` (the simulated voice agent).
/// Returns the exit code when `argv[1]` names one of them.
pub fn hidden_entry_point() -> Option<std::process::ExitCode> {
    if let Some(code) = voicefleet_core::supervisor::shim_entry_point() {
        return Some(code);
    }
    let code = match std::env::args_os().nth(1) {
        Some(first) if first == "__simulate" => voicefleet_core::simulator::run(),
        _ => return None,
    };
    Some(std::process::ExitCode::from(code as u8))
}
