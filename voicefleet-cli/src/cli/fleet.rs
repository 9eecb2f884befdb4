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
        /// The customer id: lower-case letters, digits and dashes
        id: String,
        /// The host agent's base URL
        #[arg(long)]
        endpoint: String,
        /// A display name
        #[arg(long, default_value = "")]
        name: String,
        /// key=value, repeatable
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// CA certificates (PEM file) the host's certificate must chain to
        #[arg(long, value_name = "FILE", conflicts_with = "pin")]
        ca: Option<std::path::PathBuf>,
        /// The host certificate's SHA-256, for a self-signed one (as `openssl x509 -noout
        /// -fingerprint -sha256` prints it)
        #[arg(long, value_name = "SHA256")]
        pin: Option<String>,
    },
    /// Launch a customer's host (EC2) and bring it to a running agent (admin)
    Onboard(Box<super::instances::OnboardArgs>),
    /// Show one customer
    Show {
        /// The customer id
        id: String,
    },
    /// Remove a customer and its history from the console (asks first; --yes off a terminal)
    #[command(after_long_help = "\
Deletes the customer's revisions, secrets, metrics history and alerts from the console; the audit
log keeps its entries, and the agent on its host keeps running (stop it first if it should not).
Refused while a bulk run targets the customer.

Example:
  voicefleet customers remove acme --yes")]
    Remove {
        /// The customer id
        id: String,
        /// Do not ask (required when standard input is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Add key=value tags and remove keys
    #[command(
        after_long_help = "Example:\n  voicefleet customers tag acme tier=prod region=eu --remove canary"
    )]
    Tag {
        /// The customer id
        id: String,
        /// key=value tags to add (or change)
        tags: Vec<String>,
        /// Tag keys to remove, repeatable
        #[arg(long = "remove", value_name = "KEY")]
        remove: Vec<String>,
    },
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
Unhealthy customers (anything not running, unreachable hosts included) come first, with the
reason: the error behind `unreachable`, the failed start or last exit behind `backoff`. A summary
line ends the table. Colour only on a terminal, never with NO_COLOR.

Examples:
  voicefleet status
  voicefleet status acme
  voicefleet status --unhealthy
  voicefleet status --state backoff --state crash_loop
  voicefleet status --selector tier=prod,region!=eu --watch
  voicefleet status --unhealthy --exit-code || page-the-on-call   # cron
  voicefleet status --output json | jq '.[] | select(.drift)'")]
