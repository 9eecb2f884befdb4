//! `voicefleet config`: documents in files and a customer's revisions.

use std::path::PathBuf;

use clap::Subcommand;

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
