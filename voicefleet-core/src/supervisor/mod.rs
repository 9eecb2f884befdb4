//! The Unix supervisor: runs one customer's voice agent through a shim, keeps it alive with the
//! lifecycle policy, drains it on stop, re-adopts it after its own restart, and derives metrics.
//!
//! One actor task owns all mutable state; requests reach it over a channel, the agent's exit
//! arrives from a pidfd (no polling), and a short tick reads new log lines (events) and the
//! timers. Layout of the state directory:
//!
//! ```text
//! STATE/config.json        the applied document (0600; secret references only)
//! STATE/config.meta.json   its revision, hash, author, message
//! STATE/secrets.json       secret values (0600), exported to the agent's environment
//! STATE/supervisor.json    whether the agent should run, restart count
//! STATE/logs/agent.log*    numbered lines, rotated by rename
//! STATE/run/child.json     the running instance (written by the shim)
//! STATE/run/exit.json      how it ended (written by the shim)
//! ```

mod procfs;
mod shim;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ffi::OsString;
use std::io::{BufRead as _, BufReader};
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use shim::run as run_shim;
use shim::{ChildInfo, ExitRecord, Handshake};

use crate::clock::SharedClock;
use crate::config::{ConfigDocument, ReloadMode, SecretReference, ValidateOptions, VoiceAgentConfig};
use crate::customer::CustomerId;
use crate::error::{Error, Result};
use crate::host::{
    AppliedConfig, ApplyAction, CallSummary, ConfigRevision, ExitInfo, Host, HostEvent, HostStatus, LogQuery,
    MetricsSample, RevisionMeta, StopOptions,
};
use crate::lifecycle::{
    Action, Backoff, BackoffSettings, Event, Outcome, ProcessState, RestartContext, transition,
};
use crate::logs::{LogFiles, LogFollower, LogLimits, LogLine, Stream};
use crate::protocol::{CallStats, LineKind, parse_line};

/// How to start the shim: a program and the arguments before the shim's own (for example the
/// `voicefleet-shim` binary, or `voicefleet-agent` with a hidden `shim` subcommand).
#[derive(Debug, Clone)]
pub struct ShimCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// Supervisor settings; [`SupervisorOptions::new`] fills the defaults.
#[derive(Debug, Clone)]
pub struct SupervisorOptions {
    pub customer_id: CustomerId,
    pub state_dir: PathBuf,
    pub shim: ShimCommand,
    pub log_limits: LogLimits,
    /// After a stop's SIGTERM, once active calls are 0, how long the agent may take to exit on
    /// its own before the group is killed.
    pub stop_grace: Duration,
    /// How often logs and timers are checked.
    pub tick: Duration,
    /// How often resource metrics are sampled.
    pub metrics_interval: Duration,
    /// Backoff before the cap (which comes from the configuration).
    pub backoff_initial: Duration,
    pub backoff_stable_after: Duration,
    /// Where "now" comes from (event and exit times, adoption's age of a running agent).
    pub clock: SharedClock,
}

impl SupervisorOptions {
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
            backoff_stable_after: Duration::from_secs(60),
        }
    }
}

/// Metric samples kept in memory: one hour at one per second.
const METRICS_HISTORY: usize = 3600;

struct Paths {
    state: PathBuf,
    config: PathBuf,
    meta: PathBuf,
    secrets: PathBuf,
    supervisor: PathBuf,
    logs: PathBuf,
    run: PathBuf,
}

