//! Integration tests of `voicefleet-core`: one binary, one module per feature.

mod alerts;
mod backup;
mod console;
mod console_open;
mod customer;
mod diff_and_hash;
#[cfg(feature = "aws")]
mod ec2;
mod hostinfo;
mod instances;
mod keycheck;
mod lease;
mod library_terms;
mod lifecycle;
mod lifecycle_decisions;
mod load_limits;
mod login;
mod logs;
mod mfa;
mod paths;
mod properties;
mod protocol;
mod recover;
mod restart_policy;
mod rules;
mod schema;
mod secrets;
mod store;
mod supervisor;
mod supervisor_embed;
mod supervisor_restarts;
mod support;
mod templates;
mod transport;
