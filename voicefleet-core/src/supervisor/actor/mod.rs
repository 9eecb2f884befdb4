//! The actor: one task owns all of a supervisor's mutable state. Requests arrive over a channel,
//! the shim's end from a pidfd, new log lines from inotify, and the timers at their deadlines:
//! an idle supervisor does not wake. Decisions
//! come from `lifecycle` (pure); this module carries them out.

mod configure;
mod control;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::sync::{mpsc, oneshot};

use super::launch::{self, reap};
use super::observe::{Observer, StatusFacts};
use super::procfs;
use super::shim::{ChildInfo, DROPPED_FILE, ExitRecord};
use super::state_dir::{Loaded, Persisted, read_json};
use super::wake::LogWatch;
use super::{Request, Shared, SupervisorOptions};
use crate::error::{Error, Result};
use crate::host::{ExitInfo, HostEvent, HostStatus};
use crate::lifecycle::{
    Action, Drain, DrainVerdict, Event, MemoryFacts, Outcome, ProcessState, RestartContext, RestartDecision,
    RestartSettings, RestartTracker, RunEnd, memory_verdict, ready_by_time, run_was_healthy, transition,
};

/// The longest an idle actor sleeps with nothing due.
const IDLE_WAKE: Duration = Duration::from_secs(60);

/// The running instance.
struct Instance {
    info: ChildInfo,
    spawned: Instant,
    /// It emitted `ready`.
    ready_event: bool,
}

/// What a waiting control request is waiting for.
enum Waiter {
    /// Start: running, or a failure state.
    Started(oneshot::Sender<Result<HostStatus>>),
    /// Stop and drain: stopped.
    Stopped(oneshot::Sender<Result<HostStatus>>),
}

pub(super) struct Actor {
    options: SupervisorOptions,
    shared: Arc<Shared>,
    requests: mpsc::Sender<Request>,
    state: ProcessState,
    /// Why the next state change happens, when it is news (a failed spawn's cause).
    next_reason: Option<String>,
    instance: Option<Instance>,
    restarts: RestartTracker,
    /// The decision for the instance that just ended, carried out by `ScheduleRetry`.
    pending_restart: Option<RestartDecision>,
    retry_at: Option<Instant>,
    drain: Option<Drain>,
    /// The timeout and grace of the next `Terminate`.
    pending_drain: Option<(Duration, Option<Duration>)>,
    start_after_stop: bool,
    waiters: Vec<Waiter>,
    queue: VecDeque<Event>,
    observer: Observer,
    persisted: Persisted,
    last_exit: Option<ExitInfo>,
    last_error: Option<String>,
    config: Option<Loaded>,
    memory_reported: bool,
    /// Why the shim could not run, for the starts waiting (answered with it, as an error).
    start_error: Option<String>,
}

fn restart_settings(options: &SupervisorOptions, config: Option<&Loaded>) -> RestartSettings {
    let max_backoff = config.map(|c| c.spec.max_backoff).unwrap_or(Duration::from_secs(60));
    RestartSettings {
        initial: options.backoff_initial,
        max: max_backoff.max(options.backoff_initial),
        ..RestartSettings::default()
    }
}

