//! `GET /v1/metrics/history?since=…` and Prometheus text at `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::Deserialize;
use voicefleet_core::ErrorKind;
use voicefleet_core::host::{MachineSample, MetricsSample};
use voicefleet_core::lifecycle::ProcessState;

use crate::error::ApiError;
use crate::extract::Params;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::host::SharedState;
use crate::metrics::{Label, TurnLatency, counter, gauge, label, register, register_with_unit, respond};

/// `GET /v1/metrics/history`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryParams {
    /// Milliseconds since the Unix epoch, or a duration ago such as `90s`, `5m`, `1h`
    /// (default: an hour ago).
    since: Option<String>,
}

/// `since`: milliseconds since the Unix epoch, or a duration ago such as `90s`, `5m`, `1h`.
pub(crate) fn parse_since(text: &str, now_ms: u64) -> Result<u64, ApiError> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let ago = voicefleet_core::clock::parse_duration(text).map_err(|_| {
        ApiError::new(ErrorKind::InvalidInput, format!("invalid since `{text}`"))
            .with_hint("give milliseconds since the Unix epoch, or a duration such as 90s, 5m or 1h")
    })?;
    Ok(now_ms.saturating_sub(u64::try_from(ago.as_millis()).unwrap_or(u64::MAX)))
}

pub(crate) async fn history(
    State(state): State<SharedState>,
    Params(params): Params<HistoryParams>,
) -> Result<Json<Vec<MetricsSample>>, ApiError> {
    let now = state.clock.now_ms();
    let since = match params.since.as_deref() {
        Some(text) => parse_since(text, now)?,
        None => now.saturating_sub(3_600_000),
    };
    Ok(Json(state.host.metrics_history(since).await?))
}

pub(crate) async fn prometheus(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let status = state.host.status().await?;
    let customer = state.customer_id.clone();
    let mut registry =
        Registry::with_prefix_and_labels("voicefleet", std::iter::once(label("customer", customer)));
    let up = f64::from(u8::from(status.state == ProcessState::Running));
    register(&mut registry, "agent_up", "1 when the voice agent is running", gauge(up));
    let states: Family<Vec<Label>, Gauge<f64, AtomicU64>> = Family::default();
    for candidate in ProcessState::ALL {
        let value = f64::from(u8::from(candidate == status.state));
        states.get_or_create(&vec![label("state", candidate.to_string())]).set(value);
    }
    register(&mut registry, "agent_state", "1 for the voice agent's current state", states);
    register(
        &mut registry,
        "agent_restarts",
        "Restarts of the voice agent since this host was set up",
        counter(status.restarts),
    );
    let resources = status.resources.unwrap_or_default();
    register(
        &mut registry,
        "agent_cpu_cores",
        "CPU of the agent's process group, in cores (1 = one core busy)",
        gauge(resources.cpu_percent / 100.0),
    );
    register_with_unit(
        &mut registry,
        "agent_resident_memory",
        "Resident memory of the agent's process group",
        Unit::Bytes,
        gauge(resources.rss_bytes as f64),
    );
    register(
        &mut registry,
        "agent_threads",
        "Threads in the agent's process group",
        gauge(resources.threads as f64),
    );
    register(
        &mut registry,
        "agent_open_files",
        "Open file descriptors in the agent's process group",
        gauge(resources.open_files as f64),
    );
    register_with_unit(
        &mut registry,
        "agent_uptime",
        "Time since the voice agent started",
        Unit::Seconds,
        gauge(status.uptime_seconds.unwrap_or(0.0)),
    );
    register(
        &mut registry,
        "log_lines_dropped",
        "Lines the voice agent wrote that could not be stored in its log (a full disk)",
        counter(status.logs.lines_dropped),
    );
    register(&mut registry, "calls_active", "Calls in progress", gauge(status.calls.active_calls as f64));
    register(
        &mut registry,
        "calls",
        "Calls started by the running voice agent",
        counter(status.calls.calls_total),
    );
    let ended: Family<Vec<Label>, Counter> = Family::default();
    for (reason, count) in &status.calls.disconnect_reasons {
        ended.get_or_create(&vec![label("reason", reason.clone())]).inc_by(*count);
    }
    register(&mut registry, "calls_ended", "Calls ended, by disconnect reason", ended);
    register(
        &mut registry,
        "agent_errors",
        "Error events of the running voice agent",
        counter(status.calls.errors_total),
    );
    register(
        &mut registry,
        "agent_malformed_events",
        "Event lines that were not valid protocol events",
        counter(status.calls.malformed_events),
    );
    register(
        &mut registry,
        "agent_error_ratio",
        "Error events per turn over 5 minutes",
        gauge(status.calls.error_rate_5m),
    );
    register(
        &mut registry,
        "config_revision",
        "The configuration revision applied (0: none)",
        gauge(status.config.as_ref().map(|c| c.revision as f64).unwrap_or(0.0)),
    );
    register_with_unit(
        &mut registry,
        "host_agent_uptime",
        "Time since this host agent started",
        Unit::Seconds,
        gauge(state.started.elapsed().as_secs_f64()),
    );
    register(
        &mut registry,
        "host_api_requests",
        "Requests served by the host API",
        counter(state.requests_total.load(Ordering::Relaxed)),
    );
    if let Some(machine) = &status.machine {
        register_machine(&mut registry, machine);
    }
    registry.register_collector(Box::new(TurnLatency {
        sets: vec![(Vec::new(), status.calls.latency_histograms)],
    }));
    Ok(respond(&registry, headers.get(header::ACCEPT).and_then(|value| value.to_str().ok())))
}

/// The machine the host agent runs on, in base units; a figure the host could not read is left
/// out rather than shown as 0.
fn register_machine(registry: &mut Registry, machine: &MachineSample) {
    if let Some(cpu) = machine.cpu_percent {
        register(
            registry,
            "host_cpu_ratio",
            "CPU busy on the host, as a fraction of all its cores",
            gauge(cpu / 100.0),
        );
    }
    let bytes: [(&str, &str, Option<u64>); 4] = [
        ("host_memory_total", "Memory of the host", machine.memory_total_bytes),
        (
            "host_memory_available",
            "Memory available on the host without swapping",
            machine.memory_available_bytes,
        ),
        (
            "host_state_fs_available",
            "Space left to the host agent on the filesystem of its state directory",
            machine.state_fs_available_bytes,
        ),
        (
            "host_state_fs_size",
            "Size of the filesystem of the host agent's state directory",
            machine.state_fs_size_bytes,
        ),
    ];
    for (name, help, value) in bytes {
        if let Some(value) = value {
            register_with_unit(registry, name, help, Unit::Bytes, gauge(value as f64));
        }
    }
    let loads = [
        ("host_load1", "1", machine.load1),
        ("host_load5", "5", machine.load5),
        ("host_load15", "15", machine.load15),
    ];
    for (name, minutes, value) in loads {
        if let Some(value) = value {
            let help = format!("Load average of the host over {minutes} minutes");
            register(registry, name, &help, gauge(value));
        }
    }
    if let Some(uptime) = machine.uptime_seconds {
        register_with_unit(
            registry,
            "host_uptime",
            "Time since the host booted",
            Unit::Seconds,
            gauge(uptime as f64),
        );
    }
}