pub(crate) struct StatusArgs {
    /// One customer
    pub(crate) customer: Option<String>,
    /// all, tags (tier=prod,region!=eu: every term must hold) or ids (acme,globex)
    #[arg(long, short = 's', default_value = "all")]
    pub(crate) selector: String,
    /// Only customers that are not running and healthy (unreachable included)
    #[arg(long, short = 'u')]
    pub(crate) unhealthy: bool,
    /// Only customers in this state (repeatable): running, backoff, crash_loop, unreachable…
    #[arg(long = "state", value_name = "STATE")]
    pub(crate) states: Vec<String>,
    /// Exit 1 when a listed customer is unhealthy (for scripts and cron)
    #[arg(long)]
    pub(crate) exit_code: bool,
    /// Redraw every 2 seconds until Ctrl-C (on a terminal; elsewhere, a table every 2 seconds)
    #[arg(long, short = 'w')]
    pub(crate) watch: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretsCommand {
    /// Set a secret: the value comes from standard input or a hidden prompt, never argv
    #[command(after_long_help = "\
With --selector, the one value (read once) is set for every selected customer: a shared provider
key. Each customer's secret is audited on its own. A running agent gets the new value at the next
`voicefleet config deploy` (a drain-restart).

Examples:
  voicefleet secrets set acme openai_api_key            # asks, without echo
  printf '%s' \"$KEY\" | voicefleet secrets set acme openai_api_key
  printf '%s' \"$KEY\" | voicefleet secrets set openai_api_key --selector tier=prod")]
    Set {
        /// CUSTOMER NAME; with --selector, NAME alone
        #[arg(value_name = "CUSTOMER NAME", num_args = 1..=2, required = true)]
        args: Vec<String>,
        /// Set it for every customer this selects (tier=prod, acme,globex, all)
        #[arg(long, short = 's')]
        selector: Option<String>,
    },
    /// List secret names and when they changed
    List {
        /// The customer id
        customer: String,
    },
    /// Remove a secret (refused while the deployed revision references it; asks first)
    #[command(after_long_help = "Example:\n  voicefleet secrets rm acme old_api_key --yes")]
    Rm {
        /// The customer id
        customer: String,
        /// The secret's name
        name: String,
        /// Do not ask (required when standard input is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
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
        /// The customer id
        customer: String,
        /// Check this secret only
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AgentCommand {
    /// Start a customer's agent (already running: says so, changes nothing)
    Start {
        /// The customer id
        customer: String,
    },
    /// Drain then stop a customer's agent; reports the calls left and how it ended
    #[command(after_long_help = "Example:\n  voicefleet agent stop acme --drain-timeout 2m")]
    Stop {
        /// The customer id
        customer: String,
        /// Longest wait for calls to end (30s, 2m; plain numbers are seconds); then SIGKILL
        #[arg(long, value_name = "DURATION")]
        drain_timeout: Option<String>,
    },
    /// Drain, stop and start a customer's agent; reports the calls cut, if any, and the new PID
    #[command(after_long_help = "Example:\n  voicefleet agent restart acme --drain-timeout 30s")]
    Restart {
        /// The customer id
        customer: String,
        /// Longest wait for calls to end (30s, 2m; plain numbers are seconds); then SIGKILL
        #[arg(long, value_name = "DURATION")]
        drain_timeout: Option<String>,
    },
    /// Drain a customer's agent: calls finish (or the timeout cuts them), then it stops
    #[command(after_long_help = "Example:\n  voicefleet agent drain acme --drain-timeout 5m")]
    Drain {
        /// The customer id
        customer: String,
        /// Longest wait for calls to end (30s, 2m; plain numbers are seconds); then SIGKILL
        #[arg(long, value_name = "DURATION")]
        drain_timeout: Option<String>,
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
Each line: its time (UTC, ms), the stream (`out` for standard output, `err` for standard
error), then the text. Protocol event lines (JSON objects with an `event` field: ready,
call_started, turn…) are shown unless --no-events. -o json gives seq, ts_ms, stream and text.

Examples:
  voicefleet logs acme -n 50
  voicefleet logs acme --since 10m --no-events
  voicefleet logs acme -f
  voicefleet logs acme --stderr")]
pub(crate) struct LogsArgs {
    /// The customer id
    pub(crate) customer: String,
    /// Keep printing new lines until Ctrl-C
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
    /// Only standard error
    #[arg(long)]
    pub(crate) stderr: bool,
    /// The last N lines [default: 100; with --since, every line since then up to 10000]
    #[arg(long, short = 'n', value_name = "N")]
    pub(crate) tail: Option<usize>,
    /// Only lines this recent: 90s, 10m, 1h
    #[arg(long, value_name = "DURATION")]
    pub(crate) since: Option<String>,
    /// Hide the voice-agent protocol's event lines (ready, call_started, turn…)
    #[arg(long)]
    pub(crate) no_events: bool,
}

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  voicefleet metrics acme --since 1h\n  voicefleet metrics acme --since 7d -o json"
)]
pub(crate) struct MetricsArgs {
    /// The customer id
    pub(crate) customer: String,
    /// How far back: 90s, 5m, 1h, 7d
    #[arg(long, default_value = "1h")]
    pub(crate) since: String,
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
Each line: the time (UTC), the customer, what happened (`state`, `alert`, or an audit action such
as `config.deploy` or `agent.restart`) and the details (the exit behind a state change, the
restart count, the PID). State changes and alerts are kept 7 days by the console; deploys and
control actions come from the audit log (admin).

Examples:
  voicefleet events
  voicefleet events acme --since 24h
  voicefleet events -f
  voicefleet events acme -f -o json")]
pub(crate) struct EventsArgs {
    /// One customer (default: every customer)
    pub(crate) customer: Option<String>,
    /// Keep printing new events until Ctrl-C
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
    /// How far back: 90s, 30m, 1h, 7d
    #[arg(long, default_value = "1h", value_name = "DURATION")]
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
    /// List entries, newest first, filtered; says when there are more
    #[command(after_long_help = "\
Examples:
  voicefleet audit list
  voicefleet audit list --customer acme --since 1h
  voicefleet audit list --action config.deploy --actor admin
  voicefleet audit list --action secret. -o json     # a group: secret.set, secret.delete
  voicefleet audit list --after 0 --limit 1000       # oldest first, every entry (no filters)")]
    List {
        /// Only entries this recent: 90s, 30m, 1h, 7d
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Only entries about this customer
        #[arg(long)]
        customer: Option<String>,
        /// Only this actor's entries (a user, token:NAME, local:USER)
        #[arg(long)]
        actor: Option<String>,
        /// Only this action (config.deploy), or a group ending with `.` (config.)
        #[arg(long)]
        action: Option<String>,
        /// The next page: entries older than this sequence number
        #[arg(long, value_name = "SEQ", conflicts_with = "after")]
        before: Option<u64>,
        /// Oldest first from after this sequence number (no filters)
        #[arg(long, value_name = "SEQ", conflicts_with_all = ["since", "customer", "actor", "action"])]
        after: Option<u64>,
        /// At most this many, 1 to 1000
        #[arg(long, short = 'n', default_value_t = 50)]
        limit: usize,
    },
    /// Check the hash chain; exit 1 when it is broken
    Verify,
    /// A customer's host audit file, read through the console: who asked each change of that
    /// host (the console, or the host's break-glass token) and each request it refused
    #[command(after_long_help = "\
Examples:
  voicefleet audit host acme
  voicefleet audit host acme --after 120 --limit 500
  voicefleet audit host acme --verify")]
    Host {
        /// The customer whose host to read
        customer: String,
        /// Entries after this sequence number
        #[arg(long, value_name = "SEQ", default_value_t = 0)]
        after: u64,
        /// At most this many entries (1 to 1000)
        #[arg(long, value_name = "N", default_value_t = 100)]
        limit: u32,
        /// Check the file's hash chain instead; exits 1 when it is broken
        #[arg(long)]
        verify: bool,
    },
}
