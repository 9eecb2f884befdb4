//! `voicefleet host`: the host agent on this machine, without the console.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(after_long_help = "\
For when the console is unreachable: run on the customer's host, as the user of the host agent.
The break-glass admin token is read from STATE_DIR/admin.token; the state directory defaults to
the only one under ~/.local/state/voicefleet-agent/ (as `voicefleet-agent` picks it).

Examples:
  voicefleet host status
  voicefleet host logs -n 50 --no-events
  voicefleet host restart --drain-timeout 30s
  voicefleet host events
  voicefleet host audit --after 120
  voicefleet host audit --verify
  voicefleet host --state-dir /var/lib/voicefleet-agent/acme --url http://127.0.0.1:8000 stop")]
pub(crate) struct HostArgs {
    /// The host agent's state directory [default: the only one under
    /// $XDG_STATE_HOME/voicefleet-agent/, else ~/.local/state/voicefleet-agent/]
    #[arg(long, env = "VOICEFLEET_AGENT_STATE_DIR", value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// The host agent's API
    #[arg(long, env = "VOICEFLEET_AGENT_URL", value_name = "URL", default_value = "http://127.0.0.1:8000")]
    pub(crate) url: String,
    #[command(subcommand)]
    pub(crate) command: HostCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HostCommand {
    /// The agent's state, PID, uptime, restarts, calls, last exit and configuration revision
    Status,
    /// The agent's log lines (the same flags as `voicefleet logs`)
    Logs {
        /// Keep printing new lines until Ctrl-C
        #[arg(long, short = 'f')]
        follow: bool,
        /// Only standard error
        #[arg(long)]
        stderr: bool,
        /// The last N lines
        #[arg(long, short = 'n', value_name = "N", default_value_t = 100)]
        tail: usize,
        /// Only lines this recent: 90s, 10m, 1h
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Hide the voice-agent protocol's event lines
        #[arg(long)]
        no_events: bool,
    },
    /// Start the agent (already running: says so, changes nothing)
    Start,
    /// Drain then stop the agent
    Stop {
        /// Longest wait for calls to end (30s, 2m); then SIGKILL
        #[arg(long, value_name = "DURATION")]
        drain_timeout: Option<String>,
    },
    /// Drain, stop and start the agent
    Restart {
        /// Longest wait for calls to end (30s, 2m); then SIGKILL
        #[arg(long, value_name = "DURATION")]
        drain_timeout: Option<String>,
    },
    /// Drain the agent: calls finish (or the timeout cuts them), then it stops
    Drain {
        /// Longest wait for calls to end (30s, 2m); then SIGKILL
        #[arg(long, value_name = "DURATION")]
        drain_timeout: Option<String>,
    },
    /// Follow the host's events (state changes, exits, crash loops, configurations) until Ctrl-C
    Events,
    /// The host's audit file: who asked each change of it, and each refused request
    Audit {
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
