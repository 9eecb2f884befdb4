//! Customers: add, show, list, tag and remove.

use std::collections::BTreeMap;

use super::{Actor, Console, CustomerRecord, CustomerView, NewCustomer, Selector};
use crate::auth::Role;
use crate::customer::{CustomerId, parse_endpoint, parse_tag};
use crate::error::{Error, Result};

impl Console {
    /// The stored customer, or [`Error::CustomerNotFound`].
    pub(super) async fn record(&self, id: &str) -> Result<CustomerRecord> {
        self.store.customer(id).await?.ok_or_else(|| Error::CustomerNotFound { id: id.to_owned() })
    }
}

fn view(record: CustomerRecord) -> CustomerView {
    CustomerView {
        id: record.id,
        name: record.name,
        endpoint: record.endpoint,
        tags: record.tags,
        created_at_ms: record.created_at_ms,
        deployed_revision: record.deployed_revision,
        trust: record.trust,
    }
}

pub(super) async fn add(console: &Console, actor: &Actor, customer: NewCustomer) -> Result<CustomerView> {
    console.require(actor, Role::Admin, "customer.add", &customer.id).await?;
    let id = CustomerId::parse(&customer.id)?;
    let endpoint = parse_endpoint(&customer.endpoint)?;
    if !customer.trust.is_default() && endpoint.scheme() != "https" {
        return Err(Error::InvalidEndpoint {
            endpoint: customer.endpoint.clone(),
            reason: "a CA or a pin checks a TLS certificate: the endpoint must be https".to_owned(),
        });
    }
    let tags = customer.tags.iter().map(|t| parse_tag(t)).collect::<Result<BTreeMap<_, _>>>()?;
    let name = if customer.name.trim().is_empty() { id.to_string() } else { customer.name.trim().to_owned() };
    let record = CustomerRecord {
        id: id.to_string(),
        name,
        endpoint: endpoint.to_string(),
        tags,
        created_at_ms: console.options.clock.now_ms(),
        deployed_revision: None,
        trust: customer.trust.checked()?,
    };
    console
        .store
        .insert_customer(record.clone(), console.audit_record(actor, "customer.add", id.as_str()))
        .await?;
    Ok(view(record))
}

pub(super) async fn show(console: &Console, actor: &Actor, id: &str) -> Result<CustomerView> {
    console.require(actor, Role::Viewer, "customer.show", id).await?;
    console.record(id).await.map(view)
}

pub(super) async fn list(console: &Console, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerView>> {
    console.require(actor, Role::Viewer, "customer.list", "").await?;
    Ok(console
        .store
        .customers()
        .await?
        .into_iter()
        .filter(|c| selector.matches(&c.id, &c.tags))
        .map(view)
        .collect())
}

pub(super) async fn tag(
    console: &Console,
    actor: &Actor,
    id: &str,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<CustomerView> {
    console.require(actor, Role::Admin, "customer.tag", id).await?;
    let mut record = console.record(id).await?;
    for key in &remove {
        record.tags.remove(key);
    }
    for tag in &add {
        let (key, value) = parse_tag(tag)?;
        record.tags.insert(key, value);
    }
    console.store.update_customer(record.clone(), console.audit_record(actor, "customer.tag", id)).await?;
    Ok(view(record))
}

pub(super) async fn remove(console: &Console, actor: &Actor, id: &str) -> Result<()> {
    console.require(actor, Role::Admin, "customer.remove", id).await?;
    console.record(id).await?;
    if console.targets_in_runs().contains(id) {
        return Err(Error::conflict(
            format!("customer `{id}` is a target of a bulk run in progress"),
            Some("wait for the run to finish, or cancel it"),
        ));
    }
    console.store.delete_customer(id, console.audit_record(actor, "customer.remove", id)).await?;
    console.statuses.remove(id);
    Ok(())
}
