//! The console past one machine: N simulated hosts (default 1,000) behind one or two real
//! `voicefleet console serve` processes, on SQLite or on PostgreSQL.
//!
//! `bench_fleet [HOSTS] [--postgres] [--replicas 1|2] [--agents]`. The hosts are the host-fleet
//! simulator (`examples/host_sim.rs`, real host API, tokens and SSE) in a process of its own, or
//! with `--agents` real host-agent daemons (default 100) in this process, each supervising the
//! simulated voice agent as a child process through its shim; every console
//! is the released CLI binary beside this one (`target/release/voicefleet`), driven over HTTP
//! with `ConsoleClient` as any client would. `--postgres` starts a PostgreSQL server of its own
//! in a temporary directory (Debian's binaries, run as the `postgres` user when this runs as
//! root) and stops it at the end; with two replicas the second console gets the first one's keys
//! (`console.key`, `console.pub.pem`, `master.key`), as the README says. It prints, per replica:
//! RSS and CPU while idle (10 s, every host stream open), a fresh status pass (10 passes,
//! p50/p95), crash → `status_changed` back to running at an SSE client of each replica (10
//! crashes, p50/p95); and the fleet's bulk restart with concurrency 100 and a patch deployed to
//! all with a canary of 10 (wall time, targets succeeded). Every wait is bounded.
//! Build first: `cargo build --release -p voicefleet-cli -p voicefleet-examples --examples`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use voicefleet_core::console::{
    Actor, BulkAction, BulkRun, BulkSpec, ControlAction, Fleet as _, Limit, NewCustomer, RevisionInput,
    RunOutcome, Selector,
};
use voicefleet_http::ConsoleClient;

const PASSWORD: &str = "bench bench bench bench";
const SECRETS: [&str; 3] = ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// (RSS bytes, CPU seconds) of process `pid`.
fn usage(pid: u32) -> (u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    (rss_kib * 1024, ticks as f64 / 100.0)
}

/// One `voicefleet console serve` process.
struct Replica {
    child: Child,
    url: String,
    client: ConsoleClient,
}

impl Replica {
    /// Starts a console on `data` (and `store`), waits (at most 60 s) for its address, logs in.
    async fn start(
        binary: &Path,
        data: &Path,
        store: Option<&str>,
    ) -> Result<Replica, Box<dyn std::error::Error>> {
        let mut command = Command::new(binary);
        command.arg("--data").arg(data).args(["console", "serve", "--listen", "127.0.0.1:0"]);
        if let Some(store) = store {
            command.args(["--store", store]);
        }
        let mut child = command
            .env("VOICEFLEET_ADMIN_PASSWORD", PASSWORD)
            .env("VOICEFLEET_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {} (build it first): {e}", binary.display()))?;
        let stderr = child.stderr.take().ok_or("stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("voicefleet console on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
            }
        });
        let url =
            rx.recv_timeout(Duration::from_secs(60)).map_err(|_| "the console did not start in 60 s")?;
        let client = ConsoleClient::new(&url, None)?;
        let token = client.login("admin", PASSWORD).await?.token;
        Ok(Replica { child, client: ConsoleClient::new(&url, Some(token))?, url })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The host-fleet simulator process and its command lines.
