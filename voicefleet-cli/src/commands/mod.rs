//! One module per command group.

mod agent;
mod config;
mod demo;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Config(command) => config::run(command),
        Command::Agent(command) => agent::run(command),
    }
}
