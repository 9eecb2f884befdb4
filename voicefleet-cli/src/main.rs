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
    // Hidden entry points this binary also serves: the per-agent shim the host agent starts, and
    // the simulated voice agent.
    let mut argv = std::env::args_os();
    match argv.nth(1) {
        Some(first) if first == "__shim" => {
            return ExitCode::from(voicefleet_core::supervisor::run_shim(argv.collect()) as u8);
        }
        Some(first) if first == "__simulate" => {
            return ExitCode::from(voicefleet_core::simulator::run() as u8);
        }
        _ => {}
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
