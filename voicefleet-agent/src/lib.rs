//! `voicefleet-agent`: the host daemon that runs on each customer's host. It supervises the
//! customer's voice agent (through `voicefleet-core`'s supervisor) and serves the host API
//! (`voicefleet-http`'s host router) over it.
//!
//! Not here: HTTP plumbing (routes, auth, the client: `voicefleet-http`), console logic and domain
//! rules (`voicefleet-core`). This crate is the wiring: settings, the supervisor, the server,
//! signals and the binary.

mod daemon;
mod error;
mod settings;

pub use daemon::{Daemon, hidden_entry_point, init_logging, run};
pub use error::{Error, Result};
pub use settings::{AgentArgs, Settings};
