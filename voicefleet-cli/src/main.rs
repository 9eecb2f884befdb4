//! `voicefleet`: the operator's command line for voice agents run for many customers.
//!
//! This binary parses arguments and prints; every rule it applies lives in `voicefleet-core`.

mod backend;
mod cli;
mod commands;
mod confirm;
mod exit;
mod instance_provider;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // This binary also serves the shim and the simulated agent (the demo's host agents start it).
    if let Some(code) = voicefleet_agent::hidden_entry_point() {
        return code;
    }
    let cli = cli::Cli::parse();
    if cli.command.prints_for_a_pipe() {
        exit_quietly_on_broken_pipe();
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            exit::report(&error);
            exit::code_for(&error)
        }
    }
}

/// `voicefleet logs … | head -2`: when the reader goes away, end as every Unix tool does, killed
/// quietly by SIGPIPE, rather than panicking on the failed write (Rust ignores SIGPIPE by
/// default). Only for commands that print and exit; the servers keep ignoring it.
fn exit_quietly_on_broken_pipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: restoring the default disposition installs no handler, before any thread starts.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}
