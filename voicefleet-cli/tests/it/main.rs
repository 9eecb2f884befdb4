//! The `voicefleet` binary, run for real: exit codes, output shapes, atomic writes.

mod accounts;
#[cfg(feature = "aws")]
mod backup_s3;
mod changes;
mod config;
mod console_backup;
mod demo;
mod docs;
mod environment;
mod errors;
mod failover;
mod fleet;
mod general;
mod history;
mod host;
mod instances;
#[cfg(feature = "aws")]
mod instances_ec2;
mod keycheck;
mod mfa;
mod postgres;
mod replicas;
mod rollout;
mod safety;
mod spawned;
mod status;
mod transport;
mod tty;

use std::path::Path;

use voicefleet_tests::Run;

pub(crate) fn voicefleet(args: &[&str]) -> Run {
    voicefleet_with_stdin(args, "")
}

pub(crate) fn voicefleet_with_stdin(args: &[&str], stdin: &str) -> Run {
    voicefleet_tests::run(Path::new(env!("CARGO_BIN_EXE_voicefleet")), args, stdin)
}
