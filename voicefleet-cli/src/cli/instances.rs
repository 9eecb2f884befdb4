//! `voicefleet instances …`: the customers' hosts as cloud instances.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(crate) enum InstancesCommand {
    /// The customers' instances as the last sync found them, with instances that name no
    /// customer and customers without an instance
    #[command(after_long_help = "\
Examples:
  voicefleet instances list
  voicefleet instances list -o json")]
    List,
    /// Read the cloud now (every instance tagged voicefleet:customer=ID), store and list it
    #[command(after_long_help = "\
The console reads EC2 when it runs with VOICEFLEET_EC2=1 (credentials and region from the usual
AWS chain; VOICEFLEET_EC2_ENDPOINT for a compatible cloud). Needs the operator role.

Examples:
  voicefleet instances sync")]
    Sync,
    /// Start a customer's instance (operator)
    Start {
        /// The customer id
        customer: String,
    },
    /// Stop a customer's instance, its agent drained first (operator)
    Stop {
        /// The customer id
        customer: String,
    },
    /// Reboot a customer's instance (operator)
    Reboot {
        /// The customer id
        customer: String,
    },
    /// Change the type of a customer's instance: drain, stop, set the type, start (operator)
    #[command(after_long_help = "\
Examples:
  voicefleet instances resize acme t3.large")]
    Resize {
        /// The customer id
        customer: String,
        /// The new instance type
        instance_type: String,
    },
    /// Terminate a customer's instance, its agent drained first (admin; cannot be undone)
    #[command(after_long_help = "\
On a terminal the customer's name is asked for; elsewhere give it with --confirm.

Examples:
  voicefleet instances terminate acme
  voicefleet instances terminate acme --confirm \"Acme Dental\"")]
    Terminate {
        /// The customer id
        customer: String,
        /// The customer's name, typed to confirm (needed when standard input is not a terminal)
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
    },
}
