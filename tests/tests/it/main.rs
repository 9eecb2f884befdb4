//! Cross-crate tests: the console service with real host agents on loopback.

mod audit_chain;
mod bulk;
mod bulk_instances;
mod console_contract;
mod console_http;
mod disaster;
mod embedded;
mod host_audit;
mod keycheck;
mod launch_secrets;
mod live;
mod metrics;
mod onboard_events;
mod operations;
mod recovery;
mod recovery_restart;
mod resumed;
mod rotation;
mod sim;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::console::{Console, ConsoleOptions, SecretBox, SqliteStore};
use voicefleet_http::HostTokenSigner;

/// A console over a fresh SQLite database in `dir`, reaching hosts with `signer`'s tokens.
pub(crate) fn console(
    dir: &std::path::Path,
    signer: &HostTokenSigner,
    host_timeout: Duration,
) -> Arc<Console> {
    let store = Arc::new(SqliteStore::open(&dir.join("console.db")).unwrap());
    let options = ConsoleOptions::default().host_timeout(host_timeout);
    Console::new(store, voicefleet_tests::hosts::connector(signer), SecretBox::new(&[9; 32]), options)
}
