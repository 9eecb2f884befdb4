//! The console API's wire types of onboarding and launch specs:
//! `POST /v1/customers/{id}/onboard`, `GET|PUT /v1/customers/{id}/launch-spec`, and the recovery
//! settings (`/v1/recovery`, `/v1/customers/{id}/recovery`).

#[cfg(feature = "server")]
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use voicefleet_core::console::{OnboardProgress, OnboardReport, Onboarding};
use voicefleet_core::instances::LaunchSpec;

use super::wire::InstanceBody;

#[cfg(feature = "server")]
/// The longest onboarding waits for a host (the client's request timeout is a minute longer).
pub(crate) const MAX_ONBOARD_SECONDS: u64 = 600;

/// How to launch a customer's host: an image and a type, or a launch template.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "LaunchSpec")]
#[serde(deny_unknown_fields)]
pub(crate) struct LaunchSpecBody {
    /// The machine image (`ami-…`); needed unless the launch template names one.
    #[serde(default)]
    pub(crate) image_id: Option<String>,
    /// `t3.medium`; needed unless the launch template names one.
    #[serde(default)]
    pub(crate) instance_type: Option<String>,
    #[serde(default)]
    pub(crate) subnet_id: Option<String>,
    #[serde(default)]
    pub(crate) security_group_ids: Vec<String>,
    /// An instance profile's name, for the host's own credentials.
    #[serde(default)]
    pub(crate) instance_profile: Option<String>,
    #[serde(default)]
    pub(crate) key_name: Option<String>,
    /// A launch template (`lt-…`) used instead of, or under, the fields above.
    #[serde(default)]
    pub(crate) launch_template_id: Option<String>,
}

impl LaunchSpecBody {
    pub(crate) fn into_spec(self, user_data: Option<String>) -> LaunchSpec {
        LaunchSpec {
            image_id: self.image_id,
            instance_type: self.instance_type,
            subnet_id: self.subnet_id,
            security_group_ids: self.security_group_ids,
            instance_profile: self.instance_profile,
            key_name: self.key_name,
            launch_template_id: self.launch_template_id,
            user_data,
        }
    }
}

impl From<&LaunchSpec> for LaunchSpecBody {
    fn from(spec: &LaunchSpec) -> Self {
        LaunchSpecBody {
            image_id: spec.image_id.clone(),
            instance_type: spec.instance_type.clone(),
            subnet_id: spec.subnet_id.clone(),
            security_group_ids: spec.security_group_ids.clone(),
            instance_profile: spec.instance_profile.clone(),
            key_name: spec.key_name.clone(),
            launch_template_id: spec.launch_template_id.clone(),
        }
    }
}

/// `POST /v1/customers/{id}/onboard`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OnboardRequest {
    /// A new customer's name (default: its id).
    #[serde(default)]
    pub(crate) name: String,
    /// A new customer's `key=value` tags.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    pub(crate) launch: LaunchSpecBody,
    /// Where the host downloads the voicefleet-agent package (https).
    pub(crate) package_url: String,
    /// The host agent's URL; none: `https://ADDRESS:8000` of the instance.
    #[serde(default)]
    pub(crate) endpoint: Option<String>,
    /// The first configuration document, for a customer without a revision.
    #[serde(default)]
    #[schemars(with = "Option<voicefleet_core::config::VoiceAgentConfig>")]
    pub(crate) config: Option<Value>,
    /// How long to wait for the host agent, then for the agent to run (at most 600; default 600).
    #[serde(default)]
    pub(crate) timeout_seconds: Option<u64>,
}

impl OnboardRequest {
    #[cfg(feature = "server")]
    pub(crate) fn into_onboarding(self, customer_id: &str) -> Onboarding {
        let seconds = self.timeout_seconds.unwrap_or(MAX_ONBOARD_SECONDS).clamp(1, MAX_ONBOARD_SECONDS);
        Onboarding {
            customer_id: customer_id.to_owned(),
            name: self.name,
            tags: self.tags,
            spec: self.launch.into_spec(None),
            package_url: self.package_url,
            endpoint: self.endpoint,
            config: self.config,
            timeout: Duration::from_secs(seconds),
        }
    }

    pub(crate) fn from_onboarding(request: &Onboarding) -> Self {
        OnboardRequest {
            name: request.name.clone(),
            tags: request.tags.clone(),
            launch: (&request.spec).into(),
            package_url: request.package_url.clone(),
            endpoint: request.endpoint.clone(),
            config: request.config.clone(),
            timeout_seconds: Some(request.timeout.as_secs().max(1)),
        }
    }
}

