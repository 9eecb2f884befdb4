//! One console with event streams from N simulated hosts (default 1,000).
//!
//! The hosts are the host-fleet simulator (`examples/host_sim.rs`) in a process of its own: real
//! host API, real token checks, real SSE. This process is the console alone (embedded SQLite,
//! the server with its refresher every 5 s and one event stream per host), so its RSS and CPU
//! are the console's. It prints: RSS and CPU while idle (10 s, every stream open), a fresh status
//! pass (10 passes, p50/p95), and one crash event fanned out to 100 console SSE clients (10
//! crashes; per-client latency from the crash command to the client's `status_changed`, p50/p95).
//! Build both first: `cargo build --release -p voicefleet-examples --examples`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, Fleet as _, NewCustomer, Selector};
use voicefleet_http::{ConsoleServer, ServeOptions};

const CLIENTS: usize = 100;
const CRASHES: usize = 10;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// (RSS bytes, CPU seconds) of this process.
fn usage() -> (u64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    (rss_kib * 1024, ticks as f64 / 100.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("voicefleet-bench-console-{}", std::process::id()));
    let mut options = ServeOptions::new(dir.join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("bench bench bench bench".into());
    let embedded = voicefleet_http::open_embedded(
        options.data_dir.clone(),
        options.admin_password.clone(),
        options.host_timeout,
    )
    .await?;
    let simulator = std::env::current_exe()?.with_file_name("host_sim");
    let mut sim = Command::new(&simulator)
        .args([count.to_string(), options.data_dir.join("console.pub.pem").display().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {} (build the examples first): {e}", simulator.display()))?;
    let mut sim_in = sim.stdin.take().ok_or("stdin")?;
    let mut sim_out = BufReader::new(sim.stdout.take().ok_or("stdout")?).lines();
    let admin = Actor::new("bench", Role::Admin);
    let mut ids = Vec::new();
    for line in sim_out.by_ref().take(count + 1) {
        let line = line?;
        let Some((id, endpoint)) = line.split_once(' ') else { break };
        let customer = NewCustomer {
            id: id.into(),
            name: String::new(),
            endpoint: endpoint.into(),
            tags: Vec::new(),
            trust: Default::default(),
        };
        embedded.console.add_customer(&admin, customer).await?;
        ids.push(id.to_owned());
    }
    assert_eq!(ids.len(), count, "the simulator served {} hosts", ids.len());
    let token = embedded.user_token("admin", Role::Admin, 3600)?;
    let console = embedded.console.clone();
    let server = ConsoleServer::serve(embedded, &options).await?;
    let url = format!("http://{}/v1/events", server.local_addr());

    // Every host's stream open (bounded: 120 s).
    let started = Instant::now();
    loop {
        writeln!(sim_in, "streamed")?;
        let line = sim_out.next().ok_or("the simulator ended")??;
        let streamed: usize = line.trim_start_matches("streamed ").parse()?;
        if streamed >= count {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!("only {streamed} of {count} streams after 120 s").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let opened = started.elapsed();

    // Idle: 10 s with every stream open and the refresher running.
    let (_, cpu_before) = usage();
    let idle_started = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (rss, cpu_after) = usage();
    let idle_cpu = 100.0 * (cpu_after - cpu_before) / idle_started.elapsed().as_secs_f64();

    // Fresh status passes.
    let mut passes = Vec::new();
    let mut not_running = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..10 {
        let started = Instant::now();
        let statuses = console.status(&admin, &Selector::All).await?;
        passes.push(started.elapsed().as_secs_f64() * 1000.0);
        for status in statuses.iter().filter(|s| s.state != "running") {
            *not_running
                .entry(format!("{} {}", status.state, status.error.clone().unwrap_or_default()))
                .or_default() += 1;
        }
    }
    passes.sort_by(f64::total_cmp);

    // 100 SSE clients; each crash command is timed to each client's status_changed.
    let crash: Arc<Mutex<Option<(String, Instant)>>> = Arc::new(Mutex::new(None));
    let (seen_tx, mut seen) = tokio::sync::mpsc::channel::<f64>(CLIENTS * 2);
    let http = reqwest::Client::new();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let response = http.get(&url).bearer_auth(&token).send().await?;
        if !response.status().is_success() {
            return Err(format!("console SSE client refused: {}", response.status()).into());
        }
        let (crash, seen_tx) = (crash.clone(), seen_tx.clone());
        clients.push(tokio::spawn(async move {
            use eventsource_stream::Eventsource as _;
            let mut events = response.bytes_stream().eventsource();
            while let Some(Ok(event)) = events.next().await {
                let Ok(data) = serde_json::from_str::<serde_json::Value>(&event.data) else { continue };
                let current = crash.lock().unwrap_or_else(|p| p.into_inner()).clone();
                if let Some((id, at)) = current
                    && data["type"] == "status_changed"
                    && data["customer_id"] == id.as_str()
                    && data["to"] == "running"
                {
                    let _ = seen_tx.send(at.elapsed().as_secs_f64() * 1000.0).await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut inside = console.fleet_events();
    let mut fanout = Vec::new();
    let mut spread = Vec::new();
    for round in 0..CRASHES {
        let index = (round * 97) % count;
        *crash.lock().unwrap_or_else(|p| p.into_inner()) = Some((ids[index].clone(), Instant::now()));
        writeln!(sim_in, "crash {index}")?;
        let crashed = sim_out.next().ok_or("the simulator ended")??;
        let mut this = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while this.len() < CLIENTS {
            match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), seen.recv()).await
            {
                Ok(Some(ms)) => this.push(ms),
                _ => {
                    let mut heard = Vec::new();
                    while let Ok(event) = inside.try_recv() {
                        heard.push(format!("{event:?}"));
                    }
                    let metrics = reqwest::Client::new()
                        .get(url.replace("/v1/events", "/metrics"))
                        .bearer_auth(&token)
                        .send()
                        .await?
                        .text()
                        .await?;
                    let streams: Vec<&str> =
                        metrics.lines().filter(|l| l.starts_with("voicefleet_console_host_event")).collect();
                    return Err(format!(
                        "round {round} ({crashed}): {} of {CLIENTS} clients heard the crash; in process the console published {} events: {:?}; {streams:?}",
                        this.len(),
                        heard.len(),
                        heard.iter().take(5).collect::<Vec<_>>()
                    )
                    .into());
                }
            }
        }
        let first = this.iter().copied().fold(f64::INFINITY, f64::min);
        spread.extend(this.iter().map(|ms| ms - first));
        fanout.extend(this);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    fanout.sort_by(f64::total_cmp);
    spread.sort_by(f64::total_cmp);

    println!(
        "one console, {count} simulated hosts in another process (real HTTP, tokens, SSE), SQLite store"
    );
    println!("  event streams open: {count} in {:.1} s", opened.as_secs_f64());
    println!(
        "  console idle (10 s, refresher every 5 s): RSS {:.1} MiB, CPU {idle_cpu:.1} % of a core",
        rss as f64 / 1048576.0
    );
    println!(
        "  fresh status pass (10 passes): p50 {:.1} ms, p95 {:.1} ms",
        percentile(&passes, 50.0),
        percentile(&passes, 95.0)
    );
    println!("  statuses not `running` over the 10 passes: {not_running:?}");
    println!(
        "  crash → status_changed at {CLIENTS} SSE clients ({CRASHES} crashes, {} deliveries): p50 {:.1} ms, p95 {:.1} ms; after the first client: p95 {:.1} ms",
        fanout.len(),
        percentile(&fanout, 50.0),
        percentile(&fanout, 95.0),
        percentile(&spread, 95.0)
    );
    for client in clients {
        client.abort();
    }
    writeln!(sim_in, "quit")?;
    drop(sim_in);
    let _ = sim.wait();
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
