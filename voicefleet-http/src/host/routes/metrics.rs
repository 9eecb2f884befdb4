//! `GET /v1/metrics/history?since=…` and Prometheus text at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use voicefleet_core::ErrorKind;
use voicefleet_core::host::MetricsSample;
use voicefleet_core::lifecycle::ProcessState;
use voicefleet_core::protocol::Percentiles;

use crate::error::ApiError;
use crate::extract::Params;
use crate::host::SharedState;

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

pub(crate) async fn prometheus(State(state): State<SharedState>) -> Result<impl IntoResponse, ApiError> {
    let status = state.host.status().await?;
    let label = format!("customer=\"{}\"", state.customer_id);
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = writeln!(
            out,
            "# HELP voicefleet_{name} {help}\n# TYPE voicefleet_{name} gauge\nvoicefleet_{name}{{{label}}} {value}"
        );
    };
    gauge(
        "agent_up",
        "1 when the voice agent is running",
        f64::from(u8::from(status.state == ProcessState::Running)),
    );
    gauge("agent_restarts", "restarts since the host agent first started", status.restarts as f64);
    let resources = status.resources.unwrap_or_default();
    gauge(
        "agent_cpu_percent",
        "CPU of the agent's process group, percent of one core",
        resources.cpu_percent,
    );
    gauge("agent_rss_bytes", "resident memory of the agent's process group", resources.rss_bytes as f64);
    gauge("agent_threads", "threads in the agent's process group", resources.threads as f64);
    gauge(
        "agent_open_files",
        "open file descriptors in the agent's process group",
        resources.open_files as f64,
    );
    gauge("agent_uptime_seconds", "seconds since the agent started", status.uptime_seconds.unwrap_or(0.0));
    gauge("calls_active", "calls in progress", status.calls.active_calls as f64);
    gauge("calls_total", "calls started", status.calls.calls_total as f64);
    gauge("agent_errors_total", "error events", status.calls.errors_total as f64);
    gauge("agent_malformed_events_total", "malformed event lines", status.calls.malformed_events as f64);
    gauge("agent_error_rate", "error events per turn over 5 minutes", status.calls.error_rate_5m);
    gauge(
        "config_revision",
        "configuration revision applied",
        status.config.as_ref().map(|c| c.revision as f64).unwrap_or(0.0),
    );
    gauge(
        "host_agent_uptime_seconds",
        "seconds since this host agent started",
        state.started.elapsed().as_secs_f64(),
    );
    gauge(
        "host_api_requests",
        "requests served by the host API",
        state.requests_total.load(Ordering::Relaxed) as f64,
    );
    let _ = writeln!(
        out,
        "# HELP voicefleet_agent_state 1 for the agent's current state\n# TYPE voicefleet_agent_state gauge"
    );
    for candidate in ProcessState::ALL {
        let value = u8::from(candidate == status.state);
        let _ = writeln!(out, "voicefleet_agent_state{{{label},state=\"{candidate}\"}} {value}");
    }
    let latency = status.calls.latency_5m;
    let _ = writeln!(
        out,
        "# HELP voicefleet_turn_latency_ms turn latency percentiles over 5 minutes\n# TYPE voicefleet_turn_latency_ms gauge"
    );
    for (name, value) in [
        ("e2e", latency.e2e_ms),
        ("llm_ttft", latency.llm_ttft_ms),
        ("tts_ttfb", latency.tts_ttfb_ms),
        ("stt", latency.stt_ms),
    ] {
        let Some(Percentiles { p50, p95, p99, .. }) = value else { continue };
        for (quantile, figure) in [("0.5", p50), ("0.95", p95), ("0.99", p99)] {
            let _ = writeln!(
                out,
                "voicefleet_turn_latency_ms{{{label},stage=\"{name}\",quantile=\"{quantile}\"}} {figure}"
            );
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
