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
