//! `voicefleet instances recovery show|set` and `voicefleet instances launch-spec show|set`.

use std::process::ExitCode;

use voicefleet_core::console::RecoveryConfig;
use voicefleet_core::instances::{LaunchSpec, RecoverySettings, effective_policy};

use crate::backend::{Backend, parse_duration_seconds};
use crate::cli::{LaunchSpecCommand, RecoveryCommand};
use crate::output::{OutputFormat, print_json, table};

pub(crate) async fn recovery(
    backend: &Backend,
    output: OutputFormat,
    command: RecoveryCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let config = match command {
        RecoveryCommand::Show => fleet.recovery_settings(&actor).await?,
        RecoveryCommand::Set { customer, enabled, unreachable_after, window, clear } => {
            let seconds = |text: Option<String>| text.map(|t| parse_duration_seconds(&t)).transpose();
            let settings = if clear {
                RecoverySettings::default()
            } else {
                let settings = RecoverySettings {
                    enabled,
                    unreachable_after_seconds: seconds(unreachable_after)?,
                    window_seconds: seconds(window)?,
                };
                anyhow::ensure!(
                    !settings.is_empty(),
                    "nothing to set: give --enabled, --unreachable-after or --window (or --clear)"
                );
                settings
            };
            fleet.set_recovery_settings(&actor, customer.as_deref(), settings).await?
        }
    };
    print_config(&config, output)
}

fn settings_json(settings: &RecoverySettings) -> serde_json::Value {
    serde_json::json!({
        "enabled": settings.enabled,
        "unreachable_after_seconds": settings.unreachable_after_seconds,
        "window_seconds": settings.window_seconds,
    })
}

fn print_config(config: &RecoveryConfig, output: OutputFormat) -> anyhow::Result<ExitCode> {
    if output == OutputFormat::Json {
        let customers: serde_json::Map<String, serde_json::Value> =
            config.customers.iter().map(|(id, s)| (id.clone(), settings_json(s))).collect();
        print_json(&serde_json::json!({"fleet": settings_json(&config.fleet), "customers": customers}))?;
        return Ok(ExitCode::SUCCESS);
    }
    let row = |scope: &str, own: Option<&RecoverySettings>| {
        let policy = effective_policy(Some(&config.fleet), own);
        vec![
            scope.to_owned(),
            if policy.enabled { "on" } else { "off" }.to_owned(),
            format!("{}s", policy.unreachable_after.as_secs()),
            format!("{}s", policy.window.as_secs()),
        ]
    };
    let mut rows = vec![row("fleet", None)];
    rows.extend(config.customers.iter().map(|(id, own)| row(id, Some(own))));
    print!("{}", table(&["SCOPE", "RECOVERY", "UNREACHABLE AFTER", "WINDOW"], &rows));
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn launch_spec(
    backend: &Backend,
    output: OutputFormat,
    command: LaunchSpecCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let (customer, spec) = match command {
        LaunchSpecCommand::Show { customer } => {
            let spec = fleet.launch_spec(&actor, &customer).await?;
            (customer, spec)
        }
        LaunchSpecCommand::Set { customer, launch } => {
            let spec = fleet.set_launch_spec(&actor, &customer, launch.spec()).await?;
            (customer, spec)
        }
    };
    print_spec(&customer, &spec, output)
}

fn print_spec(customer: &str, spec: &LaunchSpec, output: OutputFormat) -> anyhow::Result<ExitCode> {
    if output == OutputFormat::Json {
        print_json(&serde_json::json!({
            "customer_id": customer,
            "image_id": spec.image_id,
            "instance_type": spec.instance_type,
            "subnet_id": spec.subnet_id,
            "security_group_ids": spec.security_group_ids,
            "instance_profile": spec.instance_profile,
            "key_name": spec.key_name,
            "launch_template_id": spec.launch_template_id,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    println!("customer         {customer}");
    println!("image            {}", show(&spec.image_id));
    println!("instance type    {}", show(&spec.instance_type));
    println!("subnet           {}", show(&spec.subnet_id));
    println!(
        "security groups  {}",
        if spec.security_group_ids.is_empty() { "-".to_owned() } else { spec.security_group_ids.join(",") }
    );
    println!("instance profile {}", show(&spec.instance_profile));
    println!("key pair         {}", show(&spec.key_name));
    println!("launch template  {}", show(&spec.launch_template_id));
    Ok(ExitCode::SUCCESS)
}
