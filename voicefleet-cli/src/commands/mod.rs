//! One module per command group.

mod accounts;
mod agent;
mod bulk;
mod config;
mod console;
mod demo;
mod events;
mod fleet;
mod host;
mod lines;
mod progress;
mod status;

use std::process::ExitCode;

use crate::backend::{Backend, Creation};
use crate::cli::{AgentCommand, Cli, Command, CustomersCommand, TokensCommand, UsersCommand};

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The daemon builds its own runtime and logging.
    if let Command::Agent(AgentCommand::Run(args)) = cli.command {
        return agent::run_daemon(args);
    }
    if let Command::Completions { shell } = cli.command {
        let mut command = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut command, "voicefleet", &mut std::io::stdout());
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    let output = global.output;
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Config(command) => config::run(&global, command).await,
        Command::Login(args) => accounts::login(&global, args).await,
        Command::Logout => accounts::logout(),
        Command::Console(command) => console::run(&global, command).await,
        Command::Context => accounts::context(&global, output).await,
        Command::Host(args) => host::run(output, args).await,
        command => {
            let creation = match &command {
                Command::Customers(CustomersCommand::Add { .. })
                | Command::Users(UsersCommand::Add { .. })
                | Command::Tokens(TokensCommand::Create { .. }) => Creation::Allowed,
                _ => Creation::Refused,
            };
            let backend = Backend::open_with(&global, creation).await?;
            match command {
                Command::Whoami => accounts::whoami(&backend, output).await,
                Command::Customers(command) => fleet::customers(&backend, output, command).await,
                Command::Status(args) => status::status(&backend, output, args).await,
                Command::Secrets(command) => fleet::secrets(&backend, output, command).await,
                Command::Agent(command) => fleet::control(&backend, output, command).await,
                Command::Bulk(command) => bulk::run(&backend, output, command).await,
                Command::Logs(args) => fleet::logs(&backend, output, args).await,
                Command::Events(args) => events::events(&backend, output, args).await,
                Command::Metrics(args) => fleet::metrics(&backend, output, args).await,
                Command::Alerts(args) => fleet::alerts(&backend, output, args).await,
                Command::Audit(command) => fleet::audit(&backend, output, command).await,
                Command::Users(command) => accounts::users(&backend, output, command).await,
                Command::Tokens(command) => accounts::tokens(&backend, output, command).await,
                Command::Demo(_)
                | Command::Config(_)
                | Command::Login(_)
                | Command::Logout
                | Command::Console(_)
                | Command::Context
                | Command::Host(_)
                | Command::Completions { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
}
