//! Observation: reading the agent's new log lines (its events), sampling the process group's
//! resources, and building the status snapshot. Nothing here changes the agent.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::procfs;
use crate::host::{CallSummary, ConfigRevision, ExitInfo, HostStatus, LogSummary, MetricsSample};
use crate::lifecycle::ProcessState;
use crate::logs::{LogFiles, LogFollower, Stream};
use crate::protocol::{AgentEvent, CallStats, LatencySummary, LineKind, parse_line};

/// Metric samples kept in memory: one hour at one per second.
pub(super) const METRICS_HISTORY: usize = 3600;

/// Latency percentiles and error rate, recomputed at most once a second: a status request must
/// not sort an hour of samples.
struct CallFigures {
    at: Instant,
    latency_5m: LatencySummary,
    latency_1h: LatencySummary,
    error_rate_5m: f64,
}

/// What new log lines told.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LogNews {
    /// The current instance said `ready`.
    pub(super) ready: bool,
    /// They held events (or malformed ones): the status changed.
    pub(super) events: bool,
}

/// What the actor knows that a status snapshot shows.
pub(super) struct StatusFacts<'a> {
    pub(super) customer_id: &'a str,
    pub(super) state: ProcessState,
    pub(super) pid: Option<i32>,
    pub(super) spawned_at_ms: Option<u64>,
    pub(super) restarts: u64,
    pub(super) consecutive_failures: u32,
    pub(super) retry_at: Option<Instant>,
    pub(super) last_exit: Option<ExitInfo>,
    pub(super) last_error: Option<String>,
    pub(super) config: Option<ConfigRevision>,
    pub(super) now_ms: u64,
}

/// The agent's events and resources, as read from its log and from `/proc`.
pub(super) struct Observer {
    follower: LogFollower,
    stats: CallStats,
    cpu_baseline: Option<(Instant, u64)>,
    group: procfs::GroupSampler,
    latest: Option<MetricsSample>,
    next_sample: Instant,
    ticks_per_second: u64,
    call_figures: Option<CallFigures>,
    dropped: DroppedLines,
}

/// How long dropped lines count as recent (`logs.lines_dropped_5m`).
const DROPPED_WINDOW_MS: u64 = 5 * 60 * 1000;

/// Lines the shims could not write, as they report them in `RUN_DIR/log_dropped`.
struct DroppedLines {
    file: PathBuf,
    /// The sum over instances that ended.
    ended: u64,
    /// The running instance's count.
    current: u64,
    /// `(at_ms, total)` whenever the total grew, for the recent count; bounded.
    growth: VecDeque<(u64, u64)>,
    /// The total of the last entry dropped from `growth`.
    forgotten: u64,
}

impl DroppedLines {
    fn read(&self) -> u64 {
        std::fs::read_to_string(&self.file).ok().and_then(|text| text.trim().parse().ok()).unwrap_or(0)
    }

    fn total(&self) -> u64 {
        self.ended + self.current
    }

    fn refresh(&mut self, now_ms: u64) {
        let current = self.read();
        if current > self.current {
            self.current = current;
            self.grew(now_ms);
        }
    }

    fn grew(&mut self, now_ms: u64) {
        if self.growth.len() >= 1024
            && let Some((_, total)) = self.growth.pop_front()
        {
            self.forgotten = total;
        }
        self.growth.push_back((now_ms, self.total()));
    }

    /// The final count of the instance that ended; the next one starts from 0.
    fn instance_ended(&mut self, now_ms: u64) {
        self.refresh(now_ms);
        self.ended += self.current;
        self.current = 0;
        let _ = std::fs::remove_file(&self.file);
    }

    fn summary(&self, now_ms: u64) -> LogSummary {
        let total = self.total();
        let since = now_ms.saturating_sub(DROPPED_WINDOW_MS);
        // The total just before the window: the last growth before it (0 when none).
        let before =
            self.growth.iter().take_while(|(at, _)| *at < since).last().map_or(self.forgotten, |(_, t)| *t);
        LogSummary { lines_dropped: total, lines_dropped_5m: total.saturating_sub(before) }
    }
}

impl Observer {
    /// Follows the log from after `cursor`; `dropped_file` is where the shim counts the lines
    /// it could not write.
    pub(super) fn new(files: LogFiles, cursor: u64, dropped_file: PathBuf) -> Self {
        let dropped =
            DroppedLines { file: dropped_file, ended: 0, current: 0, growth: VecDeque::new(), forgotten: 0 };
        Self {
            dropped,
            follower: LogFollower::new(files, cursor),
            stats: CallStats::default(),
            cpu_baseline: None,
            group: procfs::GroupSampler::default(),
            latest: None,
            next_sample: Instant::now(),
            ticks_per_second: procfs::clock_ticks_per_second(),
            call_figures: None,
        }
    }

    /// Reads the log again from `first_seq` (an adopted instance's lines: readiness and calls in
    /// progress come back).
    pub(super) fn replay_from(&mut self, files: LogFiles, first_seq: u64) {
        self.follower = LogFollower::new(files, first_seq.saturating_sub(1));
        self.dropped.current = self.dropped.read();
    }

    pub(super) fn active_calls(&self) -> usize {
        self.stats.active_calls()
    }

    pub(super) fn latest(&self) -> Option<MetricsSample> {
        self.latest
    }

    /// A new instance: its CPU is measured from scratch.
    pub(super) fn instance_started(&mut self) {
        self.cpu_baseline = None;
        self.dropped.current = 0;
    }

    /// The instance ended: no call is active and no resource figure holds.
    pub(super) fn instance_ended(&mut self, now_ms: u64) {
        self.dropped.instance_ended(now_ms);
        self.stats.clear_active();
        self.latest = None;
    }

