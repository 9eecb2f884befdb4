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
    /// Automatic recovery of customer hosts: show or set its settings
    Recovery {
        #[command(subcommand)]
        command: RecoveryCommand,
    },
    /// A customer's launch spec: show or change it
    LaunchSpec {
        #[command(subcommand)]
        command: LaunchSpecCommand,
    },
}

/// `voicefleet customers onboard`: launch a customer's host and bring it to a running agent.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Launches an instance tagged voicefleet:customer=ID with cloud-init user data rendered from the
shipped template (deploy/cloud-init/host.yaml.tftpl): the host installs the voicefleet-agent
package from --package-url, trusts this console's key, and serves with a certificate the console
made and pins. The customer (created if new) and the launch spec are recorded at once, so a
terminated host can be replaced from it (recovery). Then the console waits for the host agent
to answer, deploys the latest revision (or --config as the first one) with its secrets, starts
the agent, and finishes when it is running. Needs the admin role and a console with an instance
provider (VOICEFLEET_EC2=1).

Examples:
  voicefleet customers onboard acme --image ami-0abc --instance-type t3.medium \\
      --subnet subnet-0abc --security-group sg-0abc --config acme.json \\
      --package-url https://packages.example.com/voicefleet-agent.deb
  VOICEFLEET_AGENT_PACKAGE_URL=https://… voicefleet customers onboard acme --launch-template lt-0abc")]
pub(crate) struct OnboardArgs {
    /// The customer id (a new customer is created; an existing one gets its first host)
    pub(crate) id: String,
    /// A new customer's display name
    #[arg(long, default_value = "")]
    pub(crate) name: String,
    /// A new customer's key=value tags, repeatable
    #[arg(long = "tag")]
    pub(crate) tags: Vec<String>,
    #[command(flatten)]
    pub(crate) launch: LaunchArgs,
    /// Where the host downloads the voicefleet-agent package (https); needed
    #[arg(long, env = "VOICEFLEET_AGENT_PACKAGE_URL", value_name = "URL")]
    pub(crate) package_url: Option<String>,
    /// The host agent's URL [default: https://ADDRESS:8000 of the instance]
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    /// The first configuration (JSON file, - for standard input), for a customer without one
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
    /// How long to wait for the host agent, then for the agent to run (at most 10m)
    #[arg(long, default_value = "10m", value_name = "DURATION")]
    pub(crate) timeout: String,
}

/// How a customer's host is launched.
#[derive(Debug, clap::Args)]
pub(crate) struct LaunchArgs {
    /// The machine image (ami-…); needed unless --launch-template names one
    #[arg(long, value_name = "AMI")]
    pub(crate) image: Option<String>,
    /// The instance type; needed unless --launch-template names one
    #[arg(long, value_name = "TYPE")]
    pub(crate) instance_type: Option<String>,
    /// The subnet (subnet-…)
    #[arg(long, value_name = "SUBNET")]
    pub(crate) subnet: Option<String>,
    /// A security group (sg-…), repeatable
    #[arg(long = "security-group", value_name = "SG")]
    pub(crate) security_groups: Vec<String>,
    /// An instance profile's name, for the host's own credentials
    #[arg(long, value_name = "NAME")]
    pub(crate) instance_profile: Option<String>,
    /// An EC2 key pair's name
    #[arg(long, value_name = "NAME")]
    pub(crate) key_name: Option<String>,
    /// A launch template (lt-…), instead of or under the fields above
    #[arg(long, value_name = "ID")]
    pub(crate) launch_template: Option<String>,
}

impl LaunchArgs {
    pub(crate) fn spec(self) -> voicefleet_core::instances::LaunchSpec {
        voicefleet_core::instances::LaunchSpec {
            image_id: self.image,
            instance_type: self.instance_type,
            subnet_id: self.subnet,
            security_group_ids: self.security_groups,
            instance_profile: self.instance_profile,
            key_name: self.key_name,
            launch_template_id: self.launch_template,
            user_data: None,
        }
    }
}

/// `voicefleet instances recovery …`.
#[derive(Debug, Subcommand)]
pub(crate) enum RecoveryCommand {
    /// The recovery settings: the fleet's and each customer's own
    Show,
    /// Set the fleet's recovery settings, or a customer's own (admin)
    #[command(after_long_help = "\
Recovery is off by default. When on, `voicefleet console serve` checks every 15 s: a host
unreachable for --unreachable-after whose instance is stopped is started, impaired is rebooted,
terminated or missing is replaced from its launch spec (then its revision and secrets are
restored once it answers); at most one recovery per customer per --window. Each step is audited,
and the `recovery` alert (and the webhook) says what was done and when the customer was healthy
again. A customer's settings override the fleet's, field by field.

Examples:
  voicefleet instances recovery set --enabled true --unreachable-after 2m --window 30m
  voicefleet instances recovery set --customer acme --enabled false
  voicefleet instances recovery set --customer acme --clear")]
    Set {
        /// A customer's own settings (default: the fleet's)
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
        /// Recover hosts automatically
        #[arg(long, value_name = "BOOL")]
        enabled: Option<bool>,
        /// How long a host must not answer before anything is done (30s to 24h) [default: 2m]
        #[arg(long, value_name = "DURATION")]
        unreachable_after: Option<String>,
        /// At most one recovery per customer within this long (1m to 7d) [default: 30m]
        #[arg(long, value_name = "DURATION")]
        window: Option<String>,
        /// Remove the settings at this level (the level under it applies)
        #[arg(long, conflicts_with_all = ["enabled", "unreachable_after", "window"])]
        clear: bool,
    },
}

/// `voicefleet instances launch-spec …`.
#[derive(Debug, Subcommand)]
pub(crate) enum LaunchSpecCommand {
    /// How the customer's host is launched (a replacement too)
    Show {
        /// The customer id
        customer: String,
    },
    /// Change how the customer's host is launched; the user data recorded at onboarding stays
    /// (admin)
    #[command(
        after_long_help = "Example:\n  voicefleet instances launch-spec set acme --image ami-0abc --instance-type t3.large"
    )]
    Set {
        /// The customer id
        customer: String,
        #[command(flatten)]
        launch: LaunchArgs,
    },
}
