//! The host-fleet simulator: N host APIs in one process, each on its own loopback port, served
//! by the real host router (`voicefleet_http::host::router`: real HTTP, real token checks, real
//! SSE with event ids) over a [`SimHost`] — a cheap in-memory [`Host`] whose agent "runs",
//! stops, restarts and crashes on request, emitting the same events as the supervisor. A
//! thousand of them fit on a 2-core machine; `examples/host_sim.rs` serves them from a process
//! of their own.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use voicefleet_core::Result;
use voicefleet_core::config::ConfigDocument;
use voicefleet_core::host::{
    AppliedConfig, ApplyAction, CallSummary, ConfigRevision, ExitInfo, Host, HostEvent, HostStatus, LogQuery,
    MetricsSample, RevisionMeta, StopOptions,
};
use voicefleet_core::lifecycle::ProcessState;
use voicefleet_core::logs::LogLine;
use voicefleet_http::host::HostApiOptions;

/// PIDs handed to simulated agents (never real processes; far above the usual pid_max).
static NEXT_PID: AtomicI32 = AtomicI32::new(10_000_000);

#[derive(Debug)]
struct SimState {
    status: HostStatus,
    /// When the running instance started (its uptime counts from it), ms since the epoch.
    instance_started_ms: u64,
    config: Option<(ConfigDocument, ConfigRevision)>,
    secrets: BTreeMap<String, String>,
}

/// One simulated host: its agent starts running.
#[derive(Debug)]
pub struct SimHost {
    state: Mutex<SimState>,
    events: broadcast::Sender<HostEvent>,
    clock: voicefleet_core::clock::SharedClock,
    /// Restarts asked of this host (through its API: a replayed operation id is not one).
    restart_requests: std::sync::atomic::AtomicU64,
}

