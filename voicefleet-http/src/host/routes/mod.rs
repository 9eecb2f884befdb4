//! The host API's handlers, one file per resource.

pub(crate) mod agent;
pub(crate) mod audit;
pub(crate) mod config;
pub(crate) mod console_keys;
pub(crate) mod events;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod secrets;
pub(crate) mod status;
