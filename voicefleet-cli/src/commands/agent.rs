//! `voicefleet agent run`: the host agent daemon from the one binary.

use std::process::ExitCode;

pub(crate) fn run_daemon(args: Box<voicefleet_agent::AgentArgs>) -> anyhow::Result<ExitCode> {
    let settings = voicefleet_agent::Settings::resolve(*args).map_err(daemon_error)?;
    voicefleet_agent::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(voicefleet_agent::run(settings)).map_err(daemon_error)?;
    Ok(ExitCode::SUCCESS)
}

/// The daemon's error, with a core error unwrapped so the exit-code table sees its kind.
pub(crate) fn daemon_error(error: voicefleet_agent::Error) -> anyhow::Error {
    match error {
        voicefleet_agent::Error::Core(core) => core.into(),
        other => other.into(),
    }
}
