//! The port: what the console needs from a cloud to find, act on and launch customer hosts.
//! The EC2 implementation is [`super::ec2`] (feature `aws`); tests use fakes.

use super::types::{Instance, InstanceAction, LaunchSpec};
use crate::customer::CustomerId;
use crate::error::Result;

/// A cloud that runs customer hosts. Implementations retry throttling and transient failures
/// themselves; a permission failure is [`crate::Error::CloudPermission`], naming the action.
#[async_trait::async_trait]
pub trait InstanceProvider: Send + Sync + std::fmt::Debug {
    /// Where it points, for messages (`ec2 us-east-1`).
    fn describe(&self) -> String;

    /// Every instance tagged [`super::CUSTOMER_TAG`], whatever its state, all pages read.
    async fn discover(&self) -> Result<Vec<Instance>>;

    /// One instance by id; [`crate::Error::InstanceNotFound`] when the cloud has no such instance.
    async fn instance(&self, id: &str) -> Result<Instance>;

    /// Asks the cloud to do `action`; it returns once the cloud accepted it, not once it is done.
    async fn act(&self, id: &str, action: &InstanceAction) -> Result<()>;

    /// Launches one instance for `customer`, tagged with it, with `user_data` (cloud-init).
    async fn launch(&self, customer: &CustomerId, spec: &LaunchSpec, user_data: &str) -> Result<Instance>;
}
