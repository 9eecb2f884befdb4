//! The console's own metrics, kept between scrapes: request durations by route, requests to
//! hosts by operation and outcome, bulk runs started and finished, login failures. `/metrics`
//! adds the fleet's figures from the last poll (customers, up, calls, turn-latency histograms).

// Without the servers only HostRequestMetrics is used.
#![cfg_attr(not(feature = "server"), allow(dead_code, unused_imports))]

use std::sync::Arc;
use std::time::Instant;

#[cfg(feature = "server")]
use axum::extract::{MatchedPath, Request, State};
#[cfg(feature = "server")]
use axum::middleware::Next;
#[cfg(feature = "server")]
use axum::response::Response;
use futures_util::StreamExt as _;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tokio_stream::wrappers::BroadcastStream;
use voicefleet_core::console::{BulkEvent, Fleet};

use crate::metrics::{Label, label};

type Labels = Vec<Label>;

/// The states a bulk run's target ends in.
const FINAL_TARGET_STATES: [&str; 5] = ["succeeded", "failed", "skipped", "rolled_back", "interrupted"];

fn duration_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The console's traffic with its hosts: durations of requests by operation (`status`, `control`,
/// …) and outcome, and the health of the hosts' event streams (connected now, events by name,
/// failed connects).
#[derive(Debug, Clone)]
pub struct HostRequestMetrics {
    durations: Family<Labels, Histogram, fn() -> Histogram>,
    streams: Gauge,
    stream_events: Family<Labels, Counter>,
    stream_failures: Counter,
}

impl Default for HostRequestMetrics {
    fn default() -> Self {
        let metrics = Self {
            durations: Family::new_with_constructor(duration_histogram),
            streams: Gauge::default(),
            stream_events: Family::default(),
            stream_failures: Counter::default(),
        };
        // Every event a host sends, at 0 from the start (see `ConsoleMetrics::new`).
        for event in
            ["open", "state_changed", "exited", "crash_loop", "config_applied", "memory_limit", "lagged"]
        {
            drop(metrics.stream_events.get_or_create(&vec![label("event", event)]));
        }
        metrics
    }
}

impl HostRequestMetrics {
    /// A host's event stream connected (`true`) or ended (`false`).
    pub(crate) fn stream_connected(&self, connected: bool) {
        if connected {
            self.streams.inc();
        } else {
            self.streams.dec();
        }
    }

    /// An event arrived on a host's stream (`lagged` ones are gaps).
    pub(crate) fn stream_event(&self, name: &str) {
        self.stream_events.get_or_create(&vec![label("event", name.to_owned())]).inc();
    }

    /// A host's event stream could not be opened.
    pub(crate) fn stream_failed(&self) {
        self.stream_failures.inc();
    }

    /// Records one request to a host.
    pub(crate) fn observe(&self, operation: &'static str, outcome: &'static str, seconds: f64) {
        self.durations
            .get_or_create(&vec![label("operation", operation), label("outcome", outcome)])
            .observe(seconds);
    }
}

/// Every metric the console keeps between scrapes.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleMetrics {
    requests: Family<Labels, Histogram, fn() -> Histogram>,
    pub(crate) hosts: HostRequestMetrics,
    bulk_started: Family<Labels, Counter>,
    bulk_finished: Family<Labels, Counter>,
    bulk_targets: Family<Labels, Counter>,
    login_failures: Family<Labels, Counter>,
}

