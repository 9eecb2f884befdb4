//! The console API under `/v1` over any implementation of core's [`Fleet`](voicefleet_core::console::Fleet) trait, one file per
//! resource under `routes/`, every route with its role in `ROUTES` (feature `server`; from which the router, the
//! OpenAPI document and the role test derive); the embedded console server and
//! [`client::ConsoleClient`], the fleet trait over the wire.

#[cfg(feature = "server")]
mod assets;
#[cfg(feature = "server")]
pub(crate) mod auth;
pub(crate) mod client;
#[cfg(feature = "server")]
mod idempotency;
pub(crate) mod rotate;
#[cfg(feature = "server")]
mod routes;
#[cfg(feature = "server")]
pub(crate) mod server;
pub(crate) mod telemetry;
pub(crate) mod webhook;
pub(crate) mod wire;
pub(crate) mod wire_onboard;

#[cfg(feature = "server")]
mod server_api;
#[cfg(feature = "server")]
pub use self::server_api::*;
