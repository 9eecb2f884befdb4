//! The console API's handlers, one file per resource.

pub(crate) mod agent;
pub(crate) mod alerts;
pub(crate) mod audit;
pub(crate) mod bulk;
pub(crate) mod config_schema;
pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod host_audit;
pub(crate) mod instances;
pub(crate) mod login;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod mfa;
pub(crate) mod recovery;
pub(crate) mod revisions;
pub(crate) mod secrets;
pub(crate) mod status;
pub(crate) mod tokens;
pub(crate) mod users;
