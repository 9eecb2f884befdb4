//! `voicefleet-agent`: the host daemon binary.

use std::process::ExitCode;

use clap::Parser;
use voicefleet_agent::{AgentArgs, Settings};

/// The voicefleet host agent: supervises one customer's voice agent and serves the host API.
#[derive(Debug, Parser)]
#[command(
    name = "voicefleet-agent",
    version,
    after_long_help = "\
Examples:
  voicefleet-agent --customer-id acme --config acme.json --secrets-file secrets.json
  voicefleet-agent --settings /etc/voicefleet/agent.toml --listen 10.0.1.17:8000 \\
      --console-public-key console.pub.pem --tls-cert host.crt --tls-key host.key

The break-glass admin token is in STATE_DIR/admin.token (send it as `Authorization: Bearer`).
On SIGTERM or Ctrl-C the host agent exits and leaves the voice agent running for the next one
to adopt, unless --stop-agent-on-exit."
)]
struct Cli {
    #[command(flatten)]
    args: AgentArgs,
}

fn main() -> ExitCode {
    if let Some(code) = voicefleet_agent::hidden_entry_point() {
        return code;
    }
    let cli = Cli::parse();
    // Secrets read once (by the parse above): gone from the environment before any thread
    // starts, so nothing the daemon starts and no later reader sees them.
    // SAFETY: no other thread has started yet.
    unsafe { voicefleet_core::secret_env::take_from_environment() };
    voicefleet_agent::init_logging();
    if let Err(error) = voicefleet_core::heap::tune_for_daemon() {
        tracing::warn!(%error, "cannot start the heap trimmer; freed memory may stay resident");
    }
    let settings = match Settings::resolve(cli.args) {
        Ok(settings) => settings,
        Err(error) => return report(&error),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return report(&voicefleet_core::Error::io("cannot start the runtime", error).into()),
    };
    match runtime.block_on(voicefleet_agent::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

/// The one table from error kind to the daemon's exit code: 2 when the input (flags, settings,
/// the seed document) was refused, 1 for everything else.
fn exit_code(kind: voicefleet_core::ErrorKind) -> u8 {
    use voicefleet_core::ErrorKind;
    match kind {
        ErrorKind::InvalidInput => 2,
        ErrorKind::NotFound
        | ErrorKind::Conflict
        | ErrorKind::Unauthorized
        | ErrorKind::Forbidden
        | ErrorKind::Unavailable
        | ErrorKind::Internal => 1,
    }
}

/// Prints the error, its validation issues and its hint; exits with [`exit_code`].
fn report(error: &voicefleet_agent::Error) -> ExitCode {
    eprintln!("error: {error}");
    if let voicefleet_agent::Error::Core(core) = error {
        for issue in core.issues() {
            eprintln!("  {issue}");
        }
        if let Some(hint) = settings_hint(core).or_else(|| core.hint()) {
            eprintln!("hint: {hint}");
        }
    }
    ExitCode::from(exit_code(error.kind()))
}

/// Core's remedy said as this daemon's settings, where core says it in library terms.
fn settings_hint(error: &voicefleet_core::Error) -> Option<String> {
    match error.remedy()? {
        voicefleet_core::Remedy::ServeOverTls => Some(
            "give --tls-cert and --tls-key (tls_cert and tls_key in agent.toml); or, when a proxy in front \
             terminates TLS, --insecure-plaintext"
                .to_owned(),
        ),
        _ => None,
    }
}
