//! `voicefleet demo`.

use std::process::ExitCode;

use voicefleet_core::config::template;

use crate::cli::DemoArgs;

/// Until the demo fleet lands, shows the embedded default configuration, validated.
pub(crate) fn run(_args: DemoArgs) -> anyhow::Result<ExitCode> {
    let document = template("default")?;
    let validation = document.validate();
    eprintln!("voicefleet demo: the embedded default voice-agent configuration");
    eprintln!(
        "validation: {} errors, {} warnings; content hash {}",
        validation.errors().count(),
        validation.warnings().count(),
        document.content_hash()
    );
    eprintln!("(the local demo fleet, a console with five host agents, is coming next)");
    print!("{}", serde_json::to_string_pretty(&document.redacted())? + "\n");
    Ok(ExitCode::SUCCESS)
}
