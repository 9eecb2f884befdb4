//! The host API: what a host agent serves over its supervisor (any implementation of core's
//! [`Host`](voicefleet_core::host::Host) trait), one file per resource under `routes/`, every route with its role in
//! `ROUTES` (feature `server`); and its other end, [`client::AgentClient`], with the console's
//! [`connector::AgentConnector`].

#[cfg(feature = "server")]
mod audit_layer;
#[cfg(feature = "server")]
pub(crate) mod audit_log;
#[cfg(feature = "server")]
pub(crate) mod auth;
pub(crate) mod client;
pub(crate) mod connector;
#[cfg(feature = "server")]
mod event_log;
pub(crate) mod fingerprint;
#[cfg(feature = "server")]
pub(crate) mod keys;
#[cfg(feature = "server")]
pub(crate) mod operations;
#[cfg(feature = "server")]
pub(crate) mod routes;
mod subscription;
mod trust;
mod version;
pub(crate) mod wire;

#[cfg(feature = "server")]
pub use self::auth::load_or_create_admin_token;

#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
pub use self::server::*;

/// The request header that carries a control request's operation id (see
/// [`voicefleet_core::operation`]): a host acts once per id and answers a repeat with the first
/// answer.
pub const OPERATION_HEADER: &str = "x-voicefleet-operation";
/// The answer header that marks an answer replayed for a repeated operation id.
pub const OPERATION_REPLAYED_HEADER: &str = "x-voicefleet-operation-replayed";
