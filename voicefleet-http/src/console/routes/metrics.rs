//! `GET /v1/customers/{id}/metrics` (history) and Prometheus text at `/metrics`.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use voicefleet_core::console::Selector;

use crate::console::Shared;
use crate::console::wire::MetricsParams;
use crate::error::ApiError;
use crate::extract::{Caller, Params};

pub(crate) async fn history(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<MetricsParams>,
) -> Result<impl IntoResponse, ApiError> {
    let now = state.clock.now_ms();
    let since = params.since.unwrap_or(now.saturating_sub(3_600_000));
    let until = params.until.unwrap_or(now).min(i64::MAX as u64);
    Ok(Json(state.fleet.metrics(&actor, &id, since, until).await?))
}

pub(crate) async fn prometheus(
    Caller(actor): Caller,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    use std::fmt::Write as _;
    let customers = state.fleet.customers(&actor, &Selector::All).await?;
    // The last background poll's figures (a customer never polled yet is polled now).
    let statuses = state.fleet.status_cached(&actor, &Selector::All, Duration::MAX).await?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP voicefleet_console_customers customers registered\n# TYPE voicefleet_console_customers gauge\nvoicefleet_console_customers {}",
        customers.len()
    );
    let _ = writeln!(
        out,
        "# HELP voicefleet_customer_up 1 when the customer's agent was running at the last poll\n# TYPE voicefleet_customer_up gauge"
    );
    for status in &statuses {
        let up = u8::from(status.reachable && status.state == "running");
        let _ = writeln!(out, "voicefleet_customer_up{{customer=\"{}\"}} {up}", status.customer_id);
    }
    let _ = writeln!(
        out,
        "# HELP voicefleet_customer_active_calls calls in progress at the last poll\n# TYPE voicefleet_customer_active_calls gauge"
    );
    for status in &statuses {
        if let Some(host) = status.status.as_ref().filter(|_| status.reachable) {
            let _ = writeln!(
                out,
                "voicefleet_customer_active_calls{{customer=\"{}\"}} {}",
                status.customer_id, host.calls.active_calls
            );
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
