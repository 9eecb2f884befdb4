//! `voicefleet instances …`: list, sync, start, stop, reboot, resize, terminate.

use std::process::ExitCode;

use voicefleet_core::console::{InstanceControl, InstanceReport};
use voicefleet_core::instances::Instance;

use crate::backend::Backend;
use crate::cli::InstancesCommand;
use crate::output::{OutputFormat, ago, print_json, table};

pub(crate) async fn run(
    backend: &Backend,
    output: OutputFormat,
    command: InstancesCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let (customer, control) = match command {
        InstancesCommand::List => return print_report(&fleet.instances(&actor).await?, output),
        InstancesCommand::Sync => return print_report(&fleet.sync_instances(&actor).await?, output),
        InstancesCommand::Resize { customer, instance_type } => {
            let instance = fleet.resize_instance(&actor, &customer, &instance_type).await?;
            return print_instance(&customer, &instance, output);
        }
        InstancesCommand::Terminate { customer, confirm } => {
            let name = fleet.customer(&actor, &customer).await?.name;
            crate::confirm::confirm_by_name(
                &format!("terminate the instance of `{customer}`"),
                "the instance and its disks are deleted for good; the customer stays, without a host",
                &name,
                confirm.as_deref(),
            )?;
            (customer, InstanceControl::Terminate)
        }
        InstancesCommand::Recovery { command } => {
            return super::recovery::recovery(backend, output, command).await;
        }
        InstancesCommand::LaunchSpec { command } => {
            return super::recovery::launch_spec(backend, output, command).await;
        }
        InstancesCommand::Start { customer } => (customer, InstanceControl::Start),
        InstancesCommand::Stop { customer } => (customer, InstanceControl::Stop),
        InstancesCommand::Reboot { customer } => (customer, InstanceControl::Reboot),
    };
    let instance = fleet.instance_control(&actor, &customer, control).await?;
    print_instance(&customer, &instance, output)
}

fn checks(instance: &Instance) -> String {
    format!("{}/{}", instance.system_status, instance.instance_status)
}

fn address(instance: &Instance) -> String {
    instance.address().map_or_else(|| "-".to_owned(), |a| a.to_string())
}

fn print_instance(customer: &str, instance: &Instance, output: OutputFormat) -> anyhow::Result<ExitCode> {
    if output == OutputFormat::Json {
        print_json(&json(Some(customer), instance))?;
    } else {
        println!("{customer}: instance {} is {} ({})", instance.id, instance.state, instance.instance_type);
    }
    Ok(ExitCode::SUCCESS)
}

fn json(customer: Option<&str>, i: &Instance) -> serde_json::Value {
    serde_json::json!({
        "customer_id": customer,
        "id": i.id,
        "state": i.state.as_str(),
        "instance_type": i.instance_type,
        "private_address": i.private_address.map(|a| a.to_string()),
        "public_address": i.public_address.map(|a| a.to_string()),
        "availability_zone": i.availability_zone,
        "launched_at_ms": i.launched_at_ms,
        "system_status": i.system_status.as_str(),
        "instance_status": i.instance_status.as_str(),
        "customer_tag": i.customer_tag,
    })
}

fn print_report(report: &InstanceReport, output: OutputFormat) -> anyhow::Result<ExitCode> {
    let mapping = &report.mapping;
    if output == OutputFormat::Json {
        print_json(&serde_json::json!({
            "provider": report.provider,
            "synced_at_ms": report.synced_at_ms,
            "linked": mapping.linked.iter().map(|l| {
                let mut value = json(Some(l.customer.as_str()), &l.instance);
                value["endpoint"] = serde_json::json!(l.endpoint.as_ref().map(|u| u.to_string()));
                value
            }).collect::<Vec<_>>(),
            "without_customer": mapping.without_customer.iter().map(|i| json(None, i)).collect::<Vec<_>>(),
            "extra": mapping.extra.iter().map(|i| json(i.customer_tag.as_deref(), i)).collect::<Vec<_>>(),
            "customers_without_instance": mapping.customers_without_instance.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let row = |customer: &str, i: &Instance| {
        vec![
            customer.to_owned(),
            i.id.clone(),
            i.state.to_string(),
            i.instance_type.clone(),
            address(i),
            i.availability_zone.clone().unwrap_or_else(|| "-".to_owned()),
            checks(i),
            ago(i.launched_at_ms),
        ]
    };
    let mut rows: Vec<Vec<String>> =
        mapping.linked.iter().map(|l| row(l.customer.as_str(), &l.instance)).collect();
    rows.extend(
        mapping
            .extra
            .iter()
            .map(|i| row(&format!("{} (extra)", i.customer_tag.as_deref().unwrap_or("-")), i)),
    );
    rows.extend(
        mapping
            .without_customer
            .iter()
            .map(|i| row(&format!("? {}", i.customer_tag.as_deref().unwrap_or("-")), i)),
    );
    rows.extend(mapping.customers_without_instance.iter().map(|c| {
        let mut none = vec![c.to_string(), "-".to_owned(), "no instance".to_owned()];
        none.extend(std::iter::repeat_n("-".to_owned(), 5));
        none
    }));
    print!(
        "{}",
        table(&["CUSTOMER", "INSTANCE", "STATE", "TYPE", "ADDRESS", "ZONE", "CHECKS", "LAUNCHED"], &rows)
    );
    match (&report.provider, report.synced_at_ms) {
        (None, _) => eprintln!("no instance provider: the console runs without VOICEFLEET_EC2=1"),
        (Some(provider), None) => eprintln!("{provider}: never synced; run `voicefleet instances sync`"),
        (Some(provider), Some(at)) => eprintln!("{provider}: synced {}", ago(Some(at))),
    }
    if !mapping.without_customer.is_empty() {
        eprintln!(
            "{} instance(s) marked `?` are tagged for no known customer: add the customer, or fix the tag",
            mapping.without_customer.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
