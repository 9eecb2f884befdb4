//! `voicefleet-http`: everything HTTP in voicefleet, both ends of both APIs.
//!
//! - [`host`]: the host API a host agent serves (`host::router` over core's `Host` trait) and
//!   [`AgentClient`], the same trait over the wire; the console's [`AgentConnector`] that hands it
//!   one client per customer, each with its own short-lived tokens.
//! - [`console`]: the console API (`console::router` over core's `Fleet` trait), the embedded
//!   console server (`ConsoleServer`, feature `server`) and [`ConsoleClient`], the fleet trait over the wire.
//! - Shared by both: the error table and body ([`error`]), token signing and verification
//!   ([`HostTokenSigner`]), authentication and role checks from one route table per API,
//!   extractors, middleware (request ids, CORS, rate limits), SSE and serving over TLS.
//!
//! Features: `server` (default) is both APIs' servers (axum); `client` alone is the clients, the
//! [`AgentConnector`] and token signing over reqwest, for a program that embeds a console
//! (`voicefleet_core::console::Console::open_sqlite`) without serving:
//! `voicefleet-http = { version = "0.1", default-features = false, features = ["client"] }`.
//!
//! Not here: domain rules (they live in `voicefleet-core`) and the host daemon's wiring (settings,
//! signals, the supervisor: `voicefleet-agent`). This crate does not depend on the Unix supervisor:
//! a user of [`ConsoleClient`] compiles none of it.

pub mod console;
pub mod error;
#[cfg(feature = "server")]
mod extract;
pub mod host;
mod keyprobe;
mod metrics;
#[cfg(feature = "server")]
mod middleware;
#[cfg(feature = "server")]
mod openapi;
#[cfg(feature = "server")]
pub mod routes;
#[cfg(feature = "server")]
mod serve;
mod sse;
mod token;
mod wire;

pub use console::client::ConsoleClient;
pub use console::rotate::{PREVIOUS_KEYS_FILE, RotateOptions, RotateReport, rotate_signing_key};
#[cfg(feature = "server")]
pub use console::server::{ConsoleServer, Embedded, ServeOptions, open_embedded, open_embedded_with};
pub use console::telemetry::HostRequestMetrics;
pub use console::webhook::WebhookNotifier;
pub use console::wire::{LoginResponse, WhoAmI};
pub use host::client::{AgentClient, AgentClientOptions, TokenSource};
pub use host::connector::AgentConnector;
pub use host::wire::{ConsoleKeyView, ConsoleKeys, HostAuditPage};
pub use keyprobe::HttpKeyProbe;
#[cfg(feature = "server")]
pub use serve::{Exposure, ServerTask, bind, spawn_server};
pub use token::{HOST_TOKEN_SECONDS, HostTokenSigner};
pub use voicefleet_core::host_audit::{HostAuditEntry, HostAuditVerification};

/// The version of the host API this crate serves and its client speaks, answered by a host's
/// `GET /v1/health` as `api_version`. Raised when a change breaks what an older console reads;
/// a console refuses to read a host whose version differs (the customer shows `incompatible`).
pub const HOST_API_VERSION: u32 = 1;

/// The version of the console API this crate serves, answered by the console's `GET /v1/health`.
pub const CONSOLE_API_VERSION: u32 = 1;
