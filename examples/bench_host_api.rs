//! Host API benchmark: `GET /v1/status` at a fixed rate on loopback, with the daemon's RSS.
//!
//! ```text
//! cargo build --release -p voicefleet-agent
//! cargo run --release -p voicefleet-examples --example bench_host_api -- [RATE] [SECONDS]
//! ```
//! Starts `target/release/voicefleet-agent` with the simulated voice agent, sends RATE requests
//! per second (default 1000) for SECONDS (default 10) over persistent connections, open loop
//! (latency counted from each request's scheduled time, so a stall is not hidden), and prints
//! p50, p99, max and the daemon's peak RSS.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rate: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let agent = root.join("target/release/voicefleet-agent");
    if !agent.exists() {
        return Err("build it first: cargo build --release -p voicefleet-agent".into());
    }
    let work = std::env::temp_dir().join(format!("voicefleet-bench-api-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut document = voicefleet_core::config::template("default")?;
    document.set("runtime.command", serde_json::json!([agent, "__simulate"]))?;
    document.set(
        "extensions.simulator",
        serde_json::json!({"call_interval_ms": 500, "call_duration_ms": 5000}),
    )?;
    std::fs::write(work.join("config.json"), document.to_json_pretty())?;
    std::fs::write(
        work.join("secrets.json"),
        r#"{"openai_api_key":"a","deepgram_api_key":"b","elevenlabs_api_key":"c"}"#,
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut daemon = Command::new(&agent)
        .args([
            "--customer-id",
            "bench",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--rate-limit",
            "100000",
            "--stop-agent-on-exit",
        ])
        .arg("--state-dir")
        .arg(work.join("state"))
        .arg("--config")
        .arg(work.join("config.json"))
        .arg("--secrets-file")
        .arg(work.join("secrets.json"))
        .env("VOICEFLEET_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let token_path = work.join("state/admin.token");
    let started = Instant::now();
    while !token_path.exists() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let token = std::fs::read_to_string(&token_path)?.trim().to_owned();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let url = format!("http://127.0.0.1:{port}/v1/status");
    // Warm up: the agent running, connections open.
    for _ in 0..200 {
        let _ = client.get(&url).bearer_auth(&token).send().await.and_then(|r| r.error_for_status());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let pid = daemon.id();
    let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let total = rate * seconds;
    let interval = Duration::from_nanos(1_000_000_000 / rate);
    let begin = tokio::time::Instant::now();
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(total as usize);
    for index in 0..total {
        let scheduled = begin + interval * index as u32;
        tokio::time::sleep_until(scheduled).await;
        let (client, url, token, errors) = (client.clone(), url.clone(), token.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let ok = match client.get(&url).bearer_auth(&token).send().await {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            if !ok {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            scheduled.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for task in tasks {
        latencies.push(task.await?);
    }
    let achieved = total as f64 / begin.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    latencies.sort();
    let pick = |p: f64| {
        latencies[((p / 100.0 * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "GET /v1/status, {rate}/s for {seconds} s on loopback ({total} requests, {achieved:.0}/s achieved)"
    );
    println!(
        "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, errors {}",
        ms(pick(50.0)),
        ms(pick(99.0)),
        ms(*latencies.last().unwrap()),
        errors.load(Ordering::Relaxed)
    );
    println!("daemon peak RSS {:.1} MiB", peak.load(Ordering::Relaxed) as f64 / 1024.0);
    terminate(pid);
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn terminate(pid: u32) {
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}