/// One onboarding step.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "OnboardStep")]
pub(crate) struct OnboardStepBody {
    /// `launched`, `registered`, `revision`, `answered`, `deployed` or `running`.
    pub(crate) step: String,
    pub(crate) detail: String,
    pub(crate) at_ms: u64,
}

/// What onboarding did.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Onboarded")]
pub(crate) struct OnboardedBody {
    pub(crate) customer_id: String,
    pub(crate) instance: InstanceBody,
    pub(crate) endpoint: String,
    /// The pin of the host's certificate (`sha256:…`), recorded with the customer.
    pub(crate) pin_sha256: String,
    /// The revision deployed.
    pub(crate) revision: u64,
    pub(crate) steps: Vec<OnboardStepBody>,
}

impl From<&OnboardReport> for OnboardedBody {
    fn from(report: &OnboardReport) -> Self {
        OnboardedBody {
            customer_id: report.customer_id.clone(),
            instance: (&report.instance).into(),
            endpoint: report.endpoint.clone(),
            pin_sha256: report.pin_sha256.clone(),
            revision: report.revision,
            steps: report
                .steps
                .iter()
                .map(|s| OnboardStepBody {
                    step: s.step.to_owned(),
                    detail: s.detail.clone(),
                    at_ms: s.at_ms,
                })
                .collect(),
        }
    }
}

impl OnboardedBody {
    /// The report; a step's name this version does not know reads as `step`.
    pub(crate) fn into_report(self) -> OnboardReport {
        const KNOWN: [&str; 6] = ["launched", "registered", "revision", "answered", "deployed", "running"];
        OnboardReport {
            customer_id: self.customer_id,
            instance: self.instance.into(),
            endpoint: self.endpoint,
            pin_sha256: self.pin_sha256,
            revision: self.revision,
            steps: self
                .steps
                .into_iter()
                .map(|s| OnboardProgress {
                    step: KNOWN.into_iter().find(|k| *k == s.step).unwrap_or("step"),
                    detail: s.detail,
                    at_ms: s.at_ms,
                })
                .collect(),
        }
    }
}

/// Recovery settings at one level; a field left out takes the level under it (customer →
/// fleet → the defaults: off, 120 s, 1800 s). All left out clears the level.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "RecoverySettings")]
#[serde(deny_unknown_fields)]
pub(crate) struct RecoverySettingsBody {
    /// Whether hosts are recovered automatically (start, reboot, replace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) enabled: Option<bool>,
    /// How long a host must not answer before anything is done (30 to 86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unreachable_after_seconds: Option<u64>,
    /// At most one recovery per customer within this long (60 to 604800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) window_seconds: Option<u64>,
}

impl From<RecoverySettingsBody> for voicefleet_core::instances::RecoverySettings {
    fn from(body: RecoverySettingsBody) -> Self {
        voicefleet_core::instances::RecoverySettings {
            enabled: body.enabled,
            unreachable_after_seconds: body.unreachable_after_seconds,
            window_seconds: body.window_seconds,
        }
    }
}

impl From<&voicefleet_core::instances::RecoverySettings> for RecoverySettingsBody {
    fn from(settings: &voicefleet_core::instances::RecoverySettings) -> Self {
        RecoverySettingsBody {
            enabled: settings.enabled,
            unreachable_after_seconds: settings.unreachable_after_seconds,
            window_seconds: settings.window_seconds,
        }
    }
}

/// `GET /v1/recovery`: the recovery settings as set.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Recovery")]
pub(crate) struct RecoveryBody {
    pub(crate) fleet: RecoverySettingsBody,
    /// Customers with settings of their own, over the fleet's.
    pub(crate) customers: std::collections::BTreeMap<String, RecoverySettingsBody>,
}

impl From<&voicefleet_core::console::RecoveryConfig> for RecoveryBody {
    fn from(config: &voicefleet_core::console::RecoveryConfig) -> Self {
        RecoveryBody {
            fleet: (&config.fleet).into(),
            customers: config.customers.iter().map(|(id, s)| (id.clone(), s.into())).collect(),
        }
    }
}

impl RecoveryBody {
    pub(crate) fn into_config(self) -> voicefleet_core::console::RecoveryConfig {
        voicefleet_core::console::RecoveryConfig {
            fleet: self.fleet.into(),
            customers: self.customers.into_iter().map(|(id, s)| (id, s.into())).collect(),
        }
    }
}
