//! The customers' hosts as JSON for the Python wrapper (`voicefleet/_instances.py`).

use serde_json::{Value, json};
use voicefleet_core::console::InstanceReport;
use voicefleet_core::instances::{EndpointSource, Instance};

pub(super) fn instance(instance: &Instance) -> Value {
    serde_json::to_value(instance).unwrap_or(Value::Null)
}

pub(super) fn report(report: &InstanceReport) -> Value {
    let mapping = &report.mapping;
    json!({
        "provider": report.provider,
        "synced_at_ms": report.synced_at_ms,
        "linked": mapping.linked.iter().map(|l| json!({
            "customer_id": l.customer.as_str(),
            "instance": instance(&l.instance),
            "endpoint": l.endpoint.as_ref().map(|u| u.to_string()),
            "endpoint_source": match l.endpoint_source {
                EndpointSource::Set => "set",
                EndpointSource::Derived => "derived",
                EndpointSource::None => "none",
            },
        })).collect::<Vec<_>>(),
        "without_customer": mapping.without_customer.iter().map(instance).collect::<Vec<_>>(),
        "extra": mapping.extra.iter().map(instance).collect::<Vec<_>>(),
        "customers_without_instance": mapping.customers_without_instance.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    })
}
