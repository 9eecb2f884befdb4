//! `voicefleet-core` is the voicefleet library: everything an operator of voice agents for many
//! customers needs that is not a transport.
//!
//! It owns the domain types (customers, the per-customer configuration document and its
//! validation) and the rules over them. It knows nothing about HTTP, terminals, command lines or
//! Python: the `voicefleet-agent`, `voicefleet-http`, `voicefleet-cli` and `voicefleet-py` crates
//! are thin frontends over this one.
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
pub mod protocol;
pub mod random;
pub mod secret_env;
#[cfg(all(unix, feature = "unix-supervisor"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "unix-supervisor"))))]
pub mod simulator;
#[cfg(all(unix, feature = "unix-supervisor"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "unix-supervisor"))))]
pub mod supervisor;
pub mod transport;

pub use error::{Error, ErrorKind, OtpRefusal, Result};
