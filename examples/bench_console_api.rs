//! Console API benchmark: `GET /v1/customers` and `GET /v1/status` for 100 customers at a fixed
//! rate on loopback.
//!
//! ```text
//! cargo run --release -p voicefleet-examples --example bench_console_api -- [RATE] [SECONDS]
//! ```
//! A real console server (SQLite, login token, the background refresh polling the hosts every
//! second) with 100 customers whose hosts are one lightweight fake host agent on loopback.
//! Requests alternate between the two routes at RATE per second (default 500) for SECONDS
//! (default 10), open loop; prints p50 and p99 per route.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::routing::get;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, Fleet, NewCustomer};
use voicefleet_http::{ConsoleClient, ConsoleServer, ServeOptions};

fn canned_status() -> serde_json::Value {
    serde_json::json!({"customer_id": "x", "state": "running", "pid": 4242, "uptime_seconds": 3600.0, "restarts": 0,
        "consecutive_failures": 0, "next_restart_in_ms": null, "last_exit": null,
        "resources": {"at_ms": 0, "cpu_percent": 4.0, "rss_bytes": 83886080, "threads": 6, "open_files": 20, "processes": 1, "active_calls": 3},
        "calls": {"active_calls": 3, "calls_total": 120, "errors_total": 1, "malformed_events": 0, "error_rate_5m": 0.01,
                  "disconnect_reasons": {"caller_hangup": 100}, "latency_5m": {}, "latency_1h": {}},
        "config": null})
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rate: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(500);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);

    let fake = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fake_url = format!("http://{}", fake.local_addr()?);
    tokio::spawn(async move {
        let app = axum::Router::new().route("/v1/status", get(|| async { Json(canned_status()) }));
        let _ = axum::serve(fake, app).await;
    });

    let dir = std::env::temp_dir().join(format!("voicefleet-bench-console-api-{}", std::process::id()));
    let mut options = ServeOptions::new(dir.join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("benchmark admin password".into());
    options.refresh_interval = Duration::from_secs(1);
    let server = ConsoleServer::start(options).await?;
    let url = format!("http://{}", server.local_addr());
    let console = server.embedded().console.clone();
    let admin = Actor::new("bench", Role::Admin);
    for index in 0..100 {
        console
            .add_customer(
                &admin,
                NewCustomer {
                    id: format!("customer-{index:03}"),
                    name: String::new(),
                    endpoint: fake_url.clone(),
                    tags: vec!["tier=prod".into()],
                    trust: Default::default(),
                },
            )
            .await?;
    }
    let token = ConsoleClient::new(&url, None)?.login("admin", "benchmark admin password").await?.token;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    for path in ["/v1/status?fresh=true", "/v1/customers", "/v1/status"] {
        let response = http.get(format!("{url}{path}")).bearer_auth(&token).send().await?;
        assert!(response.status().is_success(), "{path}: {}", response.status());
        let body: serde_json::Value = response.json().await?;
        assert_eq!(body["items"].as_array().map(Vec::len), Some(100), "{path}");
    }

    let total = rate * seconds;
    let interval = Duration::from_nanos(1_000_000_000 / rate);
    let errors = Arc::new(AtomicU64::new(0));
    let begin = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for index in 0..total {
        let scheduled = begin + interval * index as u32;
        tokio::time::sleep_until(scheduled).await;
        let path = if index % 2 == 0 { "/v1/customers" } else { "/v1/status" };
        let (http, target, token, errors) =
            (http.clone(), format!("{url}{path}"), token.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let ok = match http.get(&target).bearer_auth(&token).send().await {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            if !ok {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            (path, scheduled.elapsed())
        }));
    }
    let mut customers = Vec::new();
    let mut status = Vec::new();
    for task in tasks {
        let (path, latency) = task.await?;
        if path == "/v1/customers" { customers.push(latency) } else { status.push(latency) }
    }
    let achieved = total as f64 / begin.elapsed().as_secs_f64();
    println!(
        "console API, 100 customers, {rate}/s for {seconds} s on loopback ({achieved:.0}/s achieved), errors {}",
        errors.load(Ordering::Relaxed)
    );
    for (name, mut latencies) in [("GET /v1/customers", customers), ("GET /v1/status", status)] {
        latencies.sort();
        let pick = |p: f64| {
            latencies[((p / 100.0 * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1]
        };
        println!(
            "{name}: p50 {:.2} ms, p99 {:.2} ms",
            pick(50.0).as_secs_f64() * 1000.0,
            pick(99.0).as_secs_f64() * 1000.0
        );
    }
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
