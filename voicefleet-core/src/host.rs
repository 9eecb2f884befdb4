//! The host contract: what one customer's host can be asked, implemented in-process by the
//! supervisor and over HTTP by the host agent's client. Plain data plus one trait.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::ConfigDocument;
use crate::error::Result;
use crate::lifecycle::ProcessState;
use crate::logs::{LogLine, StreamFilter};
use crate::protocol::LatencySummary;

/// How a stop or drain behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StopOptions {
    /// Longest wait for calls to end before the process group is killed; the configuration's
    /// `runtime.drain_timeout_seconds` when absent.
    pub timeout: Option<Duration>,
}

/// The longest drain a caller may ask for: 12 hours.
pub const MAX_DRAIN_SECONDS: f64 = 43_200.0;

impl StopOptions {
    /// A stop that waits at most `timeout` for calls to end.
    pub fn with_timeout(timeout: Duration) -> StopOptions {
        StopOptions { timeout: Some(timeout) }
    }

    /// Options from a drain timeout in seconds, as the APIs take it: 0 to [`MAX_DRAIN_SECONDS`].
    pub fn from_seconds(seconds: Option<f64>) -> crate::Result<StopOptions> {
        match seconds {
            Some(seconds) if !seconds.is_finite() || !(0.0..=MAX_DRAIN_SECONDS).contains(&seconds) => {
                Err(crate::Error::InvalidValue {
                    value: seconds.to_string(),
                    reason: "drain_timeout_seconds must be between 0 and 43200".to_owned(),
                })
            }
            seconds => Ok(StopOptions { timeout: seconds.map(Duration::from_secs_f64) }),
        }
    }
}

/// How the agent last ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExitInfo {
    /// The agent's exit code; none when a signal ended it.
    pub code: Option<i32>,
    /// The signal number that ended the agent (9 for SIGKILL, 15 for SIGTERM); none when it exited
    /// on its own with a code.
    pub signal: Option<i32>,
    /// When the host saw it end, in milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// Resource use of the agent's whole process group at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricsSample {
    /// When the sample was taken, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// CPU time used by the group since the previous sample, in percent of one core (above 100 when
    /// it keeps several cores busy; 0 in the first sample of an instance).
    pub cpu_percent: f64,
    /// Resident memory of every process in the group, summed, in bytes.
    pub rss_bytes: u64,
    /// Threads of every process in the group.
    pub threads: u64,
    /// File descriptors open in every process in the group.
    pub open_files: u64,
    /// Processes in the group (the agent and its children).
    pub processes: u64,
    /// Calls in progress: `call_started` events without their `call_ended`.
    pub active_calls: u64,
    /// Errors per turn over the 5 minutes before the sample.
    #[serde(default)]
    pub error_rate: f64,
    /// p95 end-to-end turn latency over the 5 minutes before the sample, in milliseconds (none
    /// without turns): "when did p95 jump?" is a query over the history.
    #[serde(default)]
    pub p95_e2e_ms: Option<f64>,
    /// The machine the host agent runs on, sampled about when this sample was taken (none from
    /// a host agent that does not report it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineSample>,
}

/// The machine a host agent runs on, at one instant: the host's own health, not the voice
/// agent's. Each figure is absent when the machine could not tell it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MachineSample {
    /// When the machine was sampled, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// CPU busy since the previous sample, in percent of all cores (0 to 100).
    #[serde(default)]
    pub cpu_percent: Option<f64>,
    /// Physical memory of the machine (`MemTotal`), in bytes.
    #[serde(default)]
    pub memory_total_bytes: Option<u64>,
    /// Memory available to new work without swapping (`MemAvailable`), in bytes.
    #[serde(default)]
    pub memory_available_bytes: Option<u64>,
    /// `100 × (total − available) / total`.
    #[serde(default)]
    pub memory_used_percent: Option<f64>,
    /// Load averages over 1, 5 and 15 minutes (runnable and waiting tasks).
    #[serde(default)]
    pub load1: Option<f64>,
    /// The 5-minute load average.
    #[serde(default)]
    pub load5: Option<f64>,
    /// The 15-minute load average.
    #[serde(default)]
    pub load15: Option<f64>,
    /// Time since the machine booted.
    #[serde(default)]
    pub uptime_seconds: Option<u64>,
    /// Space an unprivileged writer may still use on the filesystem that holds the host agent's
    /// state directory (configuration, secrets, logs).
    #[serde(default)]
    pub state_fs_available_bytes: Option<u64>,
    /// That filesystem's size.
    #[serde(default)]
    pub state_fs_size_bytes: Option<u64>,
}

