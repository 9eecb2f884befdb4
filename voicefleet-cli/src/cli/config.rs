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
    /// Print the value at a dot path (or the whole document), in a file or a customer's latest revision
    #[command(after_long_help = "\
TARGET is a file (an existing path, `-`, or a name ending .json) or a customer id. Without a
path, the whole document; secrets are always shown as secret://NAME references.

Examples:
  voicefleet config get acme
  voicefleet config get acme.json agent_settings.llm.model
  voicefleet config get acme telephony.numbers[0]
  voicefleet config get acme agent_settings --output json")]
    Get {
        /// A file, or a customer id
        target: String,
        /// Dot path: keys separated by `.`, array items as `[i]` (default: the whole document)
        path: Option<String>,
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
        /// A file, or a customer id
        target: String,
        /// Dot path: keys separated by `.`, array items as `[i]`
        path: String,
        /// The new value (JSON when it parses, else a string)
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
        /// A file, or a customer id
        target: String,
        /// Dot path: keys separated by `.`, array items as `[i]`
        path: String,
        /// Revision message (customers)
        #[arg(long, short = 'm', default_value = "")]
        message: String,
    },
    /// Show what changed between two files, or two revisions of a customer
    #[command(after_long_help = "\
For a customer, --from defaults to the deployed revision and --to to the latest: what the next
`voicefleet config deploy` would change.

Examples:
  voicefleet config diff acme
  voicefleet config diff acme --from 3 --to 4
  voicefleet config diff old.json new.json
  voicefleet config diff old.json new.json --output json")]
    Diff {
        /// A file, or a customer id
        a: String,
        /// The second file
        b: Option<String>,
        /// A customer's revision to compare from [default: the deployed one]
        #[arg(long, value_name = "REV")]
        from: Option<u64>,
        /// A customer's revision to compare to [default: the latest]
        #[arg(long, value_name = "REV")]
        to: Option<u64>,
    },
    /// A customer's revisions, newest first
    History {
        /// The customer id
        customer: String,
    },
    /// Create a customer revision from a whole document file
    #[command(after_long_help = "Example:\n  voicefleet config push acme acme.json -m 'new prompt'")]
    Push {
        /// The customer id
        customer: String,
        /// The whole document; `-` reads standard input
        file: PathBuf,
        /// Revision message
        #[arg(long, short = 'm', default_value = "")]
        message: String,
    },
    /// A new revision equal to an old one (the one before the latest by default)
    #[command(after_long_help = "\
Examples:
  voicefleet config rollback acme --deploy        # back to the revision before the latest, deployed
  voicefleet config rollback acme 3 -m 'the prompt of Tuesday'")]
    Rollback {
        /// The customer id
        customer: String,
        /// The revision to return to [default: the one before the latest]
        revision: Option<u64>,
        /// Revision message
        #[arg(long, short = 'm', default_value = "")]
        message: String,
        /// Deploy the new revision at once (and say how it reached the agent)
        #[arg(long)]
        deploy: bool,
    },
    /// Push a revision (latest by default) and its secrets to the customer's host
    #[command(after_long_help = "\
Says how the revision reached the agent: stored (not running, or nothing changed), reloaded
(SIGHUP) or restarted (a drain-restart: a runtime field or a secret value changed; waited for).

Examples:
  voicefleet config deploy acme
  voicefleet config deploy acme --revision 3")]
    Deploy {
        /// The customer id
        customer: String,
        /// The revision to deploy [default: the latest]
        #[arg(long, value_name = "REV")]
        revision: Option<u64>,
    },
}