impl ConsoleMetrics {
    pub(crate) fn new(hosts: HostRequestMetrics) -> Self {
        let metrics = Self {
            requests: Family::new_with_constructor(duration_histogram),
            hosts,
            bulk_started: Family::default(),
            bulk_finished: Family::default(),
            bulk_targets: Family::default(),
            login_failures: Family::default(),
        };
        // Every known label value from the start, at 0: a series that appears only on its first
        // increment reads as "no data" and breaks rate() and absent() alerts.
        for action in ["start", "stop", "restart", "drain", "deploy", "patch"] {
            drop(metrics.bulk_started.get_or_create(&vec![label("action", action)]));
        }
        for outcome in [
            "succeeded",
            "completed_with_errors",
            "stopped_on_errors",
            "canary_failed",
            "cancelled",
            "interrupted",
        ] {
            drop(metrics.bulk_finished.get_or_create(&vec![label("outcome", outcome)]));
        }
        for state in FINAL_TARGET_STATES {
            drop(metrics.bulk_targets.get_or_create(&vec![label("state", state)]));
        }
        for reason in ["credentials", "second_factor", "rate_limited", "other"] {
            drop(metrics.login_failures.get_or_create(&vec![label("reason", reason)]));
        }
        metrics
    }

    /// Counts bulk runs' targets and ends from the fleet's progress events, for as long as the
    /// fleet lives.
    pub(crate) fn follow_bulk_runs(&self, fleet: &Arc<dyn Fleet>) -> tokio::task::JoinHandle<()> {
        let mut events = BroadcastStream::new(fleet.bulk_events());
        let metrics = self.clone();
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                match event {
                    Ok(BulkEvent::Target { result, .. }) => {
                        let state = serde_json::to_value(result.state).ok();
                        let state = state.as_ref().and_then(|v| v.as_str()).unwrap_or("unknown").to_owned();
                        // Each target once, when it ends (it also reports `running` on the way).
                        if FINAL_TARGET_STATES.contains(&state.as_str()) {
                            metrics.bulk_targets.get_or_create(&vec![label("state", state)]).inc();
                        }
                    }
                    Ok(BulkEvent::Finished { outcome, .. }) => {
                        let outcome = serde_json::to_value(outcome).ok();
                        let outcome =
                            outcome.as_ref().and_then(|v| v.as_str()).unwrap_or("unknown").to_owned();
                        metrics.bulk_finished.get_or_create(&vec![label("outcome", outcome)]).inc();
                    }
                    Err(_) => {}
                }
            }
        })
    }

    pub(crate) fn bulk_started(&self, action: &str) {
        self.bulk_started.get_or_create(&vec![label("action", action.to_owned())]).inc();
    }

    pub(crate) fn login_failed(&self, reason: &'static str) {
        self.login_failures.get_or_create(&vec![label("reason", reason)]).inc();
    }

    /// Registers the kept metrics (shared, not copied) into a scrape's registry.
    pub(crate) fn register(&self, registry: &mut Registry) {
        let console = registry.sub_registry_with_prefix("console");
        console.register_with_unit(
            "http_request_duration",
            "Console API requests by method, route and status",
            Unit::Seconds,
            self.requests.clone(),
        );
        console.register_with_unit(
            "host_request_duration",
            "Requests from the console to hosts by operation and outcome",
            Unit::Seconds,
            self.hosts.durations.clone(),
        );
        console.register(
            "host_event_streams",
            "Host event streams connected now",
            self.hosts.streams.clone(),
        );
        console.register(
            "host_events",
            "Events received from hosts' streams, by name (`lagged`: a gap the host could not replay)",
            self.hosts.stream_events.clone(),
        );
        console.register(
            "host_event_stream_failures",
            "Attempts to open a host's event stream that failed",
            self.hosts.stream_failures.clone(),
        );
        console.register("bulk_runs_started", "Bulk runs started, by action", self.bulk_started.clone());
        console.register("bulk_runs_finished", "Bulk runs finished, by outcome", self.bulk_finished.clone());
        console.register(
            "bulk_targets_finished",
            "Bulk-run targets that ended, by how they ended",
            self.bulk_targets.clone(),
        );
        console.register("login_failures", "Refused logins, by reason", self.login_failures.clone());
    }
}

#[cfg(feature = "server")]
/// Times every request by its route template (never the raw path: bounded label values).
pub(crate) async fn observe(State(metrics): State<ConsoleMetrics>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = vec![
        label("method", method),
        label("route", route.unwrap_or_else(|| "unmatched".to_owned())),
        label("status", response.status().as_u16().to_string()),
    ];
    metrics.requests.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    response
}