impl MachineSample {
    /// Available memory as a fraction of the total (0 to 1), when both are known.
    pub fn memory_available_ratio(&self) -> Option<f64> {
        match (self.memory_available_bytes, self.memory_total_bytes) {
            (Some(available), Some(total)) if total > 0 => Some(available as f64 / total as f64),
            _ => None,
        }
    }

    /// Free space of the state directory's filesystem as a fraction of its size (0 to 1).
    pub fn state_fs_available_ratio(&self) -> Option<f64> {
        match (self.state_fs_available_bytes, self.state_fs_size_bytes) {
            (Some(available), Some(size)) if size > 0 => Some(available as f64 / size as f64),
            _ => None,
        }
    }
}

/// Call metrics derived from the agent's events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallSummary {
    /// Calls in progress now.
    pub active_calls: u64,
    /// Calls started since the agent instance started (a `call_started` event each).
    pub calls_total: u64,
    /// `error` events since the agent instance started.
    pub errors_total: u64,
    /// Lines of the agent's stdout that looked like protocol events but were not valid ones (kept
    /// as log lines, never fatal): a count above 0 points at a bug in the agent's event output.
    pub malformed_events: u64,
    /// Errors per turn over the last 5 minutes.
    pub error_rate_5m: f64,
    /// Ended calls by `disconnect_reason` since the instance started (`unknown` when the agent gave
    /// none).
    pub disconnect_reasons: BTreeMap<String, u64>,
    /// Turn-latency percentiles over the last 5 minutes.
    pub latency_5m: LatencySummary,
    /// Turn-latency percentiles over the last hour.
    pub latency_1h: LatencySummary,
    /// Every turn's latencies since the agent started, bucketed (for Prometheus histograms).
    #[serde(default)]
    pub latency_histograms: crate::protocol::LatencyHistograms,
}

/// The configuration revision a host runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConfigRevision {
    /// The revision number: 1 for the first configuration applied to the customer, one more for
    /// each after.
    pub revision: u64,
    /// `sha256:<hex>` of the document's canonical JSON (keys sorted, no whitespace): two revisions
    /// with the same hash are the same document.
    pub hash: String,
    /// When the host applied it, in milliseconds since the Unix epoch.
    pub applied_at_ms: u64,
    /// Who asked for it (a user or token name, as the caller gave it).
    pub author: String,
    /// Why, in the caller's words (may be empty).
    pub message: String,
}

/// Everything a status request answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostStatus {
    /// The customer this host serves.
    pub customer_id: String,
    /// What the agent process is doing now.
    pub state: ProcessState,
    /// The agent's process id while it has a process (`starting`, `running`, `stopping`); none
    /// otherwise.
    pub pid: Option<i32>,
    /// Seconds since the current instance was spawned; none without a process.
    pub uptime_seconds: Option<f64>,
    /// Restarts since the state directory was created (counted across host agent restarts): each
    /// start after an exit or a failed start.
    pub restarts: u64,
    /// Failed starts in a row (an instance that could not be spawned, or exited before it was
    /// ready); 5 or more puts the agent in `crash_loop`. A healthy run or a start request resets
    /// it to 0.
    pub consecutive_failures: u32,
    /// Milliseconds until the scheduled restart, in `backoff` or `crash_loop`; none when no restart
    /// is scheduled.
    pub next_restart_in_ms: Option<u64>,
    /// How the last instance ended; none when no instance has ended since the host agent started
    /// (or adopted it).
    pub last_exit: Option<ExitInfo>,
    /// Why the last start failed (the program or working directory is missing, no
    /// permission…), until the next instance starts.
    #[serde(default)]
    pub last_error: Option<String>,
    /// The latest resource sample of the agent's process group; none before the first sample or
    /// when it has no process.
    pub resources: Option<MetricsSample>,
    /// Call counters and latencies derived from the agent's protocol events.
    pub calls: CallSummary,
    /// The configuration revision the host runs; none before the first configuration is applied.
    pub config: Option<ConfigRevision>,
    /// The machine the host agent runs on (CPU, memory, load, uptime, the state directory's
    /// filesystem), sampled on the host's metrics interval; none when it was not sampled yet.
    #[serde(default)]
    pub machine: Option<MachineSample>,
    /// The host agent's package version (none from a host agent that does not say).
    #[serde(default)]
    pub agent_version: Option<String>,
    /// The health of the agent's log.
    #[serde(default)]
    pub logs: LogSummary,
}

