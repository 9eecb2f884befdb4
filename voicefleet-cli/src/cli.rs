//! The command-line grammar (clap derive types live here, not in core).

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
    #[arg(long, global = true, env = "VOICEFLEET_CONSOLE", value_name = "URL")]
    pub(crate) console: Option<String>,
    /// Console token (a login token or an API token)
    #[arg(long, global = true, env = "VOICEFLEET_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Data directory of the embedded console [default: ~/.local/share/voicefleet]
    #[arg(long, global = true, env = "VOICEFLEET_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Output format of commands that print data
    #[arg(long, short = 'o', global = true, value_enum, default_value_t)]
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
    /// Show who the token belongs to
    Whoami,
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
    /// A customer's voice-agent logs
    Logs(LogsArgs),
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
    /// Run the console server
    #[command(subcommand)]
    Console(ConsoleCommand),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  voicefleet demo                       # watch five customers' agents take calls; Ctrl-C stops all
  voicefleet demo --data ./demo --no-watch
  source ./demo/demo.env && voicefleet status   # from another shell
  voicefleet demo --scenario crash      # one agent crash-loops, then recovers
  voicefleet demo --scenario bad-rollout   # a bad config rollout stopped by its canary")]
pub(crate) struct DemoArgs {
    /// Keep the demo's state here (default: a temporary directory, removed at the end)
    #[arg(long = "data", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Print the status once instead of redrawing it
    #[arg(long)]
    pub(crate) no_watch: bool,
    /// What to show
    #[arg(long, value_enum, default_value_t)]
    pub(crate) scenario: Scenario,
    /// The console's port; taken ports are replaced by free ones (and named)
    #[arg(long, default_value_t = 9000)]
    pub(crate) port: u16,
    /// The first host agent's port; the five use this one and the next four
    #[arg(long, default_value_t = 8001)]
    pub(crate) host_port: u16,
    /// With --no-watch: wait this long for calls before printing (seconds)
    #[arg(long, default_value_t = 3.0)]
    pub(crate) settle: f64,
    /// Exit after this many seconds (0: run until Ctrl-C)
    #[arg(long, default_value_t = 0.0)]
    pub(crate) duration: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Scenario {
    /// Five healthy customers taking calls
    #[default]
    Healthy,
    /// One agent crash-loops, then a fixed configuration is rolled out
    Crash,
    /// A bad rollout to the prod tier, stopped by its canary and rolled back
    BadRollout,
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
The password is read from standard input when it is not a terminal, else asked for.

Examples:
  voicefleet login --console http://127.0.0.1:9000 --user admin
  printf '%s' \"$PASSWORD\" | voicefleet login --console https://console.example.com --user ops")]
pub(crate) struct LoginArgs {
    #[arg(long, default_value = "admin")]
    pub(crate) user: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CustomersCommand {
    /// List customers
    List {
        /// all, tier=prod,region=eu (tags) or acme,globex (ids)
        #[arg(long, short = 's', default_value = "all")]
        selector: String,
    },
    /// Add a customer
    #[command(
        after_long_help = "Example:\n  voicefleet customers add acme --endpoint https://10.0.1.17:8000 --name 'Acme Dental' --tag tier=prod"
    )]
    Add {
        id: String,
        /// The host agent's base URL
        #[arg(long)]
        endpoint: String,
        #[arg(long, default_value = "")]
        name: String,
        /// key=value, repeatable
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Show one customer
    Show { id: String },
    /// Remove a customer (refused while a bulk run targets it)
    Remove { id: String },
    /// Add key=value tags and remove keys
    #[command(
        after_long_help = "Example:\n  voicefleet customers tag acme tier=prod region=eu --remove canary"
    )]
    Tag {
        id: String,
        tags: Vec<String>,
        #[arg(long = "remove")]
        remove: Vec<String>,
    },
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  voicefleet status
  voicefleet status acme
  voicefleet status --selector tier=prod --watch
  voicefleet status --output json | jq '.[] | select(.drift)'")]
