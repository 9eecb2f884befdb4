//! `voicefleet bulk`: fleet-wide operations.

use clap::{Args, Subcommand};

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
    /// Health gate: how long a target must stay running (and within the limits below): 30s, 2m
    #[arg(long, value_name = "DURATION")]
    pub(crate) healthy_for: Option<String>,
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
    /// Change each target's instance type (drain, stop, set the type, start), then start its agent
    #[command(
        after_long_help = "Example:\n  voicefleet bulk resize t3.large --selector tier=prod --max-concurrency 1 --canary 1 --healthy-for 60s"
    )]
    Resize {
        #[command(flatten)]
        options: BulkOptions,
        /// The new instance type
        instance_type: String,
    },
    /// Deploy each target's latest revision (or --revision N)
    #[command(
        after_long_help = "Example:\n  voicefleet bulk deploy --selector tier=prod --canary 1 --healthy-for 30 --auto-rollback"
    )]
    Deploy {
        #[command(flatten)]
        options: BulkOptions,
        /// Deploy this revision number on every target [default: each target's latest]
        #[arg(long, value_name = "REV")]
        revision: Option<u64>,
    },
    /// Set a value in each target's latest revision, as a new revision, and deploy it
    #[command(after_long_help = "\
VALUE is parsed as JSON when it parses (0.3, true, [\"a\"]), else taken as a string. A target
whose document would get a validation error fails and is left as it was. --dry-run shows each
target's revision from → to and the change.

Examples:
  voicefleet bulk set agent_settings.llm.temperature 0.3 --selector tier=prod --dry-run
  voicefleet bulk set agent_settings.llm.model gpt-4.1 -s tier=prod --canary 1 --healthy-for 1m --auto-rollback -m 'newer model'")]
    Set {
        /// Dot path: keys separated by `.`, array items as `[i]`
        path: String,
        /// The new value
        value: String,
        /// Revision message
        #[arg(long, short = 'm', default_value = "")]
        message: String,
        #[command(flatten)]
        options: BulkOptions,
    },
    /// Remove a value from each target's latest revision, as a new revision, and deploy it
    #[command(
        after_long_help = "Example:\n  voicefleet bulk unset agent_settings.tts.stability --selector all --dry-run"
    )]
    Unset {
        /// Dot path: keys separated by `.`, array items as `[i]`
        path: String,
        /// Revision message
        #[arg(long, short = 'm', default_value = "")]
        message: String,
        #[command(flatten)]
        options: BulkOptions,
    },
    /// List bulk runs
    List {
        /// At most this many, newest first
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// Show one bulk run with every target's result
    Show {
        /// The run's id, or a unique beginning of it (`run-` may be left out)
        id: String,
    },
    /// Cancel a bulk run: no new target starts, targets in flight finish
    Cancel {
        /// The run's id, or a unique beginning of it (`run-` may be left out)
        id: String,
    },
}
