//! EC2's types into the crate's plain [`Instance`].

use std::collections::HashMap;

use aws_sdk_ec2::types as ec2;

use crate::instances::types::{CUSTOMER_TAG, Instance, InstanceState, StatusCheck};

/// Both status checks of an instance, as DescribeInstanceStatus reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checks {
    pub(crate) system: StatusCheck,
    pub(crate) instance: StatusCheck,
}

impl Checks {
    /// What an instance has before its checks are read (or when it is not running).
    pub(crate) const NOT_APPLICABLE: Checks =
        Checks { system: StatusCheck::NotApplicable, instance: StatusCheck::NotApplicable };
}

/// Reads one DescribeInstanceStatus entry: its instance id and checks.
pub(crate) fn checks(status: &ec2::InstanceStatus) -> Option<(String, Checks)> {
    let read = |summary: Option<&ec2::InstanceStatusSummary>| {
        summary.and_then(|s| s.status()).map_or(StatusCheck::Unknown, |s| StatusCheck::parse(s.as_str()))
    };
    let id = status.instance_id()?.to_owned();
    Some((id, Checks { system: read(status.system_status()), instance: read(status.instance_status()) }))
}

/// One EC2 instance, with its checks looked up by id (none: not applicable).
pub(crate) fn instance(raw: &ec2::Instance, checks: &HashMap<String, Checks>) -> Option<Instance> {
    let id = raw.instance_id()?.to_owned();
    let state = raw
        .state()
        .and_then(|s| s.name())
        .map_or(InstanceState::Unknown, |name| InstanceState::parse(name.as_str()));
    let found = checks.get(&id).copied().unwrap_or(Checks::NOT_APPLICABLE);
    Some(Instance {
        state,
        instance_type: raw.instance_type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
        private_address: raw.private_ip_address().and_then(|a| a.parse().ok()),
        public_address: raw.public_ip_address().and_then(|a| a.parse().ok()),
        availability_zone: raw.placement().and_then(|p| p.availability_zone()).map(str::to_owned),
        launched_at_ms: raw
            .launch_time()
            .and_then(|t| t.to_millis().ok())
            .and_then(|ms| u64::try_from(ms).ok()),
        system_status: found.system,
        instance_status: found.instance,
        customer_tag: raw
            .tags()
            .iter()
            .find(|tag| tag.key() == Some(CUSTOMER_TAG))
            .and_then(|t| t.value())
            .map(str::to_owned),
        id,
    })
}
