//! Customer hosts as cloud instances: the port the console uses to find, act on and launch
//! them, and the pure rules over what it finds.
//!
//! `types.rs` the plain data (an instance, its state and checks, actions, a launch spec);
//! `provider.rs` the [`InstanceProvider`] port; `backoff.rs` the retry waits for throttled
//! calls; `mapping.rs` instances onto customers; `recovery.rs` the recovery policy;
//! `resize.rs` stop → set type → start; `user_data.rs` a host's cloud-init user data from the
//! shipped template; `host_tls.rs` its bootstrap key and certificate; `ec2/` the EC2 implementation (feature `aws`).

mod backoff;
#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub mod ec2;
mod host_tls;
mod mapping;
mod provider;
mod recovery;
mod resize;
mod types;
mod user_data;

pub use backoff::Backoff;
pub use host_tls::{HostTls, self_signed};
pub use mapping::{
    EndpointSource, InstanceMapping, LinkedInstance, MappedCustomer, MappingOptions, derived_endpoint,
    map_instances,
};
pub use provider::InstanceProvider;
pub use recovery::{
    Hold, RecoveryAction, RecoveryDecision, RecoveryObservation, RecoveryPolicy, RecoverySettings, decide,
    effective_policy,
};
pub use resize::{ResizeOptions, resize, wait_for};
pub use types::{CUSTOMER_TAG, Instance, InstanceAction, InstanceState, LaunchSpec, StatusCheck};
pub use user_data::{HOST_TEMPLATE, HostUserData, render_host_user_data};
