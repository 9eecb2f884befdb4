//! Which instance is which customer's host: the discovered instances against the customers the
//! console knows. Pure.
//!
//! An instance belongs to the customer its [`CUSTOMER_TAG`](super::CUSTOMER_TAG) names. When a
//! customer has several (a replacement next to the terminated one it replaced), the one that can
//! still run wins, then the latest launched; the others are reported as extra. A customer's
//! endpoint is the one set for it, else derived from the instance's address and the agent port.

use std::collections::BTreeMap;

use super::types::Instance;
use crate::customer::CustomerId;

/// A customer as the mapping sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedCustomer {
    /// The customer's id.
    pub id: CustomerId,
    /// The endpoint set for it by hand; `None` lets the mapping derive one.
    pub endpoint: Option<url::Url>,
}

/// How endpoints are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingOptions {
    /// The host agent's port on every host (the package's default is 8000).
    pub agent_port: u16,
}

impl Default for MappingOptions {
    fn default() -> Self {
        MappingOptions { agent_port: 8000 }
    }
}

/// Where a linked customer's endpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointSource {
    /// Set for the customer; the instance's address is not used.
    Set,
    /// `https://ADDRESS:PORT` from the instance.
    Derived,
    /// Neither: the instance has no address (stopped without one, or terminated).
    None,
}

/// A customer and its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedInstance {
    /// The customer.
    pub customer: CustomerId,
    /// Its instance, as the provider reported it.
    pub instance: Instance,
    /// The endpoint the console reaches its host agent at; none when neither set nor derivable.
    pub endpoint: Option<url::Url>,
    /// Where `endpoint` came from.
    pub endpoint_source: EndpointSource,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceMapping {
    /// One per customer that has an instance, in customer order.
    pub linked: Vec<LinkedInstance>,
    /// Tagged instances whose tag names no known customer (or is not a customer id at all).
    pub without_customer: Vec<Instance>,
    /// A customer's other instances, besides the one linked.
    pub extra: Vec<Instance>,
    /// Customers no instance names.
    pub customers_without_instance: Vec<CustomerId>,
}

/// Maps `instances` onto `customers`.
pub fn map_instances(
    customers: &[MappedCustomer],
    instances: Vec<Instance>,
    options: MappingOptions,
) -> InstanceMapping {
    let known: BTreeMap<&CustomerId, &MappedCustomer> = customers.iter().map(|c| (&c.id, c)).collect();
    let mut by_customer: BTreeMap<CustomerId, Vec<Instance>> = BTreeMap::new();
    let mut mapping = InstanceMapping::default();
    for instance in instances {
        let owner = instance
            .customer_tag
            .as_deref()
            .and_then(|tag| CustomerId::parse(tag.trim()).ok())
            .filter(|id| known.contains_key(id));
        match owner {
            Some(id) => by_customer.entry(id).or_default().push(instance),
            None => mapping.without_customer.push(instance),
        }
    }
    for customer in customers {
        let Some(mut candidates) = by_customer.remove(&customer.id) else {
            mapping.customers_without_instance.push(customer.id.clone());
            continue;
        };
        // Best first: not gone, then the latest launch, then the id for a stable order.
        candidates.sort_by(|a, b| {
            a.state
                .is_gone()
                .cmp(&b.state.is_gone())
                .then(b.launched_at_ms.cmp(&a.launched_at_ms))
                .then(a.id.cmp(&b.id))
        });
        let instance = candidates.remove(0);
        mapping.extra.extend(candidates);
        let (endpoint, endpoint_source) = match (&customer.endpoint, derived_endpoint(&instance, options)) {
            (Some(set), _) => (Some(set.clone()), EndpointSource::Set),
            (None, Some(derived)) => (Some(derived), EndpointSource::Derived),
            (None, None) => (None, EndpointSource::None),
        };
        mapping.linked.push(LinkedInstance {
            customer: customer.id.clone(),
            instance,
            endpoint,
            endpoint_source,
        });
    }
    mapping
}

/// `https://ADDRESS:PORT` for an instance that has an address and is not gone.
pub fn derived_endpoint(instance: &Instance, options: MappingOptions) -> Option<url::Url> {
    if instance.state.is_gone() {
        return None;
    }
    let address = instance.address()?;
    let host = match address {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    url::Url::parse(&format!("https://{host}:{}", options.agent_port)).ok()
}