pub(crate) struct StatusArgs {
    /// One customer
    pub(crate) customer: Option<String>,
    #[arg(long, short = 's', default_value = "all")]
    pub(crate) selector: String,
    /// Redraw every 2 seconds until Ctrl-C
    #[arg(long, short = 'w')]
    pub(crate) watch: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Check a document and print every issue
    #[command(after_long_help = "\
Examples:
  voicefleet config validate acme.json
  voicefleet config validate acme.json --secrets openai_api_key,deepgram_api_key
  cat acme.json | voicefleet config validate - --output json

Exit code 0 when the document is valid (warnings allowed), 2 when it has errors,
1 when the file cannot be read.")]
    Validate {
        /// The document; `-` reads standard input
        file: PathBuf,
        /// Comma-separated secret names the customer has; every secret://NAME must be one of them
        #[arg(long, value_delimiter = ',')]
        secrets: Option<Vec<String>>,
    },
    /// Print a starting-point document
    #[command(after_long_help = "\
Examples:
  voicefleet config template > acme.json
  voicefleet config template anthropic-assemblyai-cartesia
  voicefleet config template --list")]
    Template {
        /// Template name (default: `default`)
        name: Option<String>,
        /// List the template names instead
        #[arg(long, conflicts_with = "name")]
        list: bool,
    },
    /// Print the JSON Schema (draft 2020-12) of the document
    Schema,
    /// Print the value at a dot path, in a file or in a customer's latest revision
    #[command(after_long_help = "\
TARGET is a file (an existing path, `-`, or a name ending .json) or a customer id.

Examples:
  voicefleet config get acme.json agent_settings.llm.model
  voicefleet config get acme telephony.numbers[0]
  voicefleet config get acme agent_settings --output json")]
    Get {
        target: String,
        /// Dot path: keys separated by `.`, array items as `[i]`
        path: String,
    },
    /// Set the value at a dot path: writes the file atomically, or creates a customer revision
    #[command(after_long_help = "\
VALUE is parsed as JSON when it parses (0.3, true, [\"a\"], {\"k\": 1}), else taken as a string.
A change that adds a validation error is refused and the file is left byte-for-byte untouched
(for a customer: no revision is created). A customer revision is not deployed until
`voicefleet config deploy`.

Examples:
  voicefleet config set acme.json agent_settings.llm.temperature 0.3
  voicefleet config set acme agent_settings.llm.model gpt-4.1 -m 'newer model'
  voicefleet config set acme.json telephony.numbers[1] +15557654321")]
    Set {
        target: String,
        path: String,
        value: String,
        /// Revision message (customers)
        #[arg(long, short = 'm', default_value = "")]
        message: String,
    },
    /// Remove the value at a dot path (file or customer revision)
    #[command(after_long_help = "\
A removal that adds a validation error (a required field) is refused and changes nothing.

Example:
  voicefleet config unset acme.json agent_settings.tts.stability")]
    Unset {
        target: String,
        path: String,
        #[arg(long, short = 'm', default_value = "")]
        message: String,
    },
    /// Show what changed between two files, or two revisions of a customer
    #[command(after_long_help = "\
Examples:
  voicefleet config diff old.json new.json
  voicefleet config diff acme --from 3 --to 4
  voicefleet config diff old.json new.json --output json")]
    Diff {
        /// A file, or a customer id with --from and --to
        a: String,
        /// The second file
        b: Option<String>,
        #[arg(long)]
        from: Option<u64>,
        #[arg(long)]
        to: Option<u64>,
    },
    /// A customer's revisions, newest first
    History { customer: String },
    /// Create a customer revision from a whole document file
    #[command(after_long_help = "Example:\n  voicefleet config push acme acme.json -m 'new prompt'")]
    Push {
        customer: String,
        file: PathBuf,
        #[arg(long, short = 'm', default_value = "")]
        message: String,
    },
    /// A new revision equal to an old one
    Rollback {
        customer: String,
        revision: u64,
        #[arg(long, short = 'm', default_value = "")]
        message: String,
    },
    /// Push a revision (latest by default) and its secrets to the customer's host
    Deploy {
        customer: String,
        #[arg(long)]
        revision: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretsCommand {
    /// Set a secret: the value comes from standard input or a hidden prompt, never argv
    #[command(after_long_help = "\
Examples:
  voicefleet secrets set acme openai_api_key            # asks, without echo
  printf '%s' \"$KEY\" | voicefleet secrets set acme openai_api_key")]
    Set { customer: String, name: String },
    /// List secret names and when they changed
    List { customer: String },
    /// Remove a secret (refused while the deployed revision references it)
    Rm { customer: String, name: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AgentCommand {
    /// Start a customer's agent
    Start { customer: String },
    /// Drain then stop a customer's agent
    Stop {
        customer: String,
        /// Longest wait for calls to end, seconds
        #[arg(long)]
        drain_timeout: Option<f64>,
    },
    /// Drain, stop and start a customer's agent
    Restart {
        customer: String,
        #[arg(long)]
        drain_timeout: Option<f64>,
    },
    /// Drain a customer's agent: calls finish, then it stops
    Drain {
        customer: String,
        #[arg(long)]
        drain_timeout: Option<f64>,
    },
    /// Run the host agent daemon (same as the `voicefleet-agent` binary)
    #[command(after_long_help = "\
Examples:
  voicefleet agent run --customer-id acme --config acme.json --secrets-file secrets.json
  voicefleet agent run --settings /etc/voicefleet/agent.toml

The break-glass admin token is in STATE_DIR/admin.token. On SIGTERM or Ctrl-C the host agent
exits and leaves the voice agent running for the next one to adopt, unless --stop-agent-on-exit.")]
    Run(Box<voicefleet_agent::AgentArgs>),
}

#[derive(Debug, Clone, Args)]
pub(crate) struct BulkOptions {
    /// Which customers: all, tier=prod,region=eu, or acme,globex
    #[arg(long, short = 's')]
    pub(crate) selector: String,
    /// Targets at once: a number or a percentage
    #[arg(long, default_value = "10%")]
    pub(crate) max_concurrency: String,
    /// Failures tolerated before no new target starts: a number or a percentage
    #[arg(long, default_value = "0")]
    pub(crate) max_errors: String,
    /// The first N targets run alone and must pass before the rest
    #[arg(long, default_value_t = 0)]
    pub(crate) canary: usize,
    /// Health gate: seconds a target must stay running (and within the limits below)
    #[arg(long)]
    pub(crate) healthy_for: Option<f64>,
    /// Health gate: highest error rate (errors per turn)
    #[arg(long)]
    pub(crate) max_error_rate: Option<f64>,
    /// Health gate: highest p95 turn latency, ms
    #[arg(long)]
    pub(crate) max_p95_ms: Option<f64>,
    /// Return failed deploy targets to their previous revision
    #[arg(long)]
    pub(crate) auto_rollback: bool,
    /// Show the plan only
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not ask before acting on more than one target
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BulkCommand {
    /// Restart many agents
    #[command(
        after_long_help = "Example:\n  voicefleet bulk restart --selector tier=prod --max-concurrency 10% --max-errors 1 --canary 1"
    )]
    Restart(BulkOptions),
    /// Start many agents
    Start(BulkOptions),
    /// Stop many agents
    Stop(BulkOptions),
    /// Drain many agents
    Drain(BulkOptions),
    /// Deploy each target's latest revision (or --revision N)
    #[command(
        after_long_help = "Example:\n  voicefleet bulk deploy --selector tier=prod --canary 1 --healthy-for 30 --auto-rollback"
    )]
    Deploy {
        #[command(flatten)]
        options: BulkOptions,
        #[arg(long)]
        revision: Option<u64>,
    },
    /// List bulk runs
    List {
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Show one bulk run with every target's result
    Show { id: String },
    /// Cancel a bulk run: no new target starts, targets in flight finish
    Cancel { id: String },
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  voicefleet logs acme --tail 50
  voicefleet logs acme -f
  voicefleet logs acme --stderr")]
pub(crate) struct LogsArgs {
    pub(crate) customer: String,
    /// Keep printing new lines until Ctrl-C
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
    /// Only standard error
    #[arg(long)]
    pub(crate) stderr: bool,
    #[arg(long, default_value_t = 100)]
    pub(crate) tail: usize,
}

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  voicefleet metrics acme --since 1h\n  voicefleet metrics acme --since 7d -o json"
)]
pub(crate) struct MetricsArgs {
    pub(crate) customer: String,
    /// How far back: 90s, 5m, 1h, 7d
    #[arg(long, default_value = "1h")]
    pub(crate) since: String,
}

#[derive(Debug, Args)]
pub(crate) struct AlertsArgs {
    /// Resolved alerts too
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// List entries
    List {
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Check the hash chain; exit 1 when it is broken
    Verify,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Add a user; the password comes from standard input, or a hidden prompt asked twice
    #[command(
        after_long_help = "Example:\n  printf '%s' \"$PASSWORD\" | voicefleet users add alice --role operator"
    )]
    Add {
        name: String,
        #[arg(long, value_parser = ["viewer", "operator", "admin"])]
        role: String,
    },
    /// List users
    List,
    /// Remove a user
    Rm { name: String },
    /// Set a user's password (yours, or anyone's as admin)
    Passwd { name: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokensCommand {
    /// Create an API token; it is printed once (field `token` with --output json)
    #[command(
        after_long_help = "Example:\n  voicefleet tokens create --name ci --role operator --expires 30d"
    )]
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["viewer", "operator", "admin"])]
        role: String,
        /// Lifetime: 3600s, 90m, 12h, 30d (default: no expiry)
        #[arg(long)]
        expires: Option<String>,
    },
    /// List API tokens (never their values)
    List,
    /// Revoke an API token
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConsoleCommand {
    /// Serve the console API
    #[command(after_long_help = "\
Examples:
  voicefleet console serve
  voicefleet console serve --data /var/lib/voicefleet --listen 10.0.0.5:9000 --tls-cert c.pem --tls-key k.pem
  VOICEFLEET_ADMIN_PASSWORD=... voicefleet console serve --cors-origin http://localhost:5173

On first start the admin user is created with a generated password, shown once (or with
VOICEFLEET_ADMIN_PASSWORD). Hosts must trust DATA/console.pub.pem (--console-public-key).")]
    Serve {
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Allowed CORS origin, repeatable
        #[arg(long = "cors-origin")]
        cors_origins: Vec<String>,
        #[arg(long, env = "VOICEFLEET_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Post alerts (firing and resolved) to this URL, with retries
        #[arg(long, value_name = "URL")]
        alert_webhook: Option<String>,
    },
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
            "voicefleet tokens create --name ci --role viewer --expires 30d",
            "voicefleet console serve --listen 127.0.0.1:9100 --cors-origin http://localhost:5173",
            "voicefleet agent run --customer-id acme --listen 127.0.0.1:8100",
            "voicefleet completions zsh",
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
            "voicefleet secrets set acme",
            "voicefleet customers add acme",
            "voicefleet status --output yaml",
            "voicefleet console serve --tls-cert only.pem",
        ] {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(Cli::try_parse_from(&words).is_err(), "{line} should be refused");
        }
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
