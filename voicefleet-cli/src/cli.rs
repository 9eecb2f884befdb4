//! The command-line grammar (clap derive types live here, not in core).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::OutputFormat;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (unreadable file, I/O, internal error)
  2  invalid input (invalid configuration, bad flag or path)
  3  not found
  4  unauthorized or forbidden
  5  unavailable";

/// Run and control voice agents for many customers.
#[derive(Debug, Parser)]
#[command(name = "voicefleet", version, about, after_long_help = EXIT_CODES, arg_required_else_help = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a local demo fleet with no server to install
    Demo(DemoArgs),
    /// Validate, edit, diff and generate voice-agent configuration documents
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run the host agent daemon on this host
    #[command(subcommand)]
    Agent(AgentCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AgentCommand {
    /// Run the host agent (same as the `voicefleet-agent` binary)
    #[command(after_long_help = "\
Examples:
  voicefleet agent run --customer-id acme --config acme.json --secrets-file secrets.json
  voicefleet agent run --settings /etc/voicefleet/agent.toml

The break-glass admin token is in STATE_DIR/admin.token. On SIGTERM or Ctrl-C the host agent
exits and leaves the voice agent running for the next one to adopt, unless --stop-agent-on-exit.")]
    Run(voicefleet_agent::AgentArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {}

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
        #[arg(long, short = 'o', value_enum, default_value_t)]
        output: OutputFormat,
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
    /// Print the value at a dot path
    #[command(after_long_help = "\
Examples:
  voicefleet config get acme.json agent_settings.llm.model
  voicefleet config get acme.json telephony.numbers[0]
  voicefleet config get acme.json agent_settings --output json")]
    Get {
        /// The document; `-` reads standard input
        file: PathBuf,
        /// Dot path: keys separated by `.`, array items as `[i]`
        path: String,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Set the value at a dot path, writing the file atomically
    #[command(after_long_help = "\
VALUE is parsed as JSON when it parses (0.3, true, [\"a\"], {\"k\": 1}), else taken as a string.
A change that adds a validation error is refused and the file is left byte-for-byte untouched.

Examples:
  voicefleet config set acme.json agent_settings.llm.temperature 0.3
  voicefleet config set acme.json agent_settings.llm.model gpt-4.1
  voicefleet config set acme.json telephony.numbers[1] +15557654321")]
    Set { file: PathBuf, path: String, value: String },
    /// Remove the value at a dot path, writing the file atomically
    #[command(after_long_help = "\
A removal that adds a validation error (a required field) is refused and the file is left untouched.

Example:
  voicefleet config unset acme.json agent_settings.tts.stability")]
    Unset { file: PathBuf, path: String },
    /// Show what changed between two documents, secrets redacted
    #[command(after_long_help = "\
Examples:
  voicefleet config diff old.json new.json
  voicefleet config diff old.json new.json --output json")]
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        output: OutputFormat,
    },
}