    /// Forgets the cached call figures: the next status computes them afresh (an instance's last
    /// lines were just read, and no later status may come to refresh them).
    pub(super) fn refresh_call_figures(&mut self) {
        self.call_figures = None;
    }

    /// When the next resource sample is due.
    pub(super) fn next_sample(&self) -> Instant {
        self.next_sample
    }

    /// Reads new log lines: whether they held events, and whether the current instance (whose
    /// first line is `current_first_seq`) said `ready` among them. A line from before the
    /// current instance belongs to one that is gone: its `ready` and `call_started` do not count.
    pub(super) fn poll_logs(&mut self, current_first_seq: Option<u64>, now_ms: u64) -> LogNews {
        let Ok(lines) = self.follower.poll() else { return LogNews::default() };
        let mut ready = false;
        let mut events = false;
        for line in lines {
            if line.stream != Stream::Stdout {
                continue;
            }
            let current = current_first_seq.is_some_and(|first| line.seq >= first);
            match parse_line(&line.text) {
                LineKind::Event(event) => {
                    events = true;
                    ready |= event == AgentEvent::Ready && current;
                    self.stats.record(&event, now_ms);
                    if let (AgentEvent::CallStarted { call_id }, false) = (&event, current) {
                        self.stats.forget_call(call_id);
                    }
                }
                LineKind::Malformed { .. } => {
                    events = true;
                    self.stats.malformed_events += 1;
                }
                LineKind::Plain => {}
            }
        }
        LogNews { ready, events }
    }

    /// Samples the group `pgid` when a sample is due, into `history`; returns the new sample.
    pub(super) fn sample(
        &mut self,
        pgid: Option<i32>,
        now_ms: u64,
        interval: Duration,
        history: &Mutex<VecDeque<MetricsSample>>,
    ) -> Option<MetricsSample> {
        let now = Instant::now();
        if now < self.next_sample {
            return None;
        }
        self.next_sample = now + interval;
        let pgid = pgid?;
        self.dropped.refresh(now_ms);
        let usage = self.group.usage(pgid);
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
            at_ms: now_ms,
            cpu_percent,
            rss_bytes: usage.rss_bytes,
            threads: usage.threads,
            open_files: usage.open_files,
            processes: usage.processes,
            active_calls: self.stats.active_calls() as u64,
            // The status's call figures: at most a second old, computed once for both.
            error_rate: self.call_figures.as_ref().map_or(0.0, |f| f.error_rate_5m),
            p95_e2e_ms: self.call_figures.as_ref().and_then(|f| f.latency_5m.e2e_ms).map(|p| p.p95),
            // The machine's figures are joined in when read (`hostinfo`).
            machine: None,
        };
        self.latest = Some(sample);
        let mut history = history.lock().unwrap_or_else(|p| p.into_inner());
        if history.len() >= METRICS_HISTORY {
            history.pop_front();
        }
        history.push_back(sample);
        Some(sample)
    }

    /// The status snapshot.
    pub(super) fn status(&mut self, facts: StatusFacts<'_>) -> HostStatus {
        let now = facts.now_ms;
        if self.call_figures.as_ref().is_none_or(|f| f.at.elapsed() >= Duration::from_secs(1)) {
            self.call_figures = Some(CallFigures {
                at: Instant::now(),
                latency_5m: self.stats.latency(now, 5 * 60 * 1000),
                latency_1h: self.stats.latency(now, 60 * 60 * 1000),
                error_rate_5m: self.stats.error_rate(now, 5 * 60 * 1000),
            });
        }
        let (latency_5m, latency_1h, error_rate_5m) = self
            .call_figures
            .as_ref()
            .map(|f| (f.latency_5m, f.latency_1h, f.error_rate_5m))
            .unwrap_or_default();
        HostStatus {
            customer_id: facts.customer_id.to_owned(),
            state: facts.state,
            pid: facts.pid,
            uptime_seconds: facts.spawned_at_ms.map(|at| now.saturating_sub(at) as f64 / 1000.0),
            restarts: facts.restarts,
            consecutive_failures: facts.consecutive_failures,
            next_restart_in_ms: facts
                .retry_at
                .map(|at| at.saturating_duration_since(Instant::now()).as_millis() as u64),
            last_exit: facts.last_exit,
            last_error: facts.last_error,
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
            config: facts.config,
            // Filled by the handle when read (`hostinfo` samples the machine on its own timer).
            machine: None,
            agent_version: None,
            logs: self.dropped.summary(now),
        }
    }
}

/// A process recognised for sure: its PID and its start time (a reused PID has another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessIdentity {
    /// The process id.
    pub pid: i32,
    /// Its start time in clock ticks since boot (`/proc/PID/stat` field 22).
    pub start_time: u64,
}

impl ProcessIdentity {
    /// True while this very process is alive (not a zombie).
    pub fn is_alive(&self) -> bool {
        procfs::is_same_process(self.pid, self.start_time)
    }
}

/// The shim of the instance described by `child` and every live member of its agent's group.
pub(super) fn instance_processes(child: Option<super::shim::ChildInfo>) -> Vec<ProcessIdentity> {
    let Some(child) = child else { return Vec::new() };
    let mut processes = vec![ProcessIdentity { pid: child.shim_pid, start_time: child.shim_start_time }];
    processes.extend(
        procfs::group_members(child.pgid)
            .into_iter()
            .map(|(pid, stat)| ProcessIdentity { pid, start_time: stat.start_time }),
    );
    processes.retain(ProcessIdentity::is_alive);
    processes
}
