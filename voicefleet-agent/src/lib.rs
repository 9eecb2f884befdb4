//! `voicefleet-agent`: the host daemon that runs on each customer's host. It supervises the
//! customer's voice agent (through `voicefleet-core`'s supervisor) and serves the host API over
//! HTTP; [`AgentClient`] is the same host contract from the other end of the wire.
//!
//! Not here: console logic and domain rules (they live in `voicefleet-core`). This crate is a
//! thin HTTP layer: routing, authentication, rate limiting, SSE, and their client.

mod api;
mod auth;
mod client;
mod connector;
mod daemon;
pub mod error;
mod serve;
mod settings;
mod wire;

pub use client::{AgentClient, AgentClientOptions, TokenSource};
pub use connector::{AgentConnector, HOST_TOKEN_SECONDS, HostTokenSigner};
pub use daemon::{Daemon, hidden_entry_point, init_logging, run};
pub use serve::{ServerTask, spawn_server};
pub use settings::{AgentArgs, Settings};
