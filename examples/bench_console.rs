//! Console benchmark: status aggregation and a bulk restart over 1,000 simulated hosts.
//!
//! ```text
//! cargo run --release -p voicefleet-examples --example bench_console -- [HOSTS] [LATENCY_MS]
//! ```
//! Hosts are lightweight fakes behind the host trait, in process: each answers a status after
//! LATENCY_MS (default 2 ms, a loopback round trip with some work) and "restarts" in 20 ms (a
//! process spawn, drain excluded). The console is the real one, over a real SQLite database.
//! Prints the time for one full status pass and for a bulk restart with `max_concurrency 100`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use voicefleet_core::Result;
use voicefleet_core::auth::Role;
use voicefleet_core::config::ConfigDocument;
use voicefleet_core::console::{
    Actor, BulkAction, BulkSpec, Console, ConsoleOptions, CustomerRecord, Fleet, HostConnector, Limit,
    NewCustomer, RunOutcome, SecretBox, Selector, SqliteStore,
};
use voicefleet_core::host::{
    AppliedConfig, CallSummary, ConfigRevision, Host, HostEvent, HostStatus, LogQuery, MetricsSample,
    RevisionMeta, StopOptions,
};
use voicefleet_core::lifecycle::ProcessState;
use voicefleet_core::logs::LogLine;

struct FakeHost {
    id: String,
    latency: Duration,
    restarts: AtomicU64,
    events: tokio::sync::broadcast::Sender<HostEvent>,
}

impl FakeHost {
    fn status_now(&self) -> HostStatus {
        HostStatus {
            customer_id: self.id.clone(),
            state: ProcessState::Running,
            pid: Some(1000),
            uptime_seconds: Some(10.0),
            restarts: self.restarts.load(Ordering::Relaxed),
            consecutive_failures: 0,
            next_restart_in_ms: None,
            last_exit: None,
            last_error: None,
            resources: Some(MetricsSample {
                at_ms: 0,
                cpu_percent: 3.0,
                rss_bytes: 80 << 20,
                threads: 4,
                open_files: 12,
                processes: 1,
                active_calls: 2,
            }),
            calls: CallSummary::default(),
            config: None,
        }
    }
}

#[async_trait::async_trait]
impl Host for FakeHost {
    async fn status(&self) -> Result<HostStatus> {
        tokio::time::sleep(self.latency).await;
        Ok(self.status_now())
    }
    async fn start(&self) -> Result<HostStatus> {
        Ok(self.status_now())
    }
    async fn stop(&self, _: StopOptions) -> Result<HostStatus> {
        Ok(self.status_now())
    }
    async fn restart(&self, _: StopOptions) -> Result<HostStatus> {
        tokio::time::sleep(self.latency + Duration::from_millis(20)).await;
        self.restarts.fetch_add(1, Ordering::Relaxed);
        Ok(self.status_now())
    }
    async fn drain(&self, options: StopOptions) -> Result<HostStatus> {
        self.stop(options).await
    }
    async fn config(&self) -> Result<Option<(ConfigDocument, ConfigRevision)>> {
        Ok(None)
    }
    async fn apply_config(&self, _: ConfigDocument, _: RevisionMeta) -> Result<AppliedConfig> {
        unimplemented!("not part of this benchmark")
    }
    async fn set_secret(&self, _: &str, _: &str) -> Result<()> {
        Ok(())
    }
    async fn delete_secret(&self, _: &str) -> Result<()> {
        Ok(())
    }
    async fn secret_names(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    async fn logs(&self, _: LogQuery) -> Result<Vec<LogLine>> {
        Ok(Vec::new())
    }
    async fn metrics_history(&self, _: u64) -> Result<Vec<MetricsSample>> {
        Ok(Vec::new())
    }
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<HostEvent> {
        self.events.subscribe()
    }
}

struct FakeHosts {
    hosts: BTreeMap<String, Arc<FakeHost>>,
}

impl HostConnector for FakeHosts {
    fn connect(&self, customer: &CustomerRecord) -> Result<Arc<dyn Host>> {
        Ok(self.hosts[&customer.id].clone())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let latency = Duration::from_millis(args.next().map(|a| a.parse()).transpose()?.unwrap_or(2));
    let dir = std::env::temp_dir().join(format!("voicefleet-bench-console-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let hosts: BTreeMap<String, Arc<FakeHost>> = (0..count)
        .map(|index| {
            let id = format!("customer-{index:04}");
            let (events, _) = tokio::sync::broadcast::channel(1);
            (id.clone(), Arc::new(FakeHost { id, latency, restarts: AtomicU64::new(0), events }))
        })
        .collect();
    let store = Arc::new(SqliteStore::open(&dir.join("console.db"))?);
    let console = Console::new(
        store,
        Arc::new(FakeHosts { hosts: hosts.clone() }),
        SecretBox::new(&[1; 32]),
        ConsoleOptions::default(),
    );
    let admin = Actor::new("bench", Role::Admin);
    for id in hosts.keys() {
        console
            .add_customer(
                &admin,
                NewCustomer {
                    id: id.clone(),
                    name: String::new(),
                    endpoint: "http://127.0.0.1:1".into(),
                    tags: vec!["tier=prod".into()],
                },
            )
            .await?;
    }

    let mut passes = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let statuses = console.status(&admin, &Selector::All).await?;
        passes.push(started.elapsed());
        assert_eq!(statuses.len(), count);
        assert!(statuses.iter().all(|s| s.state == "running"));
    }
    passes.sort();

    let spec = BulkSpec {
        action: BulkAction::Restart,
        selector: Selector::All,
        max_concurrency: Limit::Count(100),
        max_errors: Limit::Count(0),
        canary: 0,
        health_gate: None,
        auto_rollback: false,
        dry_run: false,
    };
    let started = Instant::now();
    let run = console.start_bulk(&admin, spec).await?;
    let run = loop {
        let current = console.bulk_run(&admin, &run.id).await?;
        if current.outcome != RunOutcome::Running {
            break current;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let bulk = started.elapsed();
    let restarted = hosts.values().filter(|h| h.restarts.load(Ordering::Relaxed) == 1).count();
    println!(
        "console over {count} simulated hosts ({} ms per status, 20 ms per restart), SQLite store",
        latency.as_millis()
    );
    println!(
        "status pass: median {:.1} ms, max {:.1} ms (5 passes)",
        passes[2].as_secs_f64() * 1000.0,
        passes[4].as_secs_f64() * 1000.0
    );
    println!(
        "bulk restart, max_concurrency 100: {:.2} s, outcome {:?}, {restarted} restarted",
        bulk.as_secs_f64(),
        run.outcome
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
