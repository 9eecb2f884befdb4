//! What an instance provider reports about a customer's host: plain data, no SDK types.

use std::fmt;
use std::net::IpAddr;

/// The tag that names an instance's customer: `voicefleet:customer=<customer id>`.
pub const CUSTOMER_TAG: &str = "voicefleet:customer";

/// One cloud instance (an EC2 instance) as discovery saw it. (Serialized only as the console
/// store's record of it.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instance {
    /// The provider's id (`i-0123456789abcdef0`).
    pub id: String,
    /// Its lifecycle state.
    pub state: InstanceState,
    /// The provider's size name (`t3.medium`).
    pub instance_type: String,
    /// Its address inside the VPC; none when it has none (terminated).
    pub private_address: Option<IpAddr>,
    /// Its public address; none when it has none.
    pub public_address: Option<IpAddr>,
    /// The availability zone (`us-east-1a`).
    pub availability_zone: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub launched_at_ms: Option<u64>,
    /// The provider's check of the hardware and network under the instance.
    pub system_status: StatusCheck,
    /// The provider's check of the instance's own operating system and network.
    pub instance_status: StatusCheck,
    /// The value of its [`CUSTOMER_TAG`], as written (not yet checked against the customers).
    pub customer_tag: Option<String>,
}

impl Instance {
    /// The address the console reaches its host agent at: the private one, else the public one.
    pub fn address(&self) -> Option<IpAddr> {
        self.private_address.or(self.public_address)
    }

    /// True when either status check reports a failure.
    pub fn impaired(&self) -> bool {
        self.system_status == StatusCheck::Impaired || self.instance_status == StatusCheck::Impaired
    }
}

/// An instance's lifecycle state, as EC2 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    /// Launching.
    Pending,
    /// Running (its host agent may still be starting).
    Running,
    /// Stopping.
    Stopping,
    /// Stopped: it keeps its disk and can be started again.
    Stopped,
    /// Being terminated.
    ShuttingDown,
    /// Terminated: gone for good.
    Terminated,
    /// A state this version does not know.
    Unknown,
}

impl InstanceState {
    /// EC2's name for it (`shutting-down`).
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Unknown => "unknown",
        }
    }

    /// Parses [`InstanceState::as_str`]; anything else is [`InstanceState::Unknown`].
    pub fn parse(text: &str) -> Self {
        [
            InstanceState::Pending,
            InstanceState::Running,
            InstanceState::Stopping,
            InstanceState::Stopped,
            InstanceState::ShuttingDown,
            InstanceState::Terminated,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
        .unwrap_or(InstanceState::Unknown)
    }

    /// Terminated or on its way there: the instance will never run again.
    pub fn is_gone(self) -> bool {
        matches!(self, InstanceState::ShuttingDown | InstanceState::Terminated)
    }
}

impl fmt::Display for InstanceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one of the provider's status checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusCheck {
    /// The check passes.
    Ok,
    /// The check fails: the instance needs attention (a reboot, a replacement).
    Impaired,
    /// The check is running for the first time after a start.
    Initializing,
    /// The provider cannot tell yet.
    InsufficientData,
    /// Not checked (the instance is not running).
    NotApplicable,
    /// A status this version does not know.
    Unknown,
}

impl StatusCheck {
    /// EC2's name for it (`insufficient-data`).
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCheck::Ok => "ok",
            StatusCheck::Impaired => "impaired",
            StatusCheck::Initializing => "initializing",
            StatusCheck::InsufficientData => "insufficient-data",
            StatusCheck::NotApplicable => "not-applicable",
            StatusCheck::Unknown => "unknown",
        }
    }

    /// Parses [`StatusCheck::as_str`]; anything else is [`StatusCheck::Unknown`].
    pub fn parse(text: &str) -> Self {
        [
            StatusCheck::Ok,
            StatusCheck::Impaired,
            StatusCheck::Initializing,
            StatusCheck::InsufficientData,
            StatusCheck::NotApplicable,
        ]
        .into_iter()
        .find(|check| check.as_str() == text)
        .unwrap_or(StatusCheck::Unknown)
    }
}

impl fmt::Display for StatusCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing done to an instance. Changing the type of a running instance is
/// [`resize`](super::resize), which stops it first; [`InstanceAction::SetType`] alone is
/// refused by the provider unless the instance is stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceAction {
    /// Start a stopped instance.
    Start,
    /// Stop a running instance (its disk is kept).
    Stop,
    /// Reboot it in place.
    Reboot,
    /// Terminate it: gone for good, its disk too.
    Terminate,
    /// Set its instance type (`t3.large`); the instance must be stopped.
    SetType(String),
}

impl InstanceAction {
    /// The IAM action that the provider's credentials need for it (EC2).
    pub fn iam_action(&self) -> &'static str {
        match self {
            InstanceAction::Start => "ec2:StartInstances",
            InstanceAction::Stop => "ec2:StopInstances",
            InstanceAction::Reboot => "ec2:RebootInstances",
            InstanceAction::Terminate => "ec2:TerminateInstances",
            InstanceAction::SetType(_) => "ec2:ModifyInstanceAttribute",
        }
    }
}

/// How to launch a customer's host: an image and a type, or a launch template. (Serialized as
/// the console store's record of it: a replacement is launched from it.)
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LaunchSpec {
    /// The machine image (`ami-…`); needed unless the launch template names one.
    pub image_id: Option<String>,
    /// The instance type (`t3.medium`); needed unless the launch template names one.
    pub instance_type: Option<String>,
    /// The subnet to launch into (`subnet-…`); the account's default when absent.
    pub subnet_id: Option<String>,
    /// Security groups (`sg-…`); the subnet's default when empty.
    pub security_group_ids: Vec<String>,
    /// An instance profile name, for the host's own credentials.
    pub instance_profile: Option<String>,
    /// The EC2 key pair for SSH; none for no key.
    pub key_name: Option<String>,
    /// A launch template id (`lt-…`) used instead of, or under, the fields above.
    pub launch_template_id: Option<String>,
    /// The cloud-init user data the host was launched with: a replacement gets the same.
    pub user_data: Option<String>,
}

impl LaunchSpec {
    /// Checks that the spec can launch something: a template, or an image and a type.
    pub fn validate(&self) -> crate::Result<()> {
        let has = |field: &Option<String>| field.as_deref().is_some_and(|text| !text.trim().is_empty());
        if has(&self.launch_template_id) || (has(&self.image_id) && has(&self.instance_type)) {
            return Ok(());
        }
        Err(crate::Error::Incomplete {
            message: "a launch spec needs an image and an instance type, or a launch template".to_owned(),
            remedy: crate::Remedy::GiveLaunchSpec,
        })
    }
}
