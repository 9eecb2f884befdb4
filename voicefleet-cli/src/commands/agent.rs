//! `voicefleet agent run`: the host agent daemon from the one binary.

use std::process::ExitCode;

pub(crate) fn run_daemon(args: Box<voicefleet_agent::AgentArgs>) -> anyhow::Result<ExitCode> {
    let settings = voicefleet_agent::Settings::resolve(*args)?;
    voicefleet_agent::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(voicefleet_agent::run(settings))?;
    Ok(ExitCode::SUCCESS)
}
