//! kill -9 of a real voice agent → the console's SSE `status_changed` for that customer.
//!
//! A console server and one host agent on loopback, the simulated voice agent running, polling
//! set to an hour (only the live path can tell). Each run kills the agent with SIGKILL and times
//! how long until the console's `/v1/events` (read through `ConsoleClient`) carries the
//! `status_changed` away from `running` (the crash) and the one back to `running` with the new
//! PID. Between runs the agent is restarted through the console (the supervisor backs off a
//! second crash in a row by design; a requested restart resets that). Runs are bounded (default 20, each within 5 s); percentiles are computed by rank.

use std::time::{Duration, Instant};

use voicefleet_core::console::{Fleet as _, FleetEvent};
use voicefleet_tests::events::next_event;
use voicefleet_tests::live::{LiveConsole, back_running, kill9};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(20).clamp(1, 20);
    let live = LiveConsole::start("bench", Duration::from_secs(3600)).await;
    let mut events = live.client.fleet_events();
    live.wait_until_live(&mut events, 5).await;
    let (mut crash, mut back) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let old = live.agent_status().await.pid.ok_or("no pid")?;
        let killed = Instant::now();
        kill9(old);
        next_event(
            &mut events,
            Duration::from_secs(5),
            "the crash",
            |e| matches!(e, FleetEvent::StatusChanged { from, .. } if from == "running"),
        )
        .await;
        crash.push(killed.elapsed().as_secs_f64() * 1000.0);
        back_running(&mut events, "bench", old, Duration::from_secs(5)).await;
        back.push(killed.elapsed().as_secs_f64() * 1000.0);
        eprintln!("run {}: {:.1} ms, {:.1} ms", back.len(), crash[crash.len() - 1], back[back.len() - 1]);
        // Later crashes back off (1 s doubling) by design; a requested restart resets that, so
        // every run measures the first crash after a healthy run.
        live.wait_until_live(&mut events, 3).await;
    }
    crash.sort_by(f64::total_cmp);
    back.sort_by(f64::total_cmp);
    println!("kill -9 → console SSE status_changed, {runs} runs (polling every hour: live path only)");
    println!(
        "  crash seen (running → …):        p50 {:.1} ms, p95 {:.1} ms",
        percentile(&crash, 50.0),
        percentile(&crash, 95.0)
    );
    println!(
        "  back to running, new PID:         p50 {:.1} ms, p95 {:.1} ms",
        percentile(&back, 50.0),
        percentile(&back, 95.0)
    );
    live.shutdown().await;
    Ok(())
}
