//! `voicefleet customers onboard`: a customer's host launched and brought to a running agent,
//! each step printed as it is done (a remote console's steps once it answers).

use std::process::ExitCode;
use std::time::Duration;

use voicefleet_core::ErrorKind;
use voicefleet_core::console::{OnboardProgress, Onboarding};

use crate::backend::{Backend, parse_duration_seconds};
use crate::cli::OnboardArgs;
use crate::exit::Refusal;
use crate::output::{OutputFormat, print_json};

/// The longest wait a console accepts.
const MAX_TIMEOUT_SECONDS: u64 = 600;

pub(crate) async fn run(
    backend: &Backend,
    output: OutputFormat,
    args: OnboardArgs,
) -> anyhow::Result<ExitCode> {
    let seconds = parse_duration_seconds(&args.timeout)?;
    if seconds == 0 || seconds > MAX_TIMEOUT_SECONDS {
        return Err(Refusal::new(
            ErrorKind::InvalidInput,
            format!("--timeout {} is out of range", args.timeout),
            "give between 1s and 10m",
        )
        .into());
    }
    let Some(package_url) = args.package_url else {
        return Err(Refusal::new(
            ErrorKind::InvalidInput,
            "no package URL for the host agent",
            "give --package-url https://…/voicefleet-agent.deb (or set VOICEFLEET_AGENT_PACKAGE_URL)",
        )
        .into());
    };
    let config = match &args.config {
        Some(file) => Some(super::config::load(file)?.into_value()),
        None => None,
    };
    let request = Onboarding {
        customer_id: args.id,
        name: args.name,
        tags: args.tags,
        spec: args.launch.spec(),
        package_url,
        endpoint: args.endpoint,
        config,
        timeout: Duration::from_secs(seconds),
    };
    let id = request.customer_id.clone();
    let print = move |step: &OnboardProgress| eprintln!("{id}: {:<10} {}", step.step, step.detail);
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let report = fleet.onboard(&actor, request, &print).await?;
    if output == OutputFormat::Json {
        print_json(&serde_json::json!({
            "customer_id": report.customer_id,
            "instance_id": report.instance.id,
            "instance_type": report.instance.instance_type,
            "endpoint": report.endpoint,
            "pin_sha256": report.pin_sha256,
            "revision": report.revision,
            "steps": report.steps.iter().map(|s| serde_json::json!({
                "step": s.step, "detail": s.detail, "at_ms": s.at_ms,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        println!(
            "{}: onboarded on instance {} ({}), revision {} running at {}",
            report.customer_id,
            report.instance.id,
            report.instance.instance_type,
            report.revision,
            report.endpoint
        );
    }
    Ok(ExitCode::SUCCESS)
}