struct Simulator {
    child: Child,
    input: std::process::ChildStdin,
    output: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Simulator {
    fn ask(&mut self, command: &str) -> Result<String, Box<dyn std::error::Error>> {
        writeln!(self.input, "{command}")?;
        Ok(self.output.next().ok_or("the simulator ended")??)
    }
}

/// Where the hosts run: the simulator, or real host agents in this process.
enum Hosts {
    Simulated(Simulator),
    Real(Vec<voicefleet_tests::hosts::TestHost>),
}

impl Hosts {
    /// Starts `count` hosts trusting the console of `data`; their (id, endpoint).
    async fn start(
        agents: bool,
        count: usize,
        data: &Path,
    ) -> Result<(Hosts, Vec<(String, String)>), Box<dyn std::error::Error>> {
        if agents {
            let signer = voicefleet_http::HostTokenSigner::load_or_create(data)?;
            let mut hosts = Vec::new();
            for index in 0..count {
                hosts.push(
                    voicefleet_tests::hosts::TestHost::start(&format!("agent-{index:04}"), &signer).await,
                );
            }
            let ids = hosts.iter().map(|h| (h.customer_id.clone(), h.endpoint.clone())).collect();
            return Ok((Hosts::Real(hosts), ids));
        }
        let simulator = std::env::current_exe()?.with_file_name("host_sim");
        let mut child = Command::new(&simulator)
            .args([count.to_string(), data.join("console.pub.pem").display().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {} (build the examples first): {e}", simulator.display()))?;
        let mut sim = Simulator {
            input: child.stdin.take().ok_or("stdin")?,
            output: BufReader::new(child.stdout.take().ok_or("stdout")?).lines(),
            child,
        };
        let mut ids = Vec::new();
        for line in sim.output.by_ref().take(count + 1) {
            let line = line?;
            let Some((id, endpoint)) = line.split_once(' ') else { break };
            ids.push((id.to_owned(), endpoint.to_owned()));
        }
        Ok((Hosts::Simulated(sim), ids))
    }

    /// How many hosts have an event stream open; `None` when this kind cannot tell.
    fn streamed(&mut self) -> Result<Option<usize>, Box<dyn std::error::Error>> {
        match self {
            Hosts::Simulated(sim) => Ok(Some(sim.ask("streamed")?.trim_start_matches("streamed ").parse()?)),
            Hosts::Real(_) => Ok(None),
        }
    }

    /// Kills host `index`'s voice agent with SIGKILL (real agents: its `pid`, from the console).
    fn crash(&mut self, index: usize, pid: Option<i32>) -> Result<(), Box<dyn std::error::Error>> {
        match self {
            Hosts::Simulated(sim) => sim.ask(&format!("crash {index}")).map(|_| ()),
            Hosts::Real(_) => {
                let pid = pid.ok_or("the agent has no pid")?;
                Command::new("kill").args(["-9", &pid.to_string()]).status()?;
                Ok(())
            }
        }
    }

    async fn stop(self) {
        match self {
            Hosts::Simulated(mut sim) => {
                let _ = writeln!(sim.input, "quit");
                let _ = sim.child.wait();
            }
            Hosts::Real(hosts) => {
                // Each stop drains its agent: all at once, not one after another.
                futures_util::future::join_all(
                    hosts.into_iter().map(|mut host| async move { host.stop().await }),
                )
                .await;
            }
        }
    }
}

/// Waits for a bulk run to end (at most `limit`), polling every 250 ms.
async fn finish(
    client: &ConsoleClient,
    admin: &Actor,
    run: BulkRun,
    limit: Duration,
) -> Result<BulkRun, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + limit;
    loop {
        let current = client.bulk_run(admin, &run.id).await?;
        if current.outcome != RunOutcome::Running {
            return Ok(current);
        }
        if Instant::now() > deadline {
            return Err(format!("bulk run {} still running after {} s", run.id, limit.as_secs()).into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn succeeded(run: &BulkRun) -> usize {
    run.targets.iter().filter(|t| t.state == voicefleet_core::console::TargetState::Succeeded).count()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let agents = args.iter().any(|a| a == "--agents");
    // The host count is the one number not given as `--replicas`' value.
    let count: usize = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || args[i - 1] != "--replicas")
        .find_map(|(_, a)| a.parse().ok())
        .unwrap_or(if agents { 100 } else { 1000 })
        .clamp(1, 5000);
    let postgres = args.iter().any(|a| a == "--postgres");
    let replicas: usize = args
        .iter()
        .position(|a| a == "--replicas")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(1)
        .clamp(1, 2);
    let here = std::env::current_exe()?;
    let binary = here.parent().and_then(Path::parent).ok_or("no target directory")?.join("voicefleet");
    let dir = std::env::temp_dir().join(format!("voicefleet-bench-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let server = postgres.then(voicefleet_tests::postgres::PostgresServer::start);
    let store = server.as_ref().map(|s| s.create_database("bench"));
    let data: Vec<PathBuf> = (0..replicas).map(|i| dir.join(format!("console-{i}"))).collect();

    let first = Replica::start(&binary, &data[0], store.as_deref()).await?;
    let mut consoles = vec![first];
    if replicas == 2 {
        // The second console: the first one's keys, its own data directory.
        std::fs::create_dir_all(&data[1])?;
        for file in ["console.key", "console.pub.pem", "master.key"] {
            std::fs::copy(data[0].join(file), data[1].join(file))?;
        }
        consoles.push(Replica::start(&binary, &data[1], store.as_deref()).await?);
    }
    let admin = Actor::new("admin", voicefleet_core::auth::Role::Admin);

    let (mut fleet, hosts) = Hosts::start(agents, count, &data[0]).await?;
    assert_eq!(hosts.len(), count, "{} hosts started", hosts.len());

    // Setup through the first console: customers, their secrets and a first revision.
    let setup = Instant::now();
    // Real agents run the simulated voice agent; simulated hosts take any valid document.
    let document = if agents {
        voicefleet_tests::hosts::simulated_config(serde_json::json!({})).as_value()
    } else {
        voicefleet_core::config::template("default")?.as_value()
    };
    let client = &consoles[0].client;
    let results: Vec<voicefleet_core::Result<()>> = futures_util::stream::iter(hosts.iter().cloned())
        .map(|(id, endpoint)| {
            let (admin, document) = (admin.clone(), document.clone());
            async move {
                let customer = NewCustomer {
                    id: id.clone(),
                    name: String::new(),
                    endpoint,
                    tags: Vec::new(),
                    trust: Default::default(),
                };
                client.add_customer(&admin, customer).await?;
                for name in SECRETS {
                    client.set_secret(&admin, &id, name, "bench").await?;
                }
                client.create_revision(&admin, &id, RevisionInput::Full { document }, "bench").await?;
                if agents {
                    client.deploy(&admin, &id, None).await?;
                    client.control(&admin, &id, ControlAction::Start, None).await?;
                }
                Ok(())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<voicefleet_core::Result<Vec<()>>>()?;
    let setup = setup.elapsed();

    // Every host's event stream open, or (real agents) every agent running (bounded: 180 s).
    let started = Instant::now();
    let streamed = loop {
        let ready = match fleet.streamed()? {
            Some(streamed) => streamed,
            None => {
                client.status(&admin, &Selector::All).await?.iter().filter(|s| s.state == "running").count()
            }
        };
        if ready >= count || started.elapsed() > Duration::from_secs(180) {
            break ready;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let opened = started.elapsed();

    let store_name = if postgres { "PostgreSQL" } else { "SQLite" };
    let kind = if agents {
        "real host agents (this process; each agent a child)"
    } else {
        "simulated hosts (another process)"
    };
    println!("{count} {kind}, {replicas} `voicefleet console serve` on {store_name}");
    println!("  setup (customers, 3 secrets and a revision each, 32 at once): {:.1} s", setup.as_secs_f64());
    let what = if agents { "agents running" } else { "host event streams open" };
    println!("  {what}: {streamed} of {count} after {:.1} s", opened.as_secs_f64());

    // Idle: 10 s.
    let before: Vec<(u64, f64)> = consoles.iter().map(|c| usage(c.pid())).collect();
    let idle = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    for (index, console) in consoles.iter().enumerate() {
        let (rss, cpu) = usage(console.pid());
        let share = 100.0 * (cpu - before[index].1) / idle.elapsed().as_secs_f64();
        println!(
            "  console {index} idle (10 s): RSS {:.1} MiB, CPU {share:.1} % of a core",
            rss as f64 / 1048576.0
        );
    }

    // Fresh status passes through each console.
    for (index, console) in consoles.iter().enumerate() {
        let mut passes = Vec::new();
        let mut not_running = 0;
        for _ in 0..10 {
            let started = Instant::now();
            let statuses = console.client.status(&admin, &Selector::All).await?;
            passes.push(started.elapsed().as_secs_f64() * 1000.0);
            not_running += statuses.iter().filter(|s| s.state != "running").count();
        }
        passes.sort_by(f64::total_cmp);
        println!(
            "  console {index} fresh status pass over HTTP (10 passes): p50 {:.0} ms, p95 {:.0} ms ({not_running} statuses not running)",
            percentile(&passes, 50.0),
            percentile(&passes, 95.0)
        );
    }

    // Crash → status_changed back to running, at one SSE client of each console.
    for (index, console) in consoles.iter().enumerate() {
        let mut events = console.client.fleet_events();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut seen = Vec::new();
        for round in 0..10 {
            let host = (round * 97 + index * 13) % count;
            let id = hosts[host].0.clone();
            let pid = if agents {
                let ids = Selector::Ids { ids: vec![id.clone()] };
                console.client.status(&admin, &ids).await?.first().and_then(|s| s.status.as_ref()?.pid)
            } else {
                None
            };
            let at = Instant::now();
            fleet.crash(host, pid)?;
            let deadline = at + Duration::from_secs(10);
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, events.recv()).await {
                    Ok(Ok(voicefleet_core::console::FleetEvent::StatusChanged {
                        customer_id, to, ..
                    })) if customer_id == id && to == "running" => {
                        seen.push(at.elapsed().as_secs_f64() * 1000.0);
                        break;
                    }
                    Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
                    _ => {
                        return Err(format!("console {index}: no status_changed for {id} within 10 s").into());
                    }
                }
            }
        }
        seen.sort_by(f64::total_cmp);
        println!(
            "  console {index}: crash → status_changed to running at its SSE client (10 crashes): p50 {:.0} ms, p95 {:.0} ms",
            percentile(&seen, 50.0),
            percentile(&seen, 95.0)
        );
    }

    // A bulk restart of the whole fleet, concurrency 100, started through the last console.
    let last = &consoles[consoles.len() - 1].client;
    let spec = |action: BulkAction, canary: usize| BulkSpec {
        action,
        selector: Selector::All,
        max_concurrency: Limit::Count(100),
        max_errors: Limit::Count(count as u64),
        canary,
        health_gate: None,
        auto_rollback: false,
        dry_run: false,
    };
    let started = Instant::now();
    let run = last.start_bulk(&admin, spec(BulkAction::Restart, 0)).await?;
    let run = finish(last, &admin, run, Duration::from_secs(600)).await?;
    println!(
        "  bulk restart of {count}, concurrency 100: {:.1} s, {} succeeded, outcome {:?}",
        started.elapsed().as_secs_f64(),
        succeeded(&run),
        run.outcome
    );
    let patch = voicefleet_core::config::PatchOperation::Set {
        path: "agent_settings.llm.temperature".to_owned(),
        value: serde_json::json!(0.4),
    };
    let started = Instant::now();
    let action = BulkAction::Patch { operations: vec![patch], message: "bench: a patch to all".to_owned() };
    let run = last.start_bulk(&admin, spec(action, 10)).await?;
    let run = finish(last, &admin, run, Duration::from_secs(600)).await?;
    println!(
        "  patch deployed to {count}, canary 10, concurrency 100: {:.1} s, {} succeeded, outcome {:?}",
        started.elapsed().as_secs_f64(),
        succeeded(&run),
        run.outcome
    );

    // Real agents: their process groups (shim and agent), ended after the hosts are stopped.
    let groups: Vec<String> = if agents {
        client
            .status(&admin, &Selector::All)
            .await?
            .iter()
            .filter_map(|s| s.status.as_ref()?.pid)
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
            .filter_map(|stat| stat.rsplit_once(')')?.1.split_whitespace().nth(2).map(str::to_owned))
            .collect()
    } else {
        Vec::new()
    };
    // The consoles first: a host agent's graceful shutdown waits for the consoles' streams to it.
    for console in consoles {
        let _ = &console.url;
        console.stop();
    }
    fleet.stop().await;
    for group in groups {
        let _ = Command::new("kill").args(["-9", "--", &format!("-{group}")]).stderr(Stdio::null()).status();
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
