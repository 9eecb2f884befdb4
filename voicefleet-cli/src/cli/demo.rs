//! `voicefleet demo`: the local demo fleet.

use std::path::PathBuf;

use clap::Args;

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
    /// Print the status table once (after --settle) instead of redrawing it; the demo still runs
    /// until Ctrl-C or --duration
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
