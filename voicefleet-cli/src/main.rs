//! `voicefleet`: the operator's command line for voice agents run for many customers.
//!
//! This binary parses arguments and prints; every rule it applies lives in `voicefleet-core`.

mod backend;
mod cli;
mod commands;
mod exit;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // This binary also serves the shim and the simulated agent (the demo's host agents start it).
    if let Some(code) = voicefleet_agent::hidden_entry_point() {
        return code;
    }
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            exit::report(&error);
            exit::code_for(&error)
        }
    }
}
