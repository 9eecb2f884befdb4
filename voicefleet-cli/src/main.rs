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
mod remedy;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // This binary also serves the shim and the simulated agent (the demo's host agents start it).
    if let Some(code) = voicefleet_agent::hidden_entry_point() {
        return code;
    }
    let cli = cli::Cli::parse();
    if cli.command.runs_a_server() {
        // Read once (by the parse above, and kept for the master key): gone from the environment
        // before any thread starts, so no child and no later reader sees them.
        // SAFETY: no other thread has started yet.
        unsafe { voicefleet_core::secret_env::take_from_environment() };
    }
    if cli.command.prints_for_a_pipe() {
        exit_quietly_on_broken_pipe();
    } else if let Err(error) = voicefleet_core::heap::tune_for_daemon() {
        // A server (console, demo, agent): its memory stays flat over months with the tuning.
        eprintln!("voicefleet: cannot start the heap trimmer ({error}); freed memory may stay resident");
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
