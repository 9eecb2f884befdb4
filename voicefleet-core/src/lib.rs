//! `voicefleet-core` is the voicefleet library: everything an operator of voice agents for many
//! customers needs that is not a transport. It has three uses, each a complete program in the
//! repository's `examples/` (`embed_config`, `embed_supervisor`, `embed_console`); the common
//! names are in [`prelude`], and every fallible call returns [`Error`].
//!
//! # Configuration documents
//!
//! A customer's voice agent is one JSON document ([`config::ConfigDocument`]): edited by path,
//! validated on every change, a change that adds an error refused.
//!
//! ```
//! use voicefleet_core::config::{ConfigDocument, template};
//!
//! let mut document = template("default").unwrap();
//! document.set("agent_settings.llm.temperature", serde_json::json!(0.3)).unwrap();
//! assert!(document.validate().is_valid());
//!
//! // A change that adds an error is refused and leaves the document as it was.
//! let refused = document.set("agent_settings.llm.temperature", serde_json::json!(5));
//! assert!(refused.is_err());
//! assert_eq!(document.get("agent_settings.llm.temperature").unwrap(), 0.3);
//! ```
//!
//! # Supervising a process (feature `unix-supervisor`, Linux)
//!
//! [`supervisor::Supervisor`] keeps one program alive through a shim that outlives your process,
//! restarts it with backoff, drains it on stop and re-adopts it after your own restart. The
//! program needs no configuration document ([`supervisor::ProcessSpec`]); your binary serves as
//! the shim when `main` begins with [`supervisor::shim_entry_point`].
//!
//! ```no_run
//! use voicefleet_core::prelude::*;
//!
//! fn main() -> std::process::ExitCode {
//!     if let Some(code) = shim_entry_point() {
//!         return code; // started by the supervisor as its shim
//!     }
//!     let runtime = tokio::runtime::Runtime::new().unwrap();
//!     runtime.block_on(async {
//!         let supervisor = Supervisor::builder(CustomerId::parse("acme")?, "/var/lib/acme")
//!             .command(["my-voice-agent", "--port", "8080"])
//!             .open()
//!             .await?;
//!         let status = supervisor.start().await?;
//!         println!("{} (pid {:?})", status.state, status.pid);
//!         supervisor.stop(StopOptions::default()).await?;
//!         supervisor.shutdown(false).await
//!     })
//!     .map_or(std::process::ExitCode::FAILURE, |()| std::process::ExitCode::SUCCESS)
//! }
//! ```
//!
//! # A console over many hosts (feature `sqlite`)
//!
//! [`console::Console`] knows the whole fleet: customers, configuration revisions, encrypted
//! secrets, status, alerts, rollouts and the audit chain ([`console::Fleet`]). It reaches each
//! host through a [`console::HostConnector`]; `voicefleet_http::AgentConnector` is the one over
//! HTTP.
//!
//! ```no_run
//! use std::sync::Arc;
//! use voicefleet_core::prelude::*;
//!
//! # async fn run(connector: Arc<dyn HostConnector>) -> voicefleet_core::Result<()> {
//! let opened = Console::open_sqlite("/var/lib/console", connector)
//!     .first_admin("admin", None) // created on the first open; the password is returned once
//!     .await?;
//! let admin = Actor::new("admin", Role::Admin);
//! for status in opened.console.status(&admin, &Selector::All).await? {
//!     println!("{}: {}", status.customer_id, status.state);
//! }
//! # Ok(()) }
//! ```
//!
//! It knows nothing about HTTP, terminals, command lines or Python: the `voicefleet-agent`,
//! `voicefleet-http`, `voicefleet-cli` and `voicefleet-py` crates are thin frontends over this
//! one.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod auth;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod backup;
pub mod clock;
pub mod config;
pub mod console;
pub mod customer;
mod error;
mod error_kind;
pub mod fs;
#[cfg(all(unix, feature = "unix-supervisor"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "unix-supervisor"))))]
pub mod heap;
pub mod host;
pub mod host_audit;
#[cfg(all(unix, feature = "unix-supervisor"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "unix-supervisor"))))]
pub mod hostinfo;
pub mod instances;
pub mod keycheck;
pub mod lifecycle;
pub mod logs;
pub mod operation;
pub mod prelude;
pub mod protocol;
pub mod random;
pub mod remedy;
pub mod secret_env;
#[cfg(all(unix, feature = "unix-supervisor"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "unix-supervisor"))))]
pub mod simulator;
#[cfg(all(unix, feature = "unix-supervisor"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "unix-supervisor"))))]
pub mod supervisor;
pub mod transport;

pub use error::{Error, ErrorKind, OtpRefusal, Result};
pub use remedy::Remedy;
