//! Host agent settings: flags win over the environment (`VOICEFLEET_AGENT_*`), which wins over the
//! settings file (TOML).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;
use voicefleet_core::customer::CustomerId;
use voicefleet_core::keycheck::ProviderUrls;
use voicefleet_core::logs::LogLimits;
use voicefleet_core::supervisor::ShimCommand;

use crate::error::{Error, Result};

/// Flags of `voicefleet-agent` (and `voicefleet agent run`).
#[derive(Debug, Clone, Default, Args)]
pub struct AgentArgs {
    /// Settings file (TOML) with any of the keys below, in snake_case
    #[arg(long, env = "VOICEFLEET_AGENT_SETTINGS", value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// The customer this host serves (also the audience its tokens must carry)
    #[arg(long, env = "VOICEFLEET_AGENT_CUSTOMER_ID", value_name = "ID")]
    pub customer_id: Option<String>,
    /// Where the agent's configuration, secrets, logs and run files live
    /// [default: $XDG_STATE_HOME/voicefleet-agent/<customer-id>, else
    /// ~/.local/state/voicefleet-agent/<customer-id>]
    #[arg(long, env = "VOICEFLEET_AGENT_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Address to serve the host API on; anything but loopback must be given explicitly
    /// [default: 127.0.0.1:8000]
    #[arg(long, env = "VOICEFLEET_AGENT_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The voice agent's configuration document to start with (applied when the host has none
    /// yet); refused with every issue when invalid
    #[arg(long, env = "VOICEFLEET_AGENT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Secrets to store before applying --config: a JSON object of name to value
    #[arg(long, env = "VOICEFLEET_AGENT_SECRETS_FILE", value_name = "FILE")]
    pub secrets_file: Option<PathBuf>,
    /// The console's public key (Ed25519 or RSA, PEM) that signs the tokens this host accepts
    #[arg(long, env = "VOICEFLEET_AGENT_CONSOLE_PUBLIC_KEY", value_name = "FILE")]
    pub console_public_key: Option<PathBuf>,
    /// TLS certificate chain (PEM); with --tls-key, the API is served over HTTPS
    #[arg(long, env = "VOICEFLEET_AGENT_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM)
    #[arg(long, env = "VOICEFLEET_AGENT_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (a proxy in front terminates TLS); refused
    /// without it
    #[arg(long, env = "VOICEFLEET_AGENT_INSECURE_PLAINTEXT")]
    pub insecure_plaintext: bool,
    /// Accept clients only from this network (repeat it, or separate with commas), as
    /// 10.0.0.0/16 [default: any]
    #[arg(
        long = "allow-cidr",
        env = "VOICEFLEET_AGENT_ALLOW_CIDR",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub allow_cidr: Vec<String>,
    /// Stop the voice agent when the host agent exits (default: leave it running for the next
    /// host agent to adopt)
    #[arg(long, env = "VOICEFLEET_AGENT_STOP_AGENT_ON_EXIT")]
    pub stop_agent_on_exit: bool,
    /// Requests per second allowed per client address before 429 [default: 2000]
    #[arg(long, env = "VOICEFLEET_AGENT_RATE_LIMIT", value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Rotate the voice agent's log when it reaches this many bytes [default: 10485760]
    #[arg(long, env = "VOICEFLEET_AGENT_LOG_MAX_FILE_BYTES", value_name = "BYTES")]
    pub log_max_file_bytes: Option<u64>,
    /// Rotated log files to keep [default: 5]
    #[arg(long, env = "VOICEFLEET_AGENT_LOG_KEEP_FILES", value_name = "N")]
    pub log_keep_files: Option<u32>,
    /// A provider's API base URL for live key checks, as PROVIDER=URL (repeat it, or separate
    /// with commas; for proxies and tests) [default: each provider's public API]
    #[arg(
        long = "provider-url",
        env = "VOICEFLEET_AGENT_PROVIDER_URLS",
        value_name = "PROVIDER=URL",
        value_delimiter = ','
    )]
    pub provider_urls: Vec<String>,
    /// The Unix user the voice agent runs as when its configuration names no `runtime.user`;
    /// needs the host agent to run as root (the package sets `voicefleet-voice`) [default: the
    /// host agent's user]
    #[arg(long, env = "VOICEFLEET_AGENT_AGENT_USER", value_name = "USER")]
    pub agent_user: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    customer_id: Option<String>,
    state_dir: Option<PathBuf>,
    listen: Option<SocketAddr>,
    config: Option<PathBuf>,
    secrets_file: Option<PathBuf>,
    console_public_key: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    insecure_plaintext: Option<bool>,
    allow_cidr: Option<Vec<String>>,
    stop_agent_on_exit: Option<bool>,
    rate_limit: Option<u32>,
    log_max_file_bytes: Option<u64>,
    log_keep_files: Option<u32>,
    provider_urls: Option<BTreeMap<String, String>>,
    agent_user: Option<String>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub customer_id: CustomerId,
    pub state_dir: PathBuf,
    pub listen: SocketAddr,
    pub config: Option<PathBuf>,
    pub secrets_file: Option<PathBuf>,
    pub console_public_key: Option<PathBuf>,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Plain HTTP off loopback (`--insecure-plaintext`), and the networks clients may come from.
    pub exposure: voicefleet_http::Exposure,
    pub stop_agent_on_exit: bool,
    pub rate_limit: u32,
    pub log_limits: LogLimits,
    /// Provider API base URLs for the live key checks.
    pub provider_urls: ProviderUrls,
    /// How to start the per-agent shim: `voicefleet-shim` beside this binary, else this binary
    /// with `__shim`.
    pub shim: ShimCommand,
    /// The voice agent's user when its configuration names none (`--agent-user`).
    pub agent_user: Option<String>,
}