/// The health of the agent's log: lines its shim could not write (a full disk) are counted,
/// never silently lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LogSummary {
    /// Lines the agent wrote that could not be stored, since this host agent started.
    pub lines_dropped: u64,
    /// Of those, the ones dropped in the last 5 minutes (an alert fires while this is above 0).
    pub lines_dropped_5m: u64,
}

/// Revision metadata sent with a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionMeta {
    /// The revision number; the host's current one plus one when absent.
    pub revision: Option<u64>,
    /// Who changes it: a user or token name, recorded in the revision.
    pub author: String,
    /// Why, in the author's words (may be empty).
    pub message: String,
}

/// How an applied configuration reached the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplyAction {
    /// Stored; the agent is not running, or nothing changed.
    Stored,
    /// Sent SIGHUP (`runtime.reload = "signal"` and no `runtime` field changed).
    Reloaded,
    /// Drained and restarted.
    Restarted,
}

/// The outcome of applying a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppliedConfig {
    /// The revision stored.
    pub revision: ConfigRevision,
    /// How it reached the agent.
    pub action: ApplyAction,
    /// Validation warnings (errors refuse the document).
    pub warnings: Vec<crate::config::Issue>,
}

/// Which log lines to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogQuery {
    /// The last `n` lines.
    Tail {
        /// How many lines, at most.
        n: usize,
        /// Which of stdout and stderr.
        stream: StreamFilter,
    },
    /// Up to `limit` lines after sequence number `cursor`.
    After {
        /// The sequence number of the last line already read ([`LogLine::seq`]); 0 to read from
        /// the oldest line kept.
        cursor: u64,
        /// How many lines, at most.
        limit: usize,
        /// Which of stdout and stderr.
        stream: StreamFilter,
    },
}

/// Something that happened on a host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HostEvent {
    /// The agent's process state changed.
    StateChanged {
        /// When, in milliseconds since the Unix epoch.
        at_ms: u64,
        /// The state before.
        from: ProcessState,
        /// The state now.
        to: ProcessState,
        /// Why, when it is news: a failed spawn names its cause here (`cannot start …: working
        /// directory /opt/voice-agent does not exist`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An instance of the agent ended (whatever the state it moves to next).
    Exited {
        /// When, in milliseconds since the Unix epoch.
        at_ms: u64,
        /// Its exit code; none when a signal ended it.
        code: Option<i32>,
        /// The signal that ended it; none when it exited with a code.
        signal: Option<i32>,
    },
    /// The agent failed to start 5 or more times in a row: it is retried with backoff, never given
    /// up.
    CrashLoop {
        /// When, in milliseconds since the Unix epoch.
        at_ms: u64,
        /// Failed starts in a row, so far.
        consecutive_failures: u32,
        /// Milliseconds until the next attempt.
        next_restart_in_ms: u64,
        /// The last start's error, when it could not be spawned at all.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_error: Option<String>,
    },
    /// A configuration was applied.
    ConfigApplied {
        /// When, in milliseconds since the Unix epoch.
        at_ms: u64,
        /// Its revision number.
        revision: u64,
        /// Its hash: `sha256:<hex>` of the document's canonical JSON.
        hash: String,
        /// How it reached the agent.
        action: ApplyAction,
    },
    /// The agent's process group went over `runtime.memory_limit_mb`: reported once, and the agent
    /// is drain-restarted once no call is active.
    MemoryLimit {
        /// When, in milliseconds since the Unix epoch.
        at_ms: u64,
        /// The group's resident memory in that sample, in bytes.
        rss_bytes: u64,
        /// The limit, in bytes.
        limit_bytes: u64,
    },
    /// A gap: the subscriber lost events (it read too slowly, or a remote stream reconnected and
    /// the host could not replay what it missed). `missed` is how many, when known. The host
    /// never emits it itself; a subscriber that sees it re-reads the status. An in-process
    /// receiver learns the same from `RecvError::Lagged`.
    Lagged {
        /// When the subscriber noticed, in milliseconds since the Unix epoch.
        at_ms: u64,
        /// How many events were lost; none when the subscriber cannot tell.
        missed: Option<u64>,
    },
}

