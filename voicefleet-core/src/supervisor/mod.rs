//! The Unix supervisor: runs one customer's voice agent through a shim, keeps it alive with the
//! lifecycle policy, drains it on stop, re-adopts it after its own restart, and derives metrics.
//!
//! One concern per module:
//! - this module: the public handle ([`Supervisor`], the [`Host`] implementation) and its
//!   options;
//! - `actor`: the task that owns the mutable state and carries out `lifecycle`'s decisions
//!   (with `actor::control` for start/stop/drain/restart and `actor::configure` for
//!   configurations and secrets);
//! - `launch`: the agent's environment, spawning the shim, the pidfd, naming spawn failures;
//! - `observe`: log polling (events), resource sampling, the status snapshot;
//! - `state_dir`: the state directory's paths and files, one JSON read/write;
//! - `shim` and `procfs`: the shim process, and reading `/proc`.
//!
//! The machine's own figures ([`crate::hostinfo`]) are sampled beside the actor, on the metrics
//! interval, and joined into the status and the history when they are read.

mod actor;
mod agent_user;
mod builder;
mod entry;
mod launch;
mod observe;
mod procfs;
mod runtime_check;
mod shim;
mod spec;
mod state_dir;
mod wake;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot};

pub use builder::SupervisorBuilder;
pub use entry::{SHIM_ARG, ShimCommand, shim_entry_point};
pub use observe::ProcessIdentity;
pub use shim::run as run_shim;
pub use spec::ProcessSpec;

use crate::clock::SharedClock;
use crate::config::ConfigDocument;
use crate::customer::CustomerId;
use crate::error::{Error, Result};
use crate::host::{
    AppliedConfig, ConfigRevision, Host, HostEvent, HostStatus, LogQuery, MetricsSample, RevisionMeta,
    StopOptions,
};
use crate::keycheck::{KeyCheck, KeyProbe, ProviderUrls};
use crate::lifecycle::ControlRequest;
use crate::logs::{LogFiles, LogLimits, LogLine};
use state_dir::Paths;

/// How long one provider may take to answer a key check.
const KEY_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Supervisor settings; [`SupervisorOptions::new`] fills the defaults ([`Supervisor::builder`]
/// sets them one by one).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SupervisorOptions {
    /// The customer whose agent this supervisor runs.
    pub customer_id: CustomerId,
    /// The state directory: configuration, secrets, logs and the supervisor's own state live here
    /// (created when missing). Two supervisors must not share one.
    pub state_dir: PathBuf,
    /// How to start the shim that runs the agent.
    pub shim: ShimCommand,
    /// Log rotation: size of each file and how many are kept.
    pub log_limits: LogLimits,
    /// After a stop's SIGTERM, once active calls are 0, how long the agent may take to exit on
    /// its own before the group is killed.
    pub stop_grace: Duration,
    /// How often a stop in progress is checked (and the log, when inotify is unavailable);
    /// otherwise the supervisor wakes on events and deadlines only.
    pub tick: Duration,
    /// How often resource metrics are sampled.
    pub metrics_interval: Duration,
    /// The delay after the first failed start (it doubles up to the configuration's cap).
    pub backoff_initial: Duration,
    /// Where "now" comes from (event and exit times, adoption's age of a running agent).
    pub clock: SharedClock,
    /// What sends the live key checks ([`Host::check_keys`]); without one, checks are refused.
    pub key_probe: Option<Arc<dyn KeyProbe>>,
    /// Each provider's API base URL for the key checks.
    pub provider_urls: ProviderUrls,
    /// The user the voice agent runs as when its configuration names no `runtime.user` (the
    /// packaged host agent's `voicefleet-voice`); `None`: the host agent's own user.
    pub default_agent_user: Option<String>,
    /// The process to supervise, given without a configuration document; `None`: the document
    /// applied with [`Host::apply_config`] says what runs.
    pub process: Option<ProcessSpec>,
}

impl SupervisorOptions {
    /// Options with the defaults: a 1-second stop grace, 20-ms ticks, metrics every second, a
    /// 1-second first backoff, the system clock, no key probe, and the agent running as this
    /// process's user.
    pub fn new(customer_id: CustomerId, state_dir: impl Into<PathBuf>, shim: ShimCommand) -> Self {
        Self {
            customer_id,
            state_dir: state_dir.into(),
            shim,
            clock: crate::clock::system(),
            log_limits: LogLimits::default(),
            stop_grace: Duration::from_secs(1),
            tick: Duration::from_millis(20),
            metrics_interval: Duration::from_secs(1),
            backoff_initial: Duration::from_secs(1),
            key_probe: None,
            provider_urls: ProviderUrls::default(),
            default_agent_user: None,
            process: None,
        }
    }
}

