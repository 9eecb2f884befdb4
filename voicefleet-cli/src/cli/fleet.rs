//! The fleet: `customers`, `status`, `secrets`, `agent`, `logs`, `metrics`, `alerts`, `audit`.

use clap::{Args, Subcommand};

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
    /// Check provider keys live, from the customer's host: valid, invalid or unreachable
    #[command(
        long_about = "\
Check provider keys live, from the customer's host: valid, invalid or unreachable.

For each provider secret the deployed configuration uses (or NAME alone), the host makes the
provider's cheapest authenticated read (OpenAI GET /v1/models, Deepgram GET /v1/projects,
ElevenLabs GET /v1/user, ...) with the value it holds. The value never leaves the host; only the
verdict comes back, and is audited. A key set with `secrets set` but not yet deployed is checked
after `config deploy`.

Exits 0 when every checked key is valid, 1 when one is invalid, unreachable or unchecked.",
        after_long_help = "\
Examples:
  voicefleet secrets check acme-dental
  voicefleet secrets check acme-dental openai_api_key -o json"
    )]
    Check {
        customer: String,
        /// Check this secret only
        name: Option<String>,
    },
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
