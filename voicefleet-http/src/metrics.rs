//! Prometheus exposition for both APIs with `prometheus-client` (OpenMetrics text): counters are
//! counters (`_total`), units are base units in the name (`_seconds`, `_bytes`), latencies are
//! histograms, so `promtool check metrics` passes and a fleet-wide p95 is one PromQL query.
//! Figures that are snapshots (a host's status) are written into a registry made per scrape.
//!
//! `prometheus-client` writes OpenMetrics only; a scraper that asks for it (Prometheus does) gets
//! it as written, every other reader (promtool, curl, older agents) gets the classic text format
//! 0.0.4, converted here: the two differ only in a counter family's name (`x` with samples
//! `x_total` in OpenMetrics, `x_total` throughout in the classic format), the `# UNIT` lines and
//! the `# EOF` marker. The conversion is a few lines; a second encoder crate would be more.

// Without the servers only the label helpers (and HostRequestMetrics) are used.
#![cfg_attr(not(feature = "server"), allow(dead_code, unused_imports))]

use std::borrow::Cow;
use std::sync::atomic::AtomicU64;

#[cfg(feature = "server")]
use axum::http::header;
#[cfg(feature = "server")]
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use voicefleet_core::protocol::LatencyHistograms;

/// The OpenMetrics text media type.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The classic Prometheus text media type.
const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label pair.
pub(crate) type Label = (Cow<'static, str>, Cow<'static, str>);

pub(crate) fn label(name: &'static str, value: impl Into<String>) -> Label {
    (Cow::Borrowed(name), Cow::Owned(value.into()))
}

#[cfg(feature = "server")]
/// The registry as an HTTP answer: OpenMetrics when `accept` asks for it, else the classic
/// text format.
pub(crate) fn respond(registry: &Registry, accept: Option<&str>) -> Response {
    let mut text = String::new();
    if let Err(error) = prometheus_client::encoding::text::encode(&mut text, registry) {
        tracing::error!(%error, "encoding metrics");
    }
    if accept.is_some_and(|accept| accept.contains("application/openmetrics-text")) {
        ([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response()
    } else {
        ([(header::CONTENT_TYPE, CLASSIC)], classic(&text)).into_response()
    }
}

/// OpenMetrics text as the classic Prometheus text format (see the module's note).
pub(crate) fn classic(openmetrics: &str) -> String {
    let mut counters = std::collections::HashSet::new();
    for line in openmetrics.lines() {
        if let Some(name) = line.strip_prefix("# TYPE ").and_then(|rest| rest.strip_suffix(" counter")) {
            counters.insert(name.to_owned());
        }
    }
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// A gauge holding `value`.
pub(crate) fn gauge(value: f64) -> Gauge<f64, AtomicU64> {
    let gauge = Gauge::<f64, AtomicU64>::default();
    gauge.set(value);
    gauge
}

/// A counter standing at `value`.
pub(crate) fn counter(value: u64) -> Counter {
    let counter = Counter::default();
    counter.inc_by(value);
    counter
}

/// Registers a snapshot value.
pub(crate) fn register(
    registry: &mut Registry,
    name: &str,
    help: &str,
    metric: impl EncodeMetric + Send + Sync + std::fmt::Debug + 'static,
) {
    registry.register(name, help, metric);
}

/// Registers a snapshot value with a unit (appended to the name: `uptime` + seconds).
pub(crate) fn register_with_unit(
    registry: &mut Registry,
    name: &str,
    help: &str,
    unit: Unit,
    metric: impl EncodeMetric + Send + Sync + std::fmt::Debug + 'static,
) {
    registry.register_with_unit(name, help, unit, metric);
}

/// `(upper bound, observations in that bucket alone)`: the form `encode_histogram` takes (it
/// accumulates them itself), the last bound `f64::MAX`, which it writes as `+Inf`.
fn per_bucket(histogram: &voicefleet_core::protocol::Histogram) -> Vec<(f64, u64)> {
    voicefleet_core::protocol::LATENCY_BUCKETS_SECONDS
        .iter()
        .copied()
        .chain(std::iter::once(f64::MAX))
        .zip(histogram.buckets.iter().copied().chain(std::iter::repeat(0)))
        .collect()
}

/// Turn-latency histograms, one series per stage (and per customer on the console), written from
/// snapshots at scrape time.
#[derive(Debug, Default)]
pub(crate) struct TurnLatency {
    /// The labels of each set (`customer`, when the registry does not carry it) with its
    /// histograms.
    pub(crate) sets: Vec<(Vec<Label>, LatencyHistograms)>,
}

impl Collector for TurnLatency {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut metric = encoder.encode_descriptor(
            "turn_latency",
            "Latency of the voice agent's turns by stage (e2e: end of user speech to first audio).",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        for (labels, histograms) in &self.sets {
            for (stage, histogram) in histograms.stages() {
                let mut set = labels.clone();
                set.push(label("stage", stage));
                let series = metric.encode_family(&set)?;
                let mut series = series;
                series.encode_histogram::<NoLabelSet>(
                    histogram.sum_seconds,
                    histogram.count,
                    &per_bucket(histogram),
                    None,
                )?;
            }
        }
        Ok(())
    }
}