/// One customer's host: its voice agent, configuration, secrets, logs and metrics.
#[async_trait::async_trait]
pub trait Host: Send + Sync {
    /// The host's current status; never changes anything.
    async fn status(&self) -> Result<HostStatus>;
    /// Starts the agent; answers once it is `running` (or failed into `backoff`, `crash_loop` or
    /// `exited`: look at the returned state and [`HostStatus::last_error`]). Forgets earlier failed
    /// starts. Fails with [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) when the agent is
    /// already running or stopping, when no configuration was applied yet, or while another start,
    /// stop, drain or restart is in progress.
    async fn start(&self) -> Result<HostStatus>;
    /// Drain (SIGTERM, wait for calls to end) then kill what is left; ends `stopped`.
    async fn stop(&self, options: StopOptions) -> Result<HostStatus>;
    /// Stops (like [`Host::stop`], with its timeout) then starts again; answers once started, like
    /// [`Host::start`]. An agent without a process (stopped, exited, in backoff) is simply started.
    /// Conflict while another control request is in progress.
    async fn restart(&self, options: StopOptions) -> Result<HostStatus>;
    /// Like stop, but once calls end the agent may take until the timeout to exit on its own.
    async fn drain(&self, options: StopOptions) -> Result<HostStatus>;
    /// The applied configuration document and its revision; none before the first one.
    async fn config(&self) -> Result<Option<(ConfigDocument, ConfigRevision)>>;
    /// Validate against the host's secrets, write atomically, then reload or drain-restart.
    async fn apply_config(&self, document: ConfigDocument, meta: RevisionMeta) -> Result<AppliedConfig>;
    /// Stores secret `name` (1-64 of `a-z`, `0-9`, `_`) on the host. The agent sees a secret in its
    /// environment from its next start: a configuration applied after the change drain-restarts it.
    /// Invalid input for a bad name.
    async fn set_secret(&self, name: &str, value: &str) -> Result<()>;
    /// Deletes secret `name`. Not found when it does not exist; conflict while the applied
    /// configuration references it (apply one that does not first).
    async fn delete_secret(&self, name: &str) -> Result<()>;
    /// The names of the host's secrets, sorted; values are never read back.
    async fn secret_names(&self) -> Result<Vec<String>>;
    /// Checks the provider keys the applied configuration uses (or `only` that secret) with one
    /// cheap authenticated read at each provider, from the host: values never leave it.
    async fn check_keys(&self, only: Option<&str>) -> Result<Vec<crate::keycheck::KeyCheck>>;
    /// Lines of the agent's log (stdout and stderr, as the shim stored them), oldest first.
    async fn logs(&self, query: LogQuery) -> Result<Vec<LogLine>>;
    /// The resource samples kept since `since_ms` (milliseconds since the Unix epoch), oldest
    /// first; 0 for the whole history the host keeps.
    async fn metrics_history(&self, since_ms: u64) -> Result<Vec<MetricsSample>>;
    /// Live events; a slow receiver misses events (it is told by a lag error), never blocks.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<HostEvent>;
    /// Entries of the host's audit file after sequence number `after`, at most `limit`: who
    /// asked each change of the host, and each refused request. A host that keeps no such file
    /// (the in-process supervisor: the file is its HTTP server's) answers not found.
    async fn audit(&self, after: u64, limit: u32) -> Result<crate::host_audit::HostAuditPage> {
        let _ = (after, limit);
        Err(no_audit_file())
    }
    /// The host's check of its audit file's hash chain.
    async fn verify_audit(&self) -> Result<crate::host_audit::HostAuditVerification> {
        Err(no_audit_file())
    }
    /// What this host itself would refuse or warn about in a document, beyond the document's
    /// own rules: a `runtime.user` it does not have or cannot become (errors), a program or
    /// working directory missing here (warnings). None by default.
    fn host_issues(&self, runtime: &crate::config::Runtime) -> Vec<crate::config::Issue> {
        let _ = runtime;
        Vec::new()
    }
}

/// The answer of a host that keeps no audit file.
fn no_audit_file() -> crate::error::Error {
    crate::error::Error::Unavailable {
        message: "this host keeps no audit file (a host agent keeps one in STATE/audit.log)".to_owned(),
    }
}
