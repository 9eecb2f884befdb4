//! The command-line grammar (clap derive types live here, not in core), one file per command
//! group; this file holds the top level: global flags and the list of commands.

mod accounts;
mod bulk;
mod config;
mod console;
mod demo;
mod fleet;
mod host;
mod instances;

pub(crate) use accounts::*;
pub(crate) use bulk::*;
pub(crate) use config::*;
pub(crate) use console::*;
pub(crate) use demo::*;
pub(crate) use fleet::*;
pub(crate) use host::*;
pub(crate) use instances::*;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::OutputFormat;

const EXIT_CODES: &str = "\
Where the fleet is:
  --console URL (or VOICEFLEET_CONSOLE) talks to a console server, with --token, VOICEFLEET_TOKEN
  or the token saved by `voicefleet login`. Without a console, commands use an embedded console
  in --data DIR (default ~/.local/share/voicefleet): no server needed.

Exit codes:
  0  success
  1  failure (unreadable file, I/O, a bulk target failed, internal error)
  2  invalid input (invalid configuration, bad flag or path)
  3  not found
  4  unauthorized or forbidden
  5  unavailable (a console or host that does not answer)";

/// The heading the global flags are listed under, apart from each command's own options.
const GLOBAL: &str = "Global options";

/// Run and control voice agents for many customers.
#[derive(Debug, Parser)]
#[command(name = "voicefleet", version, about, after_long_help = EXIT_CODES, arg_required_else_help = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// Console URL; without it, the embedded console in --data is used
    #[arg(long, global = true, env = "VOICEFLEET_CONSOLE", value_name = "URL", help_heading = GLOBAL)]
    pub(crate) console: Option<String>,
    /// Console token (a login token or an API token)
    #[arg(long, global = true, env = "VOICEFLEET_TOKEN", value_name = "TOKEN", hide_env_values = true, help_heading = GLOBAL)]
    pub(crate) token: Option<String>,
    /// Data directory of the embedded console [default: ~/.local/share/voicefleet]
    #[arg(long, global = true, env = "VOICEFLEET_DATA", value_name = "DIR", help_heading = GLOBAL)]
    pub(crate) data: Option<PathBuf>,
    /// Output format of commands that print data
    #[arg(long, short = 'o', global = true, value_enum, default_value_t, help_heading = GLOBAL)]
    pub(crate) output: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a local demo fleet: a console and five host agents, no setup
    Demo(DemoArgs),
    /// Log in to a console and save the token
    Login(LoginArgs),
    /// Forget the saved token
    Logout,
    /// Show who the token belongs to (and, on standard error, which console and token)
    Whoami,
    /// Which console this shell uses, as whom, and where the URL and the token come from
    #[command(after_long_help = "\
The console comes from --console, else VOICEFLEET_CONSOLE, else the saved login (`voicefleet
login`), else the embedded console in --data (VOICEFLEET_DATA, default ~/.local/share/voicefleet).
The token comes from --token, else VOICEFLEET_TOKEN, else the login saved for that console.

Examples:
  voicefleet context
  voicefleet context -o json")]
    Context,
    /// Add, list, show, tag and remove customers
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// The fleet's status: state, uptime, restarts, CPU, memory, calls, latency, drift
    Status(StatusArgs),
    /// Validate, edit, diff and generate configuration documents (files or customers' revisions)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Set, list and remove a customer's secrets (values are write-only)
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Start, stop, restart or drain one customer's agent; or run the host agent daemon
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Act on many customers at once, with rate control and canaries
    #[command(subcommand)]
    Bulk(BulkCommand),
    /// The customers' hosts as cloud instances: list, sync, start, stop, reboot, resize, terminate
    #[command(subcommand)]
    Instances(InstancesCommand),
    /// A customer's voice-agent logs
    Logs(LogsArgs),
    /// What happened: state changes with their exits, restarts, alerts, deploys
    Events(EventsArgs),
    /// A customer's metrics history
    Metrics(MetricsArgs),
    /// Firing (or all) alerts
    Alerts(AlertsArgs),
    /// Read and verify the audit log (admin)
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage console users (admin)
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage API tokens for automation (admin)
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// The host agent on this machine, without the console (break-glass)
    Host(HostArgs),
    /// Run the console server
    #[command(subcommand)]
    Console(ConsoleCommand),
    /// Print a shell completion script
    #[command(after_long_help = "\
In bash, zsh and fish, customer ids are completed too, live from the console the shell uses.

Examples:
  voicefleet completions bash > ~/.local/share/bash-completion/completions/voicefleet
  voicefleet completions zsh > \"${fpath[1]}/_voicefleet\"
  voicefleet completions fish > ~/.config/fish/completions/voicefleet.fish")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The customer ids, one a line, for shell completion
    #[command(name = "__complete-customers", hide = true)]
    CompleteCustomers,
}

