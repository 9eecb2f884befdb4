//! Changing an instance's type: stop, wait until stopped, set the type, start, wait until
//! running. The caller drains the host agent first (the console does). One operation over the
//! [`InstanceProvider`] port.

use std::time::Duration;

use super::provider::InstanceProvider;
use super::types::{Instance, InstanceAction, InstanceState};
use crate::error::{Error, Result};

/// How a resize waits for the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResizeOptions {
    /// Between two looks at the instance's state.
    pub poll_interval: Duration,
    /// For each wait (stopped, then running).
    pub timeout: Duration,
}

impl Default for ResizeOptions {
    fn default() -> Self {
        ResizeOptions { poll_interval: Duration::from_secs(5), timeout: Duration::from_secs(600) }
    }
}

/// Resizes instance `id` to `instance_type`; the instance as it runs afterwards. An instance
/// that is already stopped is started after the change too; one of that type already is left
/// alone.
pub async fn resize(
    provider: &dyn InstanceProvider,
    id: &str,
    instance_type: &str,
    options: ResizeOptions,
) -> Result<Instance> {
    if instance_type.trim().is_empty() {
        return Err(Error::InvalidValue {
            value: instance_type.to_owned(),
            reason: "give an instance type, for example t3.large".to_owned(),
        });
    }
    let before = provider.instance(id).await?;
    if before.state.is_gone() {
        return Err(Error::conflict(
            format!("instance {id} is {}: it cannot be resized", before.state),
            Some("launch a replacement instead: onboard the customer onto a new instance"),
        ));
    }
    if before.instance_type == instance_type {
        return Ok(before);
    }
    if before.state != InstanceState::Stopped {
        provider.act(id, &InstanceAction::Stop).await?;
        wait_for(provider, id, InstanceState::Stopped, options).await?;
    }
    provider.act(id, &InstanceAction::SetType(instance_type.to_owned())).await?;
    provider.act(id, &InstanceAction::Start).await?;
    wait_for(provider, id, InstanceState::Running, options).await
}

/// Polls instance `id` until it is in `state`, at most `options.timeout`.
pub async fn wait_for(
    provider: &dyn InstanceProvider,
    id: &str,
    state: InstanceState,
    options: ResizeOptions,
) -> Result<Instance> {
    let deadline = tokio::time::Instant::now() + options.timeout;
    loop {
        let instance = provider.instance(id).await?;
        if instance.state == state {
            return Ok(instance);
        }
        if instance.state.is_gone() && !state.is_gone() {
            return Err(Error::conflict(
                format!("instance {id} is {} while waiting for {state}", instance.state),
                None,
            ));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::Unavailable {
                message: format!(
                    "instance {id} is still {} after {}s waiting for {state}",
                    instance.state,
                    options.timeout.as_secs()
                ),
            });
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}