enum Request {
    Status(oneshot::Sender<HostStatus>),
    Control { request: ControlRequest, options: StopOptions, reply: oneshot::Sender<Result<HostStatus>> },
    Config(oneshot::Sender<Option<(ConfigDocument, ConfigRevision)>>),
    Apply { document: ConfigDocument, meta: RevisionMeta, reply: oneshot::Sender<Result<AppliedConfig>> },
    SetSecret { name: String, value: String, reply: oneshot::Sender<Result<()>> },
    DeleteSecret { name: String, reply: oneshot::Sender<Result<()>> },
    Shutdown { stop_agent: bool, reply: oneshot::Sender<()> },
    ShimExited { shim_pid: i32 },
}

/// What the handle and the actor share.
struct Shared {
    customer_id: CustomerId,
    /// The latest status and when it was taken, published by the actor after every change and
    /// every metrics sample: a status request reads it without waiting for the actor (its
    /// clocks, uptime and time to the next restart, are brought forward to now).
    status: tokio::sync::watch::Sender<Option<(Instant, HostStatus)>>,
    files: LogFiles,
    paths: Paths,
    metrics: Mutex<VecDeque<MetricsSample>>,
    events: broadcast::Sender<HostEvent>,
    key_probe: Option<Arc<dyn KeyProbe>>,
    provider_urls: ProviderUrls,
    /// The machine's CPU, memory, load, uptime and state filesystem, sampled on a timer.
    machine: crate::hostinfo::MachineMonitor,
}

/// The host agent's package version, as a status answers it.
const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A running supervisor; cheap to clone. Implements [`Host`].
#[derive(Clone)]
pub struct Supervisor {
    requests: mpsc::Sender<Request>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor").field("customer_id", &self.shared.customer_id).finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Opens the state directory, re-adopts a voice agent that is still running (recognised by
    /// PID and start time), or starts it when it should be running, and begins supervising.
    /// Must be called inside a tokio runtime with its IO and time drivers enabled (an error
    /// says so otherwise).
    pub async fn open(options: SupervisorOptions) -> Result<Self> {
        entry::refuse_inside_shim()?;
        runtime_check::check()?;
        if let Some(spec) = &options.process {
            spec.check()?;
        }
        agent_user::check_default(options.default_agent_user.as_deref())?;
        let paths = Paths::new(&options.state_dir);
        paths.create()?;
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            customer_id: options.customer_id.clone(),
            status: tokio::sync::watch::Sender::new(None),
            files: LogFiles::new(&paths.logs),
            paths,
            metrics: Mutex::new(VecDeque::with_capacity(observe::METRICS_HISTORY)),
            events,
            key_probe: options.key_probe.clone(),
            provider_urls: options.provider_urls.clone(),
            machine: crate::hostinfo::MachineMonitor::spawn(
                &options.state_dir,
                options.metrics_interval,
                options.clock.clone(),
            ),
        });
        let (requests, receiver) = mpsc::channel(256);
        let mut actor = actor::Actor::new(options, shared.clone(), requests.clone())?;
        actor.recover().await;
        tokio::spawn(actor.run(receiver));
        Ok(Self { requests, shared })
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(make(reply))
            .await
            .map_err(|_| Error::Unavailable { message: "the supervisor has shut down".to_owned() })?;
        answer.await.map_err(|_| Error::Unavailable { message: "the supervisor has shut down".to_owned() })
    }

    async fn control(&self, request: ControlRequest, options: StopOptions) -> Result<HostStatus> {
        self.ask(|reply| Request::Control { request, options, reply })
            .await?
            .map(|status| self.complete(status))
    }

    /// A status with what the actor does not know: the machine and this agent's version.
    fn complete(&self, mut status: HostStatus) -> HostStatus {
        status.machine = self.shared.machine.latest();
        status.agent_version = Some(AGENT_VERSION.to_owned());
        status
    }

    /// Stops supervising. The voice agent keeps running for the next supervisor to adopt,
    /// unless `stop_agent`.
    pub async fn shutdown(&self, stop_agent: bool) -> Result<()> {
        self.ask(|reply| Request::Shutdown { stop_agent, reply }).await
    }

    /// The live processes of the running instance: its shim and every member of the agent's
    /// process group. After a stop, [`ProcessIdentity::is_alive`] tells whether one survived.
    pub fn processes(&self) -> Vec<ProcessIdentity> {
        observe::instance_processes(state_dir::read_json(&self.shared.paths.child()))
    }

    /// The log files, for followers.
    pub fn log_files(&self) -> LogFiles {
        self.shared.files.clone()
    }
}