impl Command {
    /// Commands that print and exit (or follow until Ctrl-C), as opposed to the servers (`demo`,
    /// `console serve`, `agent run`).
    /// A server (or a console-side tool): it takes its secrets out of its environment at start.
    pub(crate) fn runs_a_server(&self) -> bool {
        !self.prints_for_a_pipe()
    }

    pub(crate) fn prints_for_a_pipe(&self) -> bool {
        !matches!(self, Command::Demo(_) | Command::Console(_) | Command::Agent(AgentCommand::Run(_)))
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser as _};

    use super::{Cli, Command};

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command line an operator types, parsed in process.
    #[test]
    fn command_lines_parse() {
        for line in [
            "voicefleet demo --data ./demo --no-watch --scenario crash",
            "voicefleet login --user ops",
            "voicefleet logout",
            "voicefleet whoami -o json",
            "voicefleet customers list --selector tier=prod",
            "voicefleet customers add acme --endpoint https://10.0.1.17:8000 --tag tier=prod --tag region=eu",
            "voicefleet customers tag acme canary=yes --remove region",
            "voicefleet status acme --watch",
            "voicefleet --console http://127.0.0.1:9000 --token vft_x status -s tier=prod -o json",
            "voicefleet config get acme agent_settings.llm.model",
            "voicefleet config set acme agent_settings.llm.temperature 0.3 -m calmer",
            "voicefleet config diff acme --from 1 --to 2",
            "voicefleet config history acme",
            "voicefleet config rollback acme 3",
            "voicefleet config deploy acme --revision 4",
            "voicefleet secrets set acme openai_api_key",
            "voicefleet agent restart acme --drain-timeout 30",
            "voicefleet bulk restart --selector tier=prod --max-concurrency 10% --max-errors 1 --canary 1 --yes",
            "voicefleet bulk deploy --selector all --revision 3 --healthy-for 30 --auto-rollback --dry-run",
            "voicefleet bulk cancel run-1",
            "voicefleet logs acme -f --stderr --tail 20",
            "voicefleet metrics acme --since 7d",
            "voicefleet alerts --all",
            "voicefleet audit verify",
            "voicefleet users add alice --role operator",
            "voicefleet tokens create ci --role viewer --expires 30d",
            "voicefleet console serve --listen 127.0.0.1:9100 --cors-origin http://localhost:5173",
            "voicefleet agent run --customer-id acme --listen 127.0.0.1:8100",
            "voicefleet completions zsh",
            "voicefleet instances list -o json",
            "voicefleet instances sync",
            "voicefleet instances resize acme t3.large",
            "voicefleet instances terminate acme --confirm Acme",
        ] {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Err(error) = Cli::try_parse_from(&words) {
                panic!("{line}: {error}");
            }
        }
        let parsed =
            Cli::try_parse_from(["voicefleet", "bulk", "restart", "--selector", "tier=prod"]).unwrap();
        assert!(
            matches!(parsed.command, Command::Bulk(super::BulkCommand::Restart(ref o)) if o.max_concurrency == "10%" && o.max_errors == "0")
        );
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for line in [
            "voicefleet users add alice --role root",
            "voicefleet bulk restart",
            "voicefleet secrets set acme openai_api_key extra",
            "voicefleet customers add acme",
            "voicefleet status --output yaml",
            "voicefleet console serve --tls-cert only.pem",
            "voicefleet instances resize acme",
            "voicefleet instances reboot",
        ] {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(Cli::try_parse_from(&words).is_err(), "{line} should be refused");
        }
    }

    /// Every argument of every command says what it is; env-backed flags are never shown as
    /// required in a usage line.
    #[test]
    fn every_argument_is_described() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.is_hide_set() {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path}: {id}"));
                }
                if arg.get_env().is_some() && arg.is_required_set() {
                    missing.push(format!("{path}: {id} is required although it has an environment variable"));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "voicefleet", &mut missing);
        assert!(missing.is_empty(), "arguments without a description:\n{}", missing.join("\n"));
    }

    /// The help of every command, snapshotted so a change shows in review.
    #[test]
    fn help_snapshots() {
        // A fixed width, whatever the terminal running the tests.
        let mut root = Cli::command().term_width(100).max_term_width(100);
        root.build();
        let mut pages = Vec::new();
        fn walk(command: &clap::Command, prefix: &str, pages: &mut Vec<(String, String)>) {
            let name = if prefix.is_empty() {
                command.get_name().to_owned()
            } else {
                format!("{prefix} {}", command.get_name())
            };
            let mut command = command.clone();
            pages.push((name.clone(), command.render_long_help().to_string()));
            for sub in command.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &name, pages);
                }
            }
        }
        walk(&root, "", &mut pages);
        assert!(pages.len() > 50, "{} pages", pages.len());
        let text: String = pages.iter().map(|(name, help)| format!("===== {name}\n{help}\n")).collect();
        insta::assert_snapshot!("help", text);
    }
}