impl Paths {
    fn new(state: &Path) -> Self {
        Self {
            state: state.to_path_buf(),
            config: state.join("config.json"),
            meta: state.join("config.meta.json"),
            secrets: state.join("secrets.json"),
            supervisor: state.join("supervisor.json"),
            logs: state.join("logs"),
            run: state.join("run"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Persisted {
    desired_running: bool,
    restarts: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMeta {
    revision: u64,
    hash: String,
    applied_at_ms: u64,
    author: String,
    message: String,
}

impl From<StoredMeta> for ConfigRevision {
    fn from(meta: StoredMeta) -> Self {
        ConfigRevision {
            revision: meta.revision,
            hash: meta.hash,
            applied_at_ms: meta.applied_at_ms,
            author: meta.author,
            message: meta.message,
        }
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Internal { message: e.to_string() })?;
    crate::fs::write_atomic(path, &bytes, 0o600)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

fn read_secrets(path: &Path) -> BTreeMap<String, String> {
    read_json(path).unwrap_or_default()
}

enum Request {
    Status(oneshot::Sender<HostStatus>),
    Start(oneshot::Sender<Result<HostStatus>>),
    Stop { options: StopOptions, mode: StopMode, reply: oneshot::Sender<Result<HostStatus>> },
    Config(oneshot::Sender<Option<(ConfigDocument, ConfigRevision)>>),
    Apply { document: ConfigDocument, meta: RevisionMeta, reply: oneshot::Sender<Result<AppliedConfig>> },
    SetSecret { name: String, value: String, reply: oneshot::Sender<Result<()>> },
    DeleteSecret { name: String, reply: oneshot::Sender<Result<()>> },
    Shutdown { stop_agent: bool, reply: oneshot::Sender<()> },
    ShimExited { shim_pid: i32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopMode {
    Stop,
    Drain,
    Restart,
}

/// What a waiting request is waiting for.
enum Waiter {
    /// Start: running, or a failure state.
    Started(oneshot::Sender<Result<HostStatus>>),
    /// Stop and drain: stopped.
    Stopped(oneshot::Sender<Result<HostStatus>>),
}

struct Instance {
    info: ChildInfo,
    spawned: Instant,
}

struct DrainState {
    deadline: Instant,
    grace: Option<Duration>,
    calls_zero_since: Option<Instant>,
    killed: bool,
}

struct Loaded {
    document: ConfigDocument,
    typed: VoiceAgentConfig,
    revision: ConfigRevision,
}

struct Shared {
    customer_id: CustomerId,
    /// The latest status, published by the actor after every change and every tick: a status
    /// request reads it without waiting for the actor.
    status: tokio::sync::watch::Sender<Option<HostStatus>>,
    files: LogFiles,
    paths: Paths,
    metrics: Mutex<VecDeque<MetricsSample>>,
    events: broadcast::Sender<HostEvent>,
}

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
    /// Must be called inside a tokio runtime.
    pub async fn open(options: SupervisorOptions) -> Result<Self> {
        let paths = Paths::new(&options.state_dir);
        for dir in [&paths.state, &paths.logs, &paths.run] {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&paths.state, std::fs::Permissions::from_mode(0o700));
        }
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            customer_id: options.customer_id.clone(),
            status: tokio::sync::watch::Sender::new(None),
            files: LogFiles::new(&paths.logs),
            paths,
            metrics: Mutex::new(VecDeque::with_capacity(METRICS_HISTORY)),
            events,
        });
        let (requests, receiver) = mpsc::channel(256);
        let mut actor = Actor::new(options, shared.clone(), requests.clone())?;
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

    /// Stops supervising. The voice agent keeps running for the next supervisor to adopt,
    /// unless `stop_agent`.
    pub async fn shutdown(&self, stop_agent: bool) -> Result<()> {
        self.ask(|reply| Request::Shutdown { stop_agent, reply }).await
    }

    /// The log files, for followers.
    pub fn log_files(&self) -> LogFiles {
        self.shared.files.clone()
    }
}

#[async_trait::async_trait]
impl Host for Supervisor {
    async fn status(&self) -> Result<HostStatus> {
        if let Some(status) = self.shared.status.borrow().clone() {
            return Ok(status);
        }
        self.ask(Request::Status).await
    }

    async fn start(&self) -> Result<HostStatus> {
        self.ask(Request::Start).await?
    }

    async fn stop(&self, options: StopOptions) -> Result<HostStatus> {
        self.ask(|reply| Request::Stop { options, mode: StopMode::Stop, reply }).await?
    }

    async fn restart(&self, options: StopOptions) -> Result<HostStatus> {
        self.ask(|reply| Request::Stop { options, mode: StopMode::Restart, reply }).await?
    }

    async fn drain(&self, options: StopOptions) -> Result<HostStatus> {
        self.ask(|reply| Request::Stop { options, mode: StopMode::Drain, reply }).await?
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
        Ok(read_secrets(&self.shared.paths.secrets).into_keys().collect())
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
        let history = self.shared.metrics.lock().unwrap_or_else(|p| p.into_inner());
        Ok(history.iter().filter(|sample| sample.at_ms >= since_ms).copied().collect())
    }

    fn subscribe(&self) -> broadcast::Receiver<HostEvent> {
        self.shared.events.subscribe()
    }
}

struct Actor {
    options: SupervisorOptions,
    shared: Arc<Shared>,
    requests: mpsc::Sender<Request>,
    state: ProcessState,
    instance: Option<Instance>,
    backoff: Backoff,
    retry_at: Option<Instant>,
    drain: Option<DrainState>,
    start_after_stop: bool,
    pending_drain: Option<(Duration, Option<Duration>)>,
    waiters: Vec<Waiter>,
    queue: VecDeque<Event>,
    stats: CallStats,
    follower: LogFollower,
    persisted: Persisted,
    last_exit: Option<ExitInfo>,
    config: Option<Loaded>,
    cpu_baseline: Option<(Instant, u64)>,
    latest: Option<MetricsSample>,
    next_sample: Instant,
    memory_pending: bool,
    last_ran_for: Duration,
    jitter_state: u64,
    ticks_per_second: u64,
    /// Latency percentiles and error rate, recomputed at most once a second: a status request
    /// must not sort an hour of samples.
    call_cache: Option<(Instant, crate::protocol::LatencySummary, crate::protocol::LatencySummary, f64)>,
}

impl Actor {
    fn new(options: SupervisorOptions, shared: Arc<Shared>, requests: mpsc::Sender<Request>) -> Result<Self> {
        let paths = &shared.paths;
        let config = match std::fs::read_to_string(&paths.config) {
            Ok(text) => {
                let document = ConfigDocument::parse(&text)?;
                let typed = document.typed()?;
                let revision =
                    read_json::<StoredMeta>(&paths.meta).map(ConfigRevision::from).unwrap_or_else(|| {
                        ConfigRevision {
                            revision: 1,
                            hash: document.content_hash(),
                            applied_at_ms: options.clock.now_ms(),
                            author: String::new(),
                            message: String::new(),
                        }
                    });
                Some(Loaded { document, typed, revision })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(Error::io(format!("cannot read {}", paths.config.display()), error)),
        };
        let max_backoff = config.as_ref().map(|c| c.typed.runtime.restart.max_backoff_seconds).unwrap_or(60);
        let backoff = Backoff::new(BackoffSettings {
            initial: options.backoff_initial,
            max: Duration::from_secs(max_backoff.into()),
            stable_after: options.backoff_stable_after,
            jitter: 0.2,
        });
        let last_seq = shared.files.last_seq().unwrap_or(0);
        let seed = options.clock.now_ms() ^ (u64::from(std::process::id()) << 32) | 1;
        Ok(Self {
            follower: LogFollower::new(shared.files.clone(), last_seq),
            persisted: read_json(&paths.supervisor).unwrap_or_default(),
            options,
            shared,
            requests,
            state: ProcessState::Stopped,
            instance: None,
            backoff,
            retry_at: None,
            drain: None,
            start_after_stop: false,
            pending_drain: None,
            waiters: Vec::new(),
            queue: VecDeque::new(),
            stats: CallStats::default(),
            last_exit: None,
            config,
            cpu_baseline: None,
            latest: None,
            next_sample: Instant::now(),
            memory_pending: false,
            last_ran_for: Duration::ZERO,
            jitter_state: seed,
            ticks_per_second: procfs::clock_ticks_per_second(),
            call_cache: None,
        })
    }

    /// Adopts a still-running agent, or starts one that should be running.
    async fn recover(&mut self) {
        let child: Option<ChildInfo> = read_json(&self.shared.paths.run.join("child.json"));
        if let Some(info) = child {
            let shim_alive = procfs::is_same_process(info.shim_pid, info.shim_start_time);
            let agent_alive = procfs::is_same_process(info.pid, info.start_time);
            if shim_alive && agent_alive {
                let age =
                    Duration::from_millis(self.options.clock.now_ms().saturating_sub(info.spawned_at_ms));
                let spawned = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
                // Replay this instance's lines: readiness and calls in progress come back.
                self.follower = LogFollower::new(self.shared.files.clone(), info.first_seq.saturating_sub(1));
                self.watch(info.shim_pid);
                self.instance = Some(Instance { info, spawned });
                self.set_state(ProcessState::Starting);
                self.persisted.desired_running = true;
                self.poll_logs();
                self.check_timers();
                return;
            }
            if agent_alive {
                // The shim is gone (killed by hand): nobody records this agent's output any more.
                let _ = killpg(Pid::from_raw(info.pgid), Signal::SIGKILL);
            }
            let _ = std::fs::remove_file(self.shared.paths.run.join("child.json"));
        }
        if self.persisted.desired_running && self.config.is_some() {
            self.fire(Event::StartRequested).await;
        }
    }

    async fn run(mut self, mut receiver: mpsc::Receiver<Request>) {
        let mut tick = tokio::time::interval(self.options.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                request = receiver.recv() => {
                    let Some(request) = request else { return };
                    if let Request::Shutdown { stop_agent, reply } = request {
                        if stop_agent && self.state.has_process() {
                            self.queue.push_back(Event::StopRequested);
                            self.process().await;
                            while self.state != ProcessState::Stopped {
                                tokio::select! {
                                    Some(Request::ShimExited { shim_pid }) = receiver.recv() => self.on_shim_exited(shim_pid).await,
                                    _ = tick.tick() => self.on_tick().await,
                                }
                            }
                        }
                        let _ = reply.send(());
                        return;
                    }
                    self.handle(request).await;
                }
                _ = tick.tick() => self.on_tick().await,
            }
        }
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::Status(reply) => {
                let _ = reply.send(self.status());
            }
            Request::Start(reply) => {
                if let Err(error) = self.check_can_control() {
                    let _ = reply.send(Err(error));
                    return;
                }
                if self.config.is_none() {
                    let _ = reply.send(Err(Error::conflict(
                        "no configuration has been applied to this host yet",
                        Some("apply one first (PUT /v1/config, or start the host agent with --config FILE)"),
                    )));
                    return;
                }
                self.backoff.reset();
                self.set_desired(true);
                match transition(self.state, Event::StartRequested, self.context()) {
                    Outcome::Refused { reason } => {
                        let _ = reply.send(Err(Error::conflict(reason, None)));
                    }
                    _ => {
                        self.waiters.push(Waiter::Started(reply));
                        self.queue.push_back(Event::StartRequested);
                        self.process().await;
                    }
                }
            }
            Request::Stop { options, mode, reply } => {
                if let Err(error) = self.check_can_control() {
                    let _ = reply.send(Err(error));
                    return;
                }
                let timeout = options.timeout.unwrap_or_else(|| self.drain_timeout());
                self.set_desired(mode == StopMode::Restart);
                self.start_after_stop = mode == StopMode::Restart;
                let grace = (mode != StopMode::Drain).then_some(self.options.stop_grace);
                if mode == StopMode::Restart && !self.state.has_process() {
                    // Nothing to stop: a restart is a start.
                    self.start_after_stop = false;
                    self.backoff.reset();
                    self.waiters.push(Waiter::Started(reply));
                    self.queue.push_back(Event::StartRequested);
                } else {
                    self.waiters.push(if mode == StopMode::Restart {
                        Waiter::Started(reply)
                    } else {
                        Waiter::Stopped(reply)
                    });
                    self.pending_drain = Some((timeout, grace));
                    self.queue.push_back(Event::StopRequested);
                }
                self.process().await;
            }
            Request::Config(reply) => {
                let _ = reply.send(self.config.as_ref().map(|c| (c.document.clone(), c.revision.clone())));
            }
            Request::Apply { document, meta, reply } => {
                let result = self.apply(document, meta).await;
                let _ = reply.send(result);
            }
            Request::SetSecret { name, value, reply } => {
                let _ = reply.send(self.set_secret(name, value));
            }
            Request::DeleteSecret { name, reply } => {
                let _ = reply.send(self.delete_secret(&name));
            }
            Request::ShimExited { shim_pid } => self.on_shim_exited(shim_pid).await,
            Request::Shutdown { .. } => unreachable!("handled in run"),
        }
        self.publish_status();
    }
}

impl Actor {
    fn check_can_control(&self) -> Result<()> {
        if self.waiters.is_empty() {
            Ok(())
        } else {
            Err(Error::conflict(
                format!("another control request is in progress (the agent is {})", self.state),
                Some("wait for it to finish, then try again"),
            ))
        }
    }

    fn context(&self) -> RestartContext {
        let policy = self.config.as_ref().map(|c| c.typed.runtime.restart.policy).unwrap_or_default();
        let ran_for = self.instance.as_ref().map(|i| i.spawned.elapsed()).unwrap_or(self.last_ran_for);
        RestartContext { policy, at_backoff_cap: self.backoff.next_is_at_cap(ran_for) }
    }

    fn drain_timeout(&self) -> Duration {
        let seconds = self.config.as_ref().map(|c| c.typed.runtime.drain_timeout_seconds).unwrap_or(30);
        Duration::from_secs(seconds.into())
    }

    fn set_desired(&mut self, running: bool) {
        if self.persisted.desired_running != running {
            self.persisted.desired_running = running;
            self.persist();
        }
    }

    fn persist(&self) {
        let _ = write_json(&self.shared.paths.supervisor, &self.persisted);
    }

    fn emit(&self, event: HostEvent) {
        let _ = self.shared.events.send(event);
    }

    fn set_state(&mut self, next: ProcessState) {
        if next != self.state {
            let from = self.state;
            self.state = next;
            self.emit(HostEvent::StateChanged { at_ms: self.options.clock.now_ms(), from, to: next });
        }
    }

    async fn fire(&mut self, event: Event) {
        self.queue.push_back(event);
        self.process().await;
    }

    /// Runs queued events through the state machine and performs the actions.
    async fn process(&mut self) {
        while let Some(event) = self.queue.pop_front() {
            match transition(self.state, event, self.context()) {
                Outcome::Move { next, action } => {
                    self.set_state(next);
                    if let Some(action) = action {
                        self.perform(action).await;
                    }
                }
                Outcome::Ignored | Outcome::Refused { .. } => {}
            }
            if self.state == ProcessState::Stopped && self.start_after_stop {
                self.start_after_stop = false;
                self.backoff.reset();
                self.queue.push_back(Event::StartRequested);
            }
        }
        self.resolve_waiters();
    }

    async fn perform(&mut self, action: Action) {
        match action {
            Action::Spawn => match self.spawn().await {
                Ok(()) => {}
                Err(error) => {
                    let _ = error;
                    self.queue.push_back(Event::SpawnFailed);
                }
            },
            Action::ScheduleRetry => {
                let jitter = self.next_jitter();
                let delay = self.backoff.on_failure(self.last_ran_for, jitter);
                self.persisted.restarts += 1;
                self.persist();
                if delay.at_cap {
                    self.emit(HostEvent::CrashLoop {
                        at_ms: self.options.clock.now_ms(),
                        consecutive_failures: delay.consecutive_failures,
                        next_restart_in_ms: delay.delay.as_millis() as u64,
                    });
                }
                if delay.delay.is_zero() {
                    self.retry_at = None;
                    self.queue.push_back(Event::RetryDue);
                } else {
                    self.retry_at = Some(Instant::now() + delay.delay);
                }
            }
            Action::CancelRetry => self.retry_at = None,
            Action::Terminate => {
                let (timeout, grace) = self
                    .pending_drain
                    .take()
                    .unwrap_or((self.drain_timeout(), Some(self.options.stop_grace)));
                if let Some(instance) = &self.instance {
                    let _ = killpg(Pid::from_raw(instance.info.pgid), Signal::SIGTERM);
                }
                self.drain = Some(DrainState {
                    deadline: Instant::now() + timeout,
                    grace,
                    calls_zero_since: None,
                    killed: false,
                });
            }
            Action::KillGroup => {
                if let Some(instance) = &self.instance {
                    let _ = killpg(Pid::from_raw(instance.info.pgid), Signal::SIGKILL);
                }
            }
        }
    }

    fn resolve_waiters(&mut self) {
        let state = self.state;
        let started = matches!(
            state,
            ProcessState::Running
                | ProcessState::Backoff
                | ProcessState::CrashLoop
                | ProcessState::Exited
                | ProcessState::Stopped
        ) && !(state == ProcessState::Stopped && self.start_after_stop)
            && !(state == ProcessState::Backoff && self.retry_at.is_none() && !self.queue.is_empty());
        let stopped = matches!(state, ProcessState::Stopped | ProcessState::Exited);
        if self.waiters.is_empty() || !(started || stopped) {
            return;
        }
        let status = self.status();
        let mut kept = Vec::new();
        for waiter in std::mem::take(&mut self.waiters) {
            match waiter {
                Waiter::Started(reply) if started && state != ProcessState::Stopped => {
                    let _ = reply.send(Ok(status.clone()));
                }
                Waiter::Stopped(reply) if stopped => {
                    let _ = reply.send(Ok(status.clone()));
                }
                other => kept.push(other),
            }
        }
        self.waiters = kept;
    }

    fn next_jitter(&mut self) -> f64 {
        // xorshift64: enough randomness to spread restarts, no dependency.
        let mut x = self.jitter_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter_state = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The environment of the voice-agent protocol.
    fn agent_environment(&self, loaded: &Loaded) -> Vec<(String, String)> {
        let secrets = read_secrets(&self.shared.paths.secrets);
        let mut env: Vec<(String, String)> =
            loaded.typed.runtime.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for name in loaded.document.secret_references() {
            if let (Some(value), Some(reference)) =
                (secrets.get(&name), SecretReference::parse(&format!("secret://{name}")))
            {
                env.push((reference.env_name(), value.clone()));
            }
        }
        for (alias, reference) in &loaded.typed.runtime.secret_env {
            if let Some(value) = SecretReference::parse(reference).and_then(|r| secrets.get(r.name())) {
                env.push((alias.clone(), value.clone()));
            }
        }
        env.push(("VOICEFLEET_CONFIG".to_owned(), self.shared.paths.config.to_string_lossy().into_owned()));
        env.push(("VOICEFLEET_CUSTOMER_ID".to_owned(), self.options.customer_id.to_string()));
        env
    }

    async fn spawn(&mut self) -> Result<()> {
        let Some(loaded) = &self.config else {
            return Err(Error::conflict("no configuration", None));
        };
        let paths = &self.shared.paths;
        let runtime = &loaded.typed.runtime;
        let mut command = std::process::Command::new(&self.options.shim.program);
        command
            .args(&self.options.shim.args)
            .arg("--run-dir")
            .arg(&paths.run)
            .arg("--log-dir")
            .arg(&paths.logs)
            .arg("--max-file-bytes")
            .arg(self.options.log_limits.max_file_bytes.to_string())
            .arg("--keep-files")
            .arg(self.options.log_limits.keep_files.to_string())
            .arg("--cwd")
            .arg(runtime.working_dir.as_deref().map(PathBuf::from).unwrap_or_else(|| paths.state.clone()))
            .arg("--")
            .args(&runtime.command)
            .envs(self.agent_environment(loaded))
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let shim_log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(paths.run.join("shim.log"))
            .map_err(|e| Error::io("cannot open the shim log", e))?;
        command.stderr(shim_log);
        // A process group of its own: Ctrl-C on our terminal does not reach the shim (and no
        // pre-exec hook, so the spawn can use posix_spawn rather than fork).
        command.process_group(0);
        let handshake = tokio::task::spawn_blocking(move || -> Result<(Handshake, i32)> {
            let mut child = command
                .spawn()
                .map_err(|e| Error::Unavailable { message: format!("cannot start the shim: {e}") })?;
            let shim_pid = child.id() as i32;
            let mut line = String::new();
            let stdout = child.stdout.take().expect("piped");
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|e| Error::io("cannot read the shim handshake", e))?;
            // The shim is reaped when its pidfd reports the exit.
            std::mem::forget(child);
            let handshake = serde_json::from_str(&line).unwrap_or(Handshake::Failed {
                error: format!("the shim gave no handshake (see {})", "run/shim.log"),
            });
            Ok((handshake, shim_pid))
        })
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })??;
        match handshake {
            (Handshake::Started(info), shim_pid) => {
                self.watch(shim_pid);
                self.instance = Some(Instance { info, spawned: Instant::now() });
                self.memory_pending = false;
                self.cpu_baseline = None;
                Ok(())
            }
            (Handshake::Failed { error }, shim_pid) => {
                reap(shim_pid);
                self.last_exit =
                    Some(ExitInfo { code: Some(127), signal: None, at_ms: self.options.clock.now_ms() });
                self.last_ran_for = Duration::ZERO;
                Err(Error::Unavailable { message: error })
            }
        }
    }

    /// Reports the shim's exit through a pidfd: no polling.
    fn watch(&self, shim_pid: i32) {
        let requests = self.requests.clone();
        tokio::spawn(async move {
            if let Some(fd) = pidfd_open(shim_pid) {
                // SAFETY: `fd` is an open pidfd owned by the AsyncFd for its whole life.
                let registered = unsafe {
                    tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
                };
                if let Ok(async_fd) = registered {
                    let _ = async_fd.readable().await;
                }
            }
            let _ = requests.send(Request::ShimExited { shim_pid }).await;
        });
    }

    async fn on_shim_exited(&mut self, shim_pid: i32) {
        reap(shim_pid);
        if self.instance.as_ref().is_none_or(|i| i.info.shim_pid != shim_pid) {
            return;
        }
        // A requested stop answers with the final figures, so read the last lines first. After a
        // crash the restart comes first; the lines are read right after it, and `poll_logs` tells
        // them from the new instance's by sequence number.
        let stopping = self.state == ProcessState::Stopping;
        if stopping {
            self.poll_logs();
        }
        let Some(instance) = self.instance.take() else { return };
        let record: Option<ExitRecord> = read_json(&self.shared.paths.run.join("exit.json"));
        let record = record.filter(|r| r.pid == instance.info.pid);
        let exit = ExitInfo {
            code: record.and_then(|r| r.code),
            signal: record.and_then(|r| r.signal),
            at_ms: record.map(|r| r.at_ms).unwrap_or_else(|| self.options.clock.now_ms()),
        };
        self.last_exit = Some(exit);
        self.last_ran_for = instance.spawned.elapsed();
        self.stats.clear_active();
        self.drain = None;
        self.latest = None;
        self.emit(HostEvent::Exited { at_ms: exit.at_ms, code: exit.code, signal: exit.signal });
        let _ = std::fs::remove_file(self.shared.paths.run.join("child.json"));
        // The state machine needs the context of the instance that just ended.
        self.queue.push_back(Event::ProcessExited { success: exit.code == Some(0) });
        if stopping {
            // The shim kills the rest of the group before it exits.
            self.queue.push_back(Event::GroupGone);
        }
        self.process().await;
        if !stopping {
            self.poll_logs();
        }
    }

    async fn on_tick(&mut self) {
        self.poll_logs();
        self.check_timers();
        self.check_drain();
        self.sample_metrics();
        self.check_memory();
        self.process().await;
        self.publish_status();
    }

    fn publish_status(&mut self) {
        let status = self.status();
        self.shared.status.send_replace(Some(status));
    }

    fn poll_logs(&mut self) {
        let Ok(lines) = self.follower.poll() else { return };
        let now = self.options.clock.now_ms();
        let current_first_seq = self.instance.as_ref().map(|i| i.info.first_seq);
        for line in lines {
            if line.stream != Stream::Stdout {
                continue;
            }
            // A line written before the current instance started belongs to one that is gone.
            let current = current_first_seq.is_some_and(|first| line.seq >= first);
            match parse_line(&line.text) {
                LineKind::Event(event) => {
                    if event == crate::protocol::AgentEvent::Ready && current {
                        self.queue.push_back(Event::Ready);
                    }
                    self.stats.record(&event, now);
                    if let (crate::protocol::AgentEvent::CallStarted { call_id }, false) = (&event, current) {
                        self.stats.forget_call(call_id);
                    }
                }
                LineKind::Malformed { .. } => self.stats.malformed_events += 1,
                LineKind::Plain => {}
            }
        }
    }

    fn check_timers(&mut self) {
        if self.retry_at.is_some_and(|at| Instant::now() >= at) {
            self.retry_at = None;
            self.queue.push_back(Event::RetryDue);
        }
        if self.state == ProcessState::Starting {
            let start_seconds = self.config.as_ref().map(|c| c.typed.runtime.start_seconds).unwrap_or(1.0);
            if let Some(instance) = &self.instance {
                if instance.spawned.elapsed() >= Duration::from_secs_f64(start_seconds) {
                    self.queue.push_back(Event::Ready);
                }
            }
        }
    }

    fn check_drain(&mut self) {
        let active = self.stats.active_calls();
        let Some(drain) = &mut self.drain else { return };
        let Some(instance) = &self.instance else { return };
        if drain.killed {
            return;
        }
        let now = Instant::now();
        if active == 0 {
            drain.calls_zero_since.get_or_insert(now);
        } else {
            drain.calls_zero_since = None;
        }
        let grace_over = match (drain.grace, drain.calls_zero_since) {
            (Some(grace), Some(since)) => now.duration_since(since) >= grace,
            _ => false,
        };
        if grace_over || now >= drain.deadline {
            let _ = killpg(Pid::from_raw(instance.info.pgid), Signal::SIGKILL);
            drain.killed = true;
        }
    }

    fn sample_metrics(&mut self) {
        let now = Instant::now();
        if now < self.next_sample {
            return;
        }
        self.next_sample = now + self.options.metrics_interval;
        let Some(instance) = &self.instance else { return };
        let usage = procfs::group_usage(instance.info.pgid);
        let cpu_percent = match self.cpu_baseline {
            Some((at, ticks)) => {
                let elapsed = now.duration_since(at).as_secs_f64();
                let used = usage.cpu_ticks.saturating_sub(ticks) as f64 / self.ticks_per_second as f64;
                if elapsed > 0.0 { used / elapsed * 100.0 } else { 0.0 }
            }
            None => 0.0,
        };
        self.cpu_baseline = Some((now, usage.cpu_ticks));
        let sample = MetricsSample {
            at_ms: self.options.clock.now_ms(),
            cpu_percent,
            rss_bytes: usage.rss_bytes,
            threads: usage.threads,
            open_files: usage.open_files,
            processes: usage.processes,
            active_calls: self.stats.active_calls() as u64,
        };
        self.latest = Some(sample);
        let mut history = self.shared.metrics.lock().unwrap_or_else(|p| p.into_inner());
        if history.len() >= METRICS_HISTORY {
            history.pop_front();
        }
        history.push_back(sample);
    }

    /// Over `memory_limit_mb`: drain and restart once no call is active.
    fn check_memory(&mut self) {
        let Some(limit_mb) = self.config.as_ref().and_then(|c| c.typed.runtime.memory_limit_mb) else {
            return;
        };
        let Some(sample) = self.latest else { return };
        let limit = u64::from(limit_mb) * 1024 * 1024;
        if self.state != ProcessState::Running || sample.rss_bytes <= limit || !self.waiters.is_empty() {
            return;
        }
        if !self.memory_pending {
            self.memory_pending = true;
            self.emit(HostEvent::MemoryLimit {
                at_ms: self.options.clock.now_ms(),
                rss_bytes: sample.rss_bytes,
                limit_bytes: limit,
            });
        }
        if self.stats.active_calls() == 0 {
            self.start_after_stop = true;
            self.pending_drain = Some((self.drain_timeout(), Some(self.options.stop_grace)));
            self.queue.push_back(Event::StopRequested);
        }
    }

    fn status(&mut self) -> HostStatus {
        let now = self.options.clock.now_ms();
        let fresh = self.call_cache.as_ref().is_some_and(|(at, ..)| at.elapsed() < Duration::from_secs(1));
        if !fresh {
            self.call_cache = Some((
                Instant::now(),
                self.stats.latency(now, 5 * 60 * 1000),
                self.stats.latency(now, 60 * 60 * 1000),
                self.stats.error_rate(now, 5 * 60 * 1000),
            ));
        }
        let (latency_5m, latency_1h, error_rate_5m) =
            self.call_cache.as_ref().map(|(_, five, hour, rate)| (*five, *hour, *rate)).unwrap_or_default();
        let instance = self.instance.as_ref();
        HostStatus {
            customer_id: self.options.customer_id.to_string(),
            state: self.state,
            pid: instance.map(|i| i.info.pid),
            uptime_seconds: instance.map(|i| now.saturating_sub(i.info.spawned_at_ms) as f64 / 1000.0),
            restarts: self.persisted.restarts,
            consecutive_failures: self.backoff.consecutive_failures(),
            next_restart_in_ms: self
                .retry_at
                .map(|at| at.saturating_duration_since(Instant::now()).as_millis() as u64),
            last_exit: self.last_exit,
            resources: self.latest,
            calls: CallSummary {
                active_calls: self.stats.active_calls() as u64,
                calls_total: self.stats.calls_total,
                errors_total: self.stats.errors_total,
                malformed_events: self.stats.malformed_events,
                error_rate_5m,
                disconnect_reasons: self.stats.disconnect_reasons.clone(),
                latency_5m,
                latency_1h,
                latency_histograms: self.stats.histograms.clone(),
            },
            config: self.config.as_ref().map(|c| c.revision.clone()),
        }
    }

    async fn apply(&mut self, document: ConfigDocument, meta: RevisionMeta) -> Result<AppliedConfig> {
        let secret_names: BTreeSet<String> = read_secrets(&self.shared.paths.secrets).into_keys().collect();
        let validation = document.validate_with(&ValidateOptions { secret_names: Some(secret_names) });
        let warnings: Vec<_> = validation.warnings().cloned().collect();
        validation.into_result()?;
        let typed = document.typed()?;
        let hash = document.content_hash();
        let previous = self.config.as_ref();
        let unchanged = previous.is_some_and(|p| p.revision.hash == hash);
        let revision = ConfigRevision {
            revision: meta.revision.unwrap_or_else(|| previous.map(|p| p.revision.revision + 1).unwrap_or(1)),
            hash: hash.clone(),
            applied_at_ms: self.options.clock.now_ms(),
            author: meta.author,
            message: meta.message,
        };
        let runtime_changed =
            previous.is_none_or(|p| p.document.get("runtime").ok() != document.get("runtime").ok());
        let running = matches!(self.state, ProcessState::Starting | ProcessState::Running);
        let action = if !running || unchanged {
            ApplyAction::Stored
        } else if typed.runtime.reload == ReloadMode::Signal && !runtime_changed {
            ApplyAction::Reloaded
        } else {
            ApplyAction::Restarted
        };
        if action == ApplyAction::Restarted {
            self.check_can_control()?;
        }
        // Write the document first, then its metadata: a crash in between leaves the new
        // document with the old revision number, never a half-written file.
        crate::fs::write_atomic(&self.shared.paths.config, document.to_json_pretty().as_bytes(), 0o600)
            .map_err(|e| Error::io("cannot write the configuration", e))?;
        write_json(
            &self.shared.paths.meta,
            &StoredMeta {
                revision: revision.revision,
                hash: hash.clone(),
                applied_at_ms: revision.applied_at_ms,
                author: revision.author.clone(),
                message: revision.message.clone(),
            },
        )?;
        let max_backoff = Duration::from_secs(typed.runtime.restart.max_backoff_seconds.into());
        self.backoff.set_settings(BackoffSettings { max: max_backoff, ..self.backoff.settings() });
        self.config = Some(Loaded { document, typed, revision: revision.clone() });
        match action {
            ApplyAction::Reloaded => {
                if let Some(instance) = &self.instance {
                    let _ = kill(Pid::from_raw(instance.info.pid), Signal::SIGHUP);
                }
            }
            ApplyAction::Restarted => {
                self.start_after_stop = true;
                self.pending_drain = Some((self.drain_timeout(), Some(self.options.stop_grace)));
                self.fire(Event::StopRequested).await;
            }
            ApplyAction::Stored => {}
        }
        self.emit(HostEvent::ConfigApplied {
            at_ms: self.options.clock.now_ms(),
            revision: revision.revision,
            hash,
            action,
        });
        Ok(AppliedConfig { revision, action, warnings })
    }

    fn set_secret(&mut self, name: String, value: String) -> Result<()> {
        if !crate::config::is_valid_secret_name(&name) {
            return Err(Error::InvalidSecretName { name });
        }
        let mut secrets = read_secrets(&self.shared.paths.secrets);
        secrets.insert(name, value);
        write_json(&self.shared.paths.secrets, &secrets)
    }

    fn delete_secret(&mut self, name: &str) -> Result<()> {
        let mut secrets = read_secrets(&self.shared.paths.secrets);
        if secrets.remove(name).is_none() {
            return Err(Error::SecretNotFound { name: name.to_owned() });
        }
        if let Some(loaded) = &self.config {
            if loaded.document.secret_references().contains(name) {
                return Err(Error::conflict(
                    format!("secret `{name}` is referenced by the current configuration"),
                    Some("apply a configuration that no longer references it first"),
                ));
            }
        }
        write_json(&self.shared.paths.secrets, &secrets)
    }
}

/// Reaps `pid` if it is our child and has exited (the shim, after its pidfd fired).
fn reap(pid: i32) {
    let _ = nix::sys::wait::waitpid(Pid::from_raw(pid), Some(nix::sys::wait::WaitPidFlag::WNOHANG));
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the kernel just gave us this descriptor; nobody else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