impl Settings {
    pub fn resolve(args: AgentArgs) -> Result<Settings> {
        let settings_error = |message: String| Error::Settings { message };
        let file: FileSettings = match &args.settings {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| Error::Read { path: path.clone(), source })?;
                toml::from_str(&text).map_err(|error| {
                    settings_error(format!("invalid settings file {}: {error}", path.display()))
                })?
            }
            None => FileSettings::default(),
        };
        let customer_id = args.customer_id.or(file.customer_id).ok_or_else(|| {
            settings_error("no customer id: give --customer-id ID (or VOICEFLEET_AGENT_CUSTOMER_ID, or customer_id in the settings file)".to_owned())
        })?;
        let customer_id = CustomerId::parse(&customer_id)?;
        let state_dir = match args.state_dir.or(file.state_dir) {
            Some(dir) => dir,
            // XDG's state directory (`dirs` reads XDG_STATE_HOME, else ~/.local/state).
            None => dirs::state_dir()
                .ok_or_else(|| settings_error("no --state-dir and no HOME to default it".to_owned()))?
                .join("voicefleet-agent")
                .join(customer_id.as_str()),
        };
        let tls = match (args.tls_cert.or(file.tls_cert), args.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                return Err(settings_error(
                    "give both a TLS certificate and a TLS key, or neither".to_owned(),
                ));
            }
        };
        let allow_cidr =
            if args.allow_cidr.is_empty() { file.allow_cidr.unwrap_or_default() } else { args.allow_cidr };
        let exposure = voicefleet_http::Exposure {
            insecure_plaintext: args.insecure_plaintext || file.insecure_plaintext.unwrap_or(false),
            allow: allow_cidr
                .iter()
                .map(|text| voicefleet_core::transport::parse_cidr(text))
                .collect::<std::result::Result<_, _>>()
                .map_err(|error| settings_error(format!("--allow-cidr: {error}")))?,
        };
        let mut provider_urls = file.provider_urls.unwrap_or_default();
        for pair in &args.provider_urls {
            let (provider, url) = pair.split_once('=').ok_or_else(|| {
                settings_error(format!("--provider-url takes PROVIDER=URL (for example openai=https://proxy.internal), not `{pair}`"))
            })?;
            provider_urls.insert(provider.trim().to_owned(), url.trim().to_owned());
        }
        let provider_urls = ProviderUrls::new(provider_urls)
            .map_err(|error| settings_error(format!("provider URL: {error}")))?;
        // The small dedicated shim beside this binary when installed (less memory per agent),
        // else this binary's own shim entry point.
        let shim =
            ShimCommand::installed_or_current_exe().map_err(|error| settings_error(error.to_string()))?;
        Ok(Settings {
            customer_id,
            state_dir,
            listen: args.listen.or(file.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000))),
            config: args.config.or(file.config),
            secrets_file: args.secrets_file.or(file.secrets_file),
            console_public_key: args.console_public_key.or(file.console_public_key),
            tls,
            exposure,
            stop_agent_on_exit: args.stop_agent_on_exit || file.stop_agent_on_exit.unwrap_or(false),
            rate_limit: args.rate_limit.or(file.rate_limit).unwrap_or(2000).max(1),
            log_limits: LogLimits {
                max_file_bytes: args
                    .log_max_file_bytes
                    .or(file.log_max_file_bytes)
                    .unwrap_or(LogLimits::default().max_file_bytes)
                    .max(4096),
                keep_files: args
                    .log_keep_files
                    .or(file.log_keep_files)
                    .unwrap_or(LogLimits::default().keep_files),
            },
            provider_urls,
            shim,
            agent_user: args.agent_user.or(file.agent_user),
        })
    }
}