impl SimHost {
    pub fn new(customer_id: &str) -> Arc<SimHost> {
        let (events, _) = broadcast::channel(64);
        let status = HostStatus {
            customer_id: customer_id.to_owned(),
            state: ProcessState::Running,
            pid: Some(NEXT_PID.fetch_add(1, Ordering::Relaxed)),
            uptime_seconds: Some(1.0),
            restarts: 0,
            consecutive_failures: 0,
            next_restart_in_ms: None,
            last_exit: None,
            last_error: None,
            resources: Some(MetricsSample {
                rss_bytes: 50 << 20,
                threads: 4,
                processes: 1,
                ..Default::default()
            }),
            calls: CallSummary::default(),
            config: None,
            machine: None,
            agent_version: None,
            logs: Default::default(),
        };
        let clock = voicefleet_core::clock::system();
        let instance_started_ms = clock.now_ms().saturating_sub(1_000);
        Arc::new(SimHost {
            state: Mutex::new(SimState {
                status,
                instance_started_ms,
                config: None,
                secrets: BTreeMap::new(),
            }),
            events,
            clock,
            restart_requests: Default::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_state(&self, state: &mut SimState, to: ProcessState) {
        let from = state.status.state;
        state.status.state = to;
        let _ =
            self.events.send(HostEvent::StateChanged { at_ms: self.clock.now_ms(), from, to, reason: None });
    }

    /// The agent dies of SIGKILL and is restarted at once, as the supervisor does after a
    /// healthy run: `exited`, `starting`, `running` with a new PID and one more restart.
    pub fn crash(&self) -> i32 {
        let mut state = self.lock();
        let at_ms = self.clock.now_ms();
        state.status.last_exit = Some(ExitInfo { code: None, signal: Some(9), at_ms });
        let _ = self.events.send(HostEvent::Exited { at_ms, code: None, signal: Some(9) });
        state.status.restarts += 1;
        state.status.pid = Some(NEXT_PID.fetch_add(1, Ordering::Relaxed));
        state.instance_started_ms = at_ms;
        self.set_state(&mut state, ProcessState::Starting);
        self.set_state(&mut state, ProcessState::Running);
        state.status.pid.unwrap_or_default()
    }

    /// The agent's status as the host holds it now (its PID, its state).
    pub fn status_now(&self) -> HostStatus {
        self.lock().status.clone()
    }

    /// Restarts asked of this host so far.
    pub fn restart_requests(&self) -> u64 {
        self.restart_requests.load(Ordering::SeqCst)
    }

    /// Subscribers of this host's events (the host API's recorder counts as one).
    pub fn subscribers(&self) -> usize {
        self.events.receiver_count()
    }

    fn run_again(&self, stop_first: bool) -> HostStatus {
        let mut state = self.lock();
        if stop_first && state.status.state == ProcessState::Running {
            self.set_state(&mut state, ProcessState::Stopping);
            let _ = self.events.send(HostEvent::Exited {
                at_ms: self.clock.now_ms(),
                code: Some(0),
                signal: None,
            });
        }
        state.status.pid = Some(NEXT_PID.fetch_add(1, Ordering::Relaxed));
        state.instance_started_ms = self.clock.now_ms();
        if state.status.state != ProcessState::Running {
            self.set_state(&mut state, ProcessState::Starting);
            self.set_state(&mut state, ProcessState::Running);
        }
        state.status.clone()
    }

    fn halt(&self) -> HostStatus {
        let mut state = self.lock();
        if state.status.state != ProcessState::Stopped {
            self.set_state(&mut state, ProcessState::Stopping);
            let _ = self.events.send(HostEvent::Exited {
                at_ms: self.clock.now_ms(),
                code: Some(0),
                signal: None,
            });
            self.set_state(&mut state, ProcessState::Stopped);
        }
        state.status.pid = None;
        state.status.clone()
    }
}

#[async_trait::async_trait]
impl Host for SimHost {
    async fn status(&self) -> Result<HostStatus> {
        let state = self.lock();
        let mut status = state.status.clone();
        // The running instance's age, as a supervisor reports it.
        let up_ms = self.clock.now_ms().saturating_sub(state.instance_started_ms);
        status.uptime_seconds = status.pid.map(|_| up_ms as f64 / 1000.0);
        Ok(status)
    }
    async fn start(&self) -> Result<HostStatus> {
        Ok(self.run_again(false))
    }
    async fn stop(&self, _: StopOptions) -> Result<HostStatus> {
        Ok(self.halt())
    }
    async fn restart(&self, _: StopOptions) -> Result<HostStatus> {
        self.restart_requests.fetch_add(1, Ordering::SeqCst);
        Ok(self.run_again(true))
    }
    async fn drain(&self, _: StopOptions) -> Result<HostStatus> {
        Ok(self.halt())
    }
    async fn config(&self) -> Result<Option<(ConfigDocument, ConfigRevision)>> {
        Ok(self.lock().config.clone())
    }
    async fn apply_config(&self, document: ConfigDocument, meta: RevisionMeta) -> Result<AppliedConfig> {
        let mut state = self.lock();
        let number =
            meta.revision.unwrap_or_else(|| state.config.as_ref().map_or(1, |(_, r)| r.revision + 1));
        let revision = ConfigRevision {
            revision: number,
            hash: document.content_hash(),
            applied_at_ms: self.clock.now_ms(),
            author: meta.author,
            message: meta.message,
        };
        state.status.config = Some(revision.clone());
        state.config = Some((document, revision.clone()));
        let _ = self.events.send(HostEvent::ConfigApplied {
            at_ms: revision.applied_at_ms,
            revision: number,
            hash: revision.hash.clone(),
            action: ApplyAction::Stored,
        });
        Ok(AppliedConfig { revision, action: ApplyAction::Stored, warnings: Vec::new() })
    }
    async fn set_secret(&self, name: &str, value: &str) -> Result<()> {
        self.lock().secrets.insert(name.to_owned(), value.to_owned());
        Ok(())
    }
    async fn delete_secret(&self, name: &str) -> Result<()> {
        self.lock().secrets.remove(name);
        Ok(())
    }
    async fn secret_names(&self) -> Result<Vec<String>> {
        Ok(self.lock().secrets.keys().cloned().collect())
    }
    async fn check_keys(&self, _: Option<&str>) -> Result<Vec<voicefleet_core::keycheck::KeyCheck>> {
        Err(voicefleet_core::Error::Unavailable { message: "a simulated host checks no keys".into() })
    }
    async fn logs(&self, _: LogQuery) -> Result<Vec<LogLine>> {
        Ok(Vec::new())
    }
    async fn metrics_history(&self, _: u64) -> Result<Vec<MetricsSample>> {
        Ok(Vec::new())
    }
    fn subscribe(&self) -> broadcast::Receiver<HostEvent> {
        self.events.subscribe()
    }
}

/// One simulated host served on loopback.
#[derive(Debug)]
pub struct SimServed {
    pub customer_id: String,
    pub endpoint: String,
    pub host: Arc<SimHost>,
    handle: axum_server::Handle,
}

/// N simulated hosts, each behind the real host API on its own loopback port.
#[derive(Debug)]
pub struct SimFleet {
    pub hosts: Vec<SimServed>,
}

impl SimFleet {
    /// Serves `count` hosts named `{prefix}-0000`… trusting `console_public_key` (PEM).
    pub async fn start(count: usize, prefix: &str, console_public_key: &str) -> Result<SimFleet> {
        let mut hosts = Vec::with_capacity(count);
        for index in 0..count {
            let customer_id = format!("{prefix}-{index:04}");
            let host = SimHost::new(&customer_id);
            let options = HostApiOptions {
                customer_id: customer_id.clone(),
                admin_token: voicefleet_core::random::hex::<16>()?,
                console_public_key: Some(console_public_key.as_bytes().to_vec()),
                console_keys_file: None,
                audit_file: None,
                rate_limit: 10_000,
                clock: voicefleet_core::clock::system(),
            };
            let app = voicefleet_http::host::router(host.clone(), options)?;
            let listener = voicefleet_http::bind(([127, 0, 0, 1], 0).into())?;
            let address = listener.local_addr().map_err(|e| voicefleet_core::Error::io("no address", e))?;
            let (handle, _task) =
                voicefleet_http::spawn_server(listener, None, &Default::default(), app).await?;
            hosts.push(SimServed { customer_id, endpoint: format!("http://{address}"), host, handle });
        }
        Ok(SimFleet { hosts })
    }

    /// Hosts with at least one event stream open (the host API subscribes on the first).
    pub fn streamed(&self) -> usize {
        self.hosts.iter().filter(|h| h.host.subscribers() > 0).count()
    }

    pub fn shutdown(self) {
        for served in self.hosts {
            served.handle.shutdown();
        }
    }
}