/// A random number in [0, 1) for the backoff's jitter.
fn jitter_unit() -> f64 {
    crate::random::bytes::<8>()
        .map(|b| (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64)
        .unwrap_or(0.5)
}

impl Actor {
    pub(super) fn new(
        options: SupervisorOptions,
        shared: Arc<Shared>,
        requests: mpsc::Sender<Request>,
    ) -> Result<Self> {
        let config = match &options.process {
            // A process given without a document: the state directory's document is not read.
            Some(spec) => Some(Loaded::process(spec.clone())),
            None => shared.paths.read_config(options.clock.now_ms())?,
        };
        // An agent already running as `runtime.user` keeps its passage to its own files.
        crate::supervisor::agent_user::open_state(
            &shared.paths,
            config.as_ref(),
            options.default_agent_user.as_deref(),
        );
        let restarts = RestartTracker::new(restart_settings(&options, config.as_ref()));
        let last_seq = shared.files.last_seq().unwrap_or(0);
        Ok(Self {
            observer: Observer::new(shared.files.clone(), last_seq, shared.paths.run.join(DROPPED_FILE)),
            persisted: shared.paths.read_persisted(),
            options,
            shared,
            requests,
            state: ProcessState::Stopped,
            next_reason: None,
            instance: None,
            restarts,
            pending_restart: None,
            retry_at: None,
            drain: None,
            pending_drain: None,
            start_after_stop: false,
            waiters: Vec::new(),
            queue: VecDeque::new(),
            last_exit: None,
            last_error: None,
            config,
            memory_reported: false,
            start_error: None,
        })
    }

    /// Adopts a still-running agent, or starts one that should be running.
    pub(super) async fn recover(&mut self) {
        let child: Option<ChildInfo> = read_json(&self.shared.paths.child());
        if let Some(info) = child {
            let shim_alive = procfs::is_same_process(info.shim_pid, info.shim_start_time);
            let agent_alive = procfs::is_same_process(info.pid, info.start_time);
            if shim_alive && agent_alive {
                let age =
                    Duration::from_millis(self.options.clock.now_ms().saturating_sub(info.spawned_at_ms));
                let spawned = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
                // Replay this instance's lines: readiness and calls in progress come back.
                self.observer.replay_from(self.shared.files.clone(), info.first_seq);
                launch::watch(self.requests.clone(), info.shim_pid);
                self.instance = Some(Instance { info, spawned, ready_event: false });
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
            let _ = std::fs::remove_file(self.shared.paths.child());
        }
        if self.persisted.desired_running && self.config.is_some() {
            self.fire(Event::StartRequested).await;
        }
    }

    /// Sleeps until something happens: a request, the shim's end (its pidfd sends a request),
    /// the log growing (inotify), or a timer due ([`Actor::next_wake`]).
    pub(super) async fn run(mut self, mut receiver: mpsc::Receiver<Request>) {
        let mut logs = LogWatch::new(&self.shared.paths.logs);
        loop {
            let wake = self.next_wake(logs.is_active());
            tokio::select! {
                request = receiver.recv() => {
                    let Some(request) = request else { return };
                    if let Request::Shutdown { stop_agent, reply } = request {
                        if stop_agent && self.state.has_process() {
                            self.queue.push_back(Event::StopRequested);
                            self.process().await;
                            while self.state != ProcessState::Stopped {
                                let wake = self.next_wake(logs.is_active());
                                tokio::select! {
                                    Some(Request::ShimExited { shim_pid }) = receiver.recv() => self.on_shim_exited(shim_pid).await,
                                    () = logs.changed() => self.on_logs_changed().await,
                                    () = tokio::time::sleep_until(wake.into()) => self.on_tick().await,
                                }
                            }
                        }
                        let _ = reply.send(());
                        return;
                    }
                    self.handle(request).await;
                }
                () = logs.changed() => self.on_logs_changed().await,
                () = tokio::time::sleep_until(wake.into()) => self.on_tick().await,
            }
        }
    }

    /// When the next timer is due. A stop in progress is checked every tick (its drain waits
    /// for calls to end and for deadlines); otherwise only real deadlines wake the actor: a
    /// retry, a start's readiness by time, the next metrics sample. Without inotify the log is
    /// polled every tick.
    fn next_wake(&self, watching_logs: bool) -> Instant {
        let now = Instant::now();
        let tick = now + self.options.tick;
        if !watching_logs || self.state == ProcessState::Stopping || self.drain.is_some() {
            return tick;
        }
        let mut wake = now + IDLE_WAKE;
        if let Some(at) = self.retry_at {
            wake = wake.min(at);
        }
        if let Some(instance) = &self.instance {
            wake = wake.min(self.observer.next_sample());
            let ready_at = instance.spawned + Duration::from_secs_f64(self.start_seconds().max(0.0));
            // Once past, the tick at that moment has judged it: never a deadline in the past.
            if self.state == ProcessState::Starting && ready_at > now {
                wake = wake.min(ready_at);
            }
        }
        wake.max(now)
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::Status(reply) => {
                let _ = reply.send(self.status());
            }
            Request::Control { request, options, reply } => self.control(request, options, reply).await,
            Request::Config(reply) => {
                let applied =
                    self.config.as_ref().and_then(|c| Some((c.document.clone()?, c.revision.clone()?)));
                let _ = reply.send(applied);
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

    fn context(&self) -> RestartContext {
        let policy = self.config.as_ref().map(|c| c.spec.restart).unwrap_or_default();
        RestartContext { policy, crash_loop: self.pending_restart.is_some_and(|d| d.crash_loop) }
    }

    fn start_seconds(&self) -> f64 {
        self.config.as_ref().map(|c| c.spec.ready_after.as_secs_f64()).unwrap_or(1.0)
    }

    fn drain_timeout(&self) -> Duration {
        self.config.as_ref().map(|c| c.spec.stop_timeout).unwrap_or(Duration::from_secs(30))
    }

    fn set_desired(&mut self, running: bool) {
        if self.persisted.desired_running != running {
            self.persisted.desired_running = running;
            let _ = self.shared.paths.write_persisted(&self.persisted);
        }
    }

    fn emit(&self, event: HostEvent) {
        let _ = self.shared.events.send(event);
    }

    fn set_state(&mut self, next: ProcessState) {
        if next != self.state {
            let from = self.state;
            self.state = next;
            let reason = self.next_reason.take();
            // The snapshot first: whoever hears the event and asks for the status sees the new
            // state, never the one before it.
            self.publish_status();
            self.emit(HostEvent::StateChanged { at_ms: self.options.clock.now_ms(), from, to: next, reason });
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
            if matches!(event, Event::ProcessExited { .. } | Event::SpawnFailed) {
                self.pending_restart = None;
            }
            if self.state == ProcessState::Stopped && self.start_after_stop {
                self.start_after_stop = false;
                self.restarts.reset();
                self.queue.push_back(Event::StartRequested);
            }
        }
        self.resolve_waiters();
    }

    async fn perform(&mut self, action: Action) {
        match action {
            Action::Spawn => self.spawn().await,
            Action::ScheduleRetry => self.schedule_retry(),
            Action::CancelRetry => self.retry_at = None,
            Action::Terminate => {
                let (timeout, grace) = self
                    .pending_drain
                    .take()
                    .unwrap_or((self.drain_timeout(), Some(self.options.stop_grace)));
                if let Some(instance) = &self.instance {
                    let _ = killpg(Pid::from_raw(instance.info.pgid), Signal::SIGTERM);
                }
                self.drain = Some(Drain::new(Instant::now(), timeout, grace));
            }
            Action::KillGroup => {
                if let Some(instance) = &self.instance {
                    let _ = killpg(Pid::from_raw(instance.info.pgid), Signal::SIGKILL);
                }
            }
        }
    }

    fn schedule_retry(&mut self) {
        let now = Instant::now();
        let decision = self
            .pending_restart
            .take()
            .unwrap_or_else(|| self.restarts.decide(RunEnd::FailedStart, now, jitter_unit()));
        self.restarts.record(&decision, now);
        self.persisted.restarts += 1;
        // The count is news, not a promise: no flush to disk on the way to a restart.
        let _ = self.shared.paths.write_persisted_volatile(&self.persisted);
        if decision.crash_loop {
            self.emit(HostEvent::CrashLoop {
                at_ms: self.options.clock.now_ms(),
                consecutive_failures: decision.consecutive_failed_starts,
                next_restart_in_ms: decision.delay.as_millis() as u64,
                last_error: self.last_error.clone(),
            });
        }
        if decision.delay.is_zero() {
            self.retry_at = None;
            self.queue.push_back(Event::RetryDue);
        } else {
            self.retry_at = Some(now + decision.delay);
        }
    }

    async fn spawn(&mut self) {
        let Some(loaded) = &self.config else {
            self.spawn_failed(Error::NoConfiguration);
            return;
        };
        let secrets = launch::secrets_fingerprint(loaded, &self.shared.paths.read_secrets());
        match launch::launch(loaded, &self.shared.paths, &self.options).await {
            Ok(info) => {
                // What a later deploy compares with: a rotated secret needs a new instance.
                let _ = self.shared.paths.write_launched_secrets(secrets);
                launch::watch(self.requests.clone(), info.shim_pid);
                self.instance = Some(Instance { info, spawned: Instant::now(), ready_event: false });
                self.memory_reported = false;
                self.last_error = None;
                self.observer.instance_started();
            }
            Err(launch::LaunchError::Agent(error)) => self.spawn_failed(error),
            Err(launch::LaunchError::Shim(error)) => self.shim_failed(error),
        }
    }

    /// The shim could not run: retrying cannot help. A start waiting for this spawn gets the
    /// error once the events are processed, and the agent is stopped (still wanted running: the next open starts it).
    fn shim_failed(&mut self, error: Error) {
        self.start_error = Some(error.to_string());
        self.spawn_failed(error);
        self.queue.push_back(Event::StopRequested);
    }

    fn spawn_failed(&mut self, error: Error) {
        let message = error.to_string();
        self.last_exit = Some(ExitInfo { code: Some(127), signal: None, at_ms: self.options.clock.now_ms() });
        self.last_error = Some(message.clone());
        self.next_reason = Some(message);
        self.pending_restart = Some(self.restarts.decide(RunEnd::FailedStart, Instant::now(), jitter_unit()));
        self.queue.push_back(Event::SpawnFailed);
    }

    async fn on_shim_exited(&mut self, shim_pid: i32) {
        reap(shim_pid);
        let Some(instance) = &self.instance else { return };
        if instance.info.shim_pid != shim_pid {
            return;
        }
        // A requested stop answers with the final figures, and a run not known to be healthy
        // may have said `ready` in its last lines: read them first. After a healthy run the
        // restart comes first; its lines are read right after, told apart by sequence number.
        let stopping = self.state == ProcessState::Stopping;
        let start_seconds = self.start_seconds();
        let healthy_by_time =
            run_was_healthy(instance.ready_event, instance.spawned.elapsed(), start_seconds);
        if stopping || !healthy_by_time {
            self.poll_logs();
        }
        let Some(instance) = self.instance.take() else { return };
        let healthy = run_was_healthy(instance.ready_event, instance.spawned.elapsed(), start_seconds);
        let record: Option<ExitRecord> = read_json(&self.shared.paths.exit());
        let record = record.filter(|r| r.pid == instance.info.pid);
        let exit = ExitInfo {
            code: record.and_then(|r| r.code),
            signal: record.and_then(|r| r.signal),
            at_ms: record.map(|r| r.at_ms).unwrap_or_else(|| self.options.clock.now_ms()),
        };
        self.last_exit = Some(exit);
        self.observer.instance_ended(self.options.clock.now_ms());
        self.drain = None;
        self.emit(HostEvent::Exited { at_ms: exit.at_ms, code: exit.code, signal: exit.signal });
        let _ = std::fs::remove_file(self.shared.paths.child());
        if matches!(self.state, ProcessState::Starting | ProcessState::Running) {
            let end = if healthy { RunEnd::Healthy } else { RunEnd::FailedStart };
            self.pending_restart = Some(self.restarts.decide(end, Instant::now(), jitter_unit()));
        }
        self.queue.push_back(Event::ProcessExited { success: exit.code == Some(0) });
        if stopping {
            // The shim kills the rest of the group before it exits.
            self.queue.push_back(Event::GroupGone);
        }
        self.process().await;
        if !stopping {
            self.poll_logs();
            // The instance's last lines (its final calls) are in the status now; with no tick
            // to publish it later, publish it here, with its call figures computed afresh.
            self.observer.refresh_call_figures();
            self.publish_status();
        }
    }

    /// The log grew: new events (readiness, calls) are read at once.
    async fn on_logs_changed(&mut self) {
        if self.poll_logs() {
            self.check_drain();
            self.process().await;
            self.publish_status();
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
        self.shared.status.send_replace(Some((Instant::now(), status)));
    }

    /// Reads new log lines; true when they held events (the status changed).
    fn poll_logs(&mut self) -> bool {
        let current_first_seq = self.instance.as_ref().map(|i| i.info.first_seq);
        let news = self.observer.poll_logs(current_first_seq, self.options.clock.now_ms());
        if news.ready {
            if let Some(instance) = &mut self.instance {
                instance.ready_event = true;
            }
            self.queue.push_back(Event::Ready);
        }
        news.events
    }

    fn check_timers(&mut self) {
        if self.retry_at.is_some_and(|at| Instant::now() >= at) {
            self.retry_at = None;
            self.queue.push_back(Event::RetryDue);
        }
        if self.state == ProcessState::Starting
            && self
                .instance
                .as_ref()
                .is_some_and(|i| ready_by_time(i.spawned.elapsed(), self.start_seconds()))
        {
            self.queue.push_back(Event::Ready);
        }
    }

    fn check_drain(&mut self) {
        let active_calls = self.observer.active_calls();
        let (Some(drain), Some(instance)) = (&mut self.drain, &self.instance) else { return };
        if drain.check(Instant::now(), active_calls) == DrainVerdict::Kill {
            let _ = killpg(Pid::from_raw(instance.info.pgid), Signal::SIGKILL);
            self.drain = None;
        }
    }

    fn sample_metrics(&mut self) {
        let pgid = self.instance.as_ref().map(|i| i.info.pgid);
        let now_ms = self.options.clock.now_ms();
        self.observer.sample(pgid, now_ms, self.options.metrics_interval, &self.shared.metrics);
    }

    /// Over `memory_limit_mb`: report once, drain and restart once no call is active.
    fn check_memory(&mut self) {
        let Some(sample) = self.observer.latest() else { return };
        let limit_bytes =
            self.config.as_ref().and_then(|c| c.spec.memory_limit_mb).map(|mb| u64::from(mb) * 1024 * 1024);
        let verdict = memory_verdict(MemoryFacts {
            state: self.state,
            rss_bytes: sample.rss_bytes,
            limit_bytes,
            control_in_progress: !self.waiters.is_empty(),
            active_calls: self.observer.active_calls(),
            already_reported: self.memory_reported,
        });
        if verdict.report {
            self.memory_reported = true;
            self.emit(HostEvent::MemoryLimit {
                at_ms: self.options.clock.now_ms(),
                rss_bytes: sample.rss_bytes,
                limit_bytes: limit_bytes.unwrap_or_default(),
            });
        }
        if verdict.restart {
            self.start_after_stop = true;
            self.pending_drain = Some((self.drain_timeout(), Some(self.options.stop_grace)));
            self.queue.push_back(Event::StopRequested);
        }
    }

    fn status(&mut self) -> HostStatus {
        let instance = self.instance.as_ref();
        self.observer.status(StatusFacts {
            customer_id: self.options.customer_id.as_str(),
            state: self.state,
            pid: instance.map(|i| i.info.pid),
            spawned_at_ms: instance.map(|i| i.info.spawned_at_ms),
            restarts: self.persisted.restarts,
            // A restart decided but not yet scheduled already counts: the state it put the agent
            // in (`crash_loop` at the fifth) and the count are published together.
            consecutive_failures: self
                .pending_restart
                .map_or(self.restarts.consecutive_failed_starts(), |d| d.consecutive_failed_starts),
            retry_at: self.retry_at,
            last_exit: self.last_exit,
            last_error: self.last_error.clone(),
            config: self.config.as_ref().and_then(|c| c.revision.clone()),
            now_ms: self.options.clock.now_ms(),
        })
    }
}
