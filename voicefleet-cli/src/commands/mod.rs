//! One module per command group.

mod accounts;
mod agent;
mod bulk;
mod completions;
mod config;
mod console;
mod demo;
mod events;
mod fleet;
mod host;
mod host_audit;
mod instances;
mod lines;
mod mfa;
mod migrate;
mod onboard;
mod progress;
mod recovery;
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
        completions::print(shell)?;
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut global = cli.global;
    // `-o wide` is for the commands that have a wide view; the others print text.
    let wide = global.output;
    global.output = global.output.plain();
    let output = global.output;
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        // A misspelt customer id gets the same did-you-mean as every other command.
        Command::Config(command) => match config::run(&global, command).await {
            Err(error) if is_missing_customer(&error) => match Backend::open(&global).await {
                Ok(backend) => Err(suggest_customer(&backend, error).await),
                Err(_) => Err(error),
            },
            result => result,
        },
        Command::Login(args) => accounts::login(&global, args).await,
        Command::Logout => accounts::logout(),
        Command::Console(command) => console::run(&global, command).await,
        Command::Context => accounts::context(&global, output).await,
        Command::Host(args) => host::run(output, args).await,
        // For shell completion: nothing on a failure, never a new console.
        Command::CompleteCustomers => {
            if let Ok(backend) = Backend::open(&global).await
                && let Ok(customers) = backend
                    .fleet()
                    .customers(&backend.actor(), &voicefleet_core::console::Selector::All)
                    .await
            {
                customers.iter().for_each(|customer| println!("{}", customer.id));
            }
            Ok(ExitCode::SUCCESS)
        }
        command => {
            let creation = match &command {
                Command::Customers(CustomersCommand::Add { .. } | CustomersCommand::Onboard(_))
                | Command::Users(UsersCommand::Add { .. })
                | Command::Tokens(TokensCommand::Create { .. }) => Creation::Allowed,
                _ => Creation::Refused,
            };
            let backend = Backend::open_with(&global, creation).await?;
            let result = match command {
                Command::Whoami => accounts::whoami(&backend, output).await,
                Command::Customers(command) => fleet::customers(&backend, output, command).await,
                Command::Status(args) => status::status(&backend, wide, args).await,
                Command::Secrets(command) => fleet::secrets(&backend, output, command).await,
                Command::Agent(command) => fleet::control(&backend, output, command).await,
                Command::Bulk(command) => bulk::run(&backend, output, command).await,
                Command::Instances(command) => instances::run(&backend, output, command).await,
                Command::Logs(args) => fleet::logs(&backend, output, args).await,
                Command::Events(args) => events::events(&backend, output, args).await,
                Command::Metrics(args) => fleet::metrics(&backend, wide, args).await,
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
                | Command::CompleteCustomers
                | Command::Completions { .. } => {
                    unreachable!("handled above")
                }
            };
            match result {
                Err(error) => Err(suggest_customer(&backend, not_a_console(&backend, error).await).await),
                ok => ok,
            }
        }
    }
}

/// A refusal from a server that is a host agent, not a console, says so.
async fn not_a_console(backend: &Backend, error: anyhow::Error) -> anyhow::Error {
    use voicefleet_core::ErrorKind;
    let Backend::Remote(client) = backend else { return error };
    let kind = error.downcast_ref::<voicefleet_core::Error>().map(voicefleet_core::Error::kind);
    if !matches!(kind, Some(ErrorKind::Unauthorized | ErrorKind::NotFound | ErrorKind::InvalidInput)) {
        return error;
    }
    match client.server_title().await {
        Ok(title) if title.contains("host") => crate::exit::Refusal::new(
            ErrorKind::InvalidInput,
            format!("{} is a host agent, not a console ({error:#})", client.base_url()),
            "point --console (or VOICEFLEET_CONSOLE) at the console's URL; on the host itself, `voicefleet host status` works without a console",
        )
        .into(),
        _ => error,
    }
}

fn is_missing_customer(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<voicefleet_core::Error>(),
        Some(voicefleet_core::Error::CustomerNotFound { .. })
            | Some(voicefleet_core::Error::Remote { kind: voicefleet_core::ErrorKind::NotFound, .. })
    )
}

/// A customer id that does not exist: the closest one that does, as the hint.
async fn suggest_customer(backend: &Backend, error: anyhow::Error) -> anyhow::Error {
    let missing = match error.downcast_ref::<voicefleet_core::Error>() {
        Some(voicefleet_core::Error::CustomerNotFound { id }) => id.clone(),
        Some(voicefleet_core::Error::Remote {
            kind: voicefleet_core::ErrorKind::NotFound, message, ..
        }) if message.starts_with("customer `") => message.split('`').nth(1).unwrap_or_default().to_owned(),
        _ => return error,
    };
    let Ok(customers) =
        backend.fleet().customers(&backend.actor(), &voicefleet_core::console::Selector::All).await
    else {
        return error;
    };
    let hint = match voicefleet_core::customer::closest_id(&missing, customers.iter().map(|c| c.id.as_str()))
    {
        Some(closest) => format!("did you mean `{closest}`? (`voicefleet customers list` shows them all)"),
        None => "`voicefleet customers list` shows the customers".to_owned(),
    };
    crate::exit::Refusal::new(
        voicefleet_core::ErrorKind::NotFound,
        format!("customer `{missing}` does not exist"),
        hint,
    )
    .into()
}
