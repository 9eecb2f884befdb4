//! `GET /v1/customers/{id}/metrics` (history) and Prometheus text at `/metrics`.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use voicefleet_core::console::Selector;

use crate::console::Shared;
use crate::console::wire::MetricsParams;
use crate::error::ApiError;
use crate::extract::{Caller, Params};
use crate::metrics::{Label, TurnLatency, gauge, label, register, respond};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

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

/// The fleet from the last poll (a customer never polled yet is polled now) and the console's
/// own metrics.
pub(crate) async fn prometheus(
    Caller(actor): Caller,
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let customers = state.fleet.customers(&actor, &Selector::All).await?;
    let statuses = state.fleet.status_cached(&actor, &Selector::All, Duration::MAX).await?;
    let mut registry = Registry::with_prefix("voicefleet");
    register(&mut registry, "console_customers", "Customers registered", gauge(customers.len() as f64));
    let up: Family<Vec<Label>, Gauge<f64, AtomicU64>> = Family::default();
    let reachable: Family<Vec<Label>, Gauge<f64, AtomicU64>> = Family::default();
    let active: Family<Vec<Label>, Gauge<f64, AtomicU64>> = Family::default();
    let restarts: Family<Vec<Label>, Counter> = Family::default();
    let mut latency = TurnLatency::default();
    for status in &statuses {
        let customer = vec![label("customer", status.customer_id.clone())];
        let running = status.reachable && status.state == "running";
        up.get_or_create(&customer).set(f64::from(u8::from(running)));
        reachable.get_or_create(&customer).set(f64::from(u8::from(status.reachable)));
        if let Some(host) = status.status.as_ref() {
            if status.reachable {
                active.get_or_create(&customer).set(host.calls.active_calls as f64);
            }
            restarts.get_or_create(&customer).inc_by(host.restarts);
            latency.sets.push((customer, host.calls.latency_histograms.clone()));
        }
    }
    register(&mut registry, "customer_up", "1 when the customer's agent was running at the last poll", up);
    register(
        &mut registry,
        "customer_reachable",
        "1 when the customer's host answered the last poll",
        reachable,
    );
    register(&mut registry, "customer_active_calls", "Calls in progress at the last poll", active);
    register(
        &mut registry,
        "customer_agent_restarts",
        "Restarts of the customer's agent, as its host last said",
        restarts,
    );
    registry.sub_registry_with_prefix("customer").register_collector(Box::new(latency));
    state.metrics.register(&mut registry);
    Ok(respond(&registry, headers.get(header::ACCEPT).and_then(|value| value.to_str().ok())))
}