#[async_trait::async_trait]
impl Host for Supervisor {
    fn host_issues(&self, runtime: &crate::config::Runtime) -> Vec<crate::config::Issue> {
        let mut issues: Vec<_> = agent_user::issue(runtime.user.as_deref()).into_iter().collect();
        issues.extend(launch::host_warnings(&runtime.command, runtime.working_dir.as_deref()));
        issues
    }

    async fn status(&self) -> Result<HostStatus> {
        let published = self.shared.status.borrow().clone();
        let status = match published {
            Some((at, mut status)) => {
                // Brought forward to the moment of the read.
                let elapsed = at.elapsed();
                if let Some(uptime) = &mut status.uptime_seconds {
                    *uptime += elapsed.as_secs_f64();
                }
                if let Some(next) = &mut status.next_restart_in_ms {
                    *next = next.saturating_sub(elapsed.as_millis() as u64);
                }
                status
            }
            None => self.ask(Request::Status).await?,
        };
        Ok(self.complete(status))
    }

    async fn start(&self) -> Result<HostStatus> {
        self.control(ControlRequest::Start, StopOptions::default()).await
    }

    async fn stop(&self, options: StopOptions) -> Result<HostStatus> {
        self.control(ControlRequest::Stop, options).await
    }

    async fn restart(&self, options: StopOptions) -> Result<HostStatus> {
        self.control(ControlRequest::Restart, options).await
    }

    async fn drain(&self, options: StopOptions) -> Result<HostStatus> {
        self.control(ControlRequest::Drain, options).await
    }

    async fn config(&self) -> Result<Option<(ConfigDocument, ConfigRevision)>> {
        self.ask(Request::Config).await
    }

    async fn apply_config(&self, document: ConfigDocument, meta: RevisionMeta) -> Result<AppliedConfig> {
        self.ask(|reply| Request::Apply { document, meta, reply }).await?
    }

    async fn set_secret(&self, name: &str, value: &str) -> Result<()> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.ask(|reply| Request::SetSecret { name, value, reply }).await?
    }

    async fn delete_secret(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.ask(|reply| Request::DeleteSecret { name, reply }).await?
    }

    async fn secret_names(&self) -> Result<Vec<String>> {
        Ok(self.shared.paths.read_secrets().into_keys().collect())
    }

    async fn check_keys(&self, only: Option<&str>) -> Result<Vec<KeyCheck>> {
        let Some(probe) = self.shared.key_probe.clone() else {
            return Err(Error::Unavailable {
                message: "this host agent cannot check keys: it was started without a key probe".to_owned(),
            });
        };
        let Some((document, _)) = self.config().await? else {
            return Err(Error::conflict(
                "no configuration is applied on this host",
                Some("deploy one first"),
            ));
        };
        let secrets = self.shared.paths.read_secrets();
        let urls = &self.shared.provider_urls;
        crate::keycheck::check_keys(&document, &secrets, only, urls, probe.as_ref(), KEY_CHECK_TIMEOUT).await
    }

    async fn logs(&self, query: LogQuery) -> Result<Vec<LogLine>> {
        let files = self.shared.files.clone();
        tokio::task::spawn_blocking(move || match query {
            LogQuery::Tail { n, stream } => files.tail(n, stream),
            LogQuery::After { cursor, limit, stream } => files.read_after(cursor, limit, stream),
        })
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })?
        .map_err(|e| Error::io("cannot read the logs", e))
    }

    async fn metrics_history(&self, since_ms: u64) -> Result<Vec<MetricsSample>> {
        let mut samples: Vec<MetricsSample> = {
            let history = self.shared.metrics.lock().unwrap_or_else(|p| p.into_inner());
            history.iter().filter(|sample| sample.at_ms >= since_ms).copied().collect()
        };
        self.shared.machine.attach(&mut samples);
        Ok(samples)
    }

    fn subscribe(&self) -> broadcast::Receiver<HostEvent> {
        self.shared.events.subscribe()
    }
}
