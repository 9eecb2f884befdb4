//! `voicefleet-http`: the console HTTP server (axum) the web team builds the browser console on,
//! and [`ConsoleClient`], the fleet contract over HTTP for the CLI and Python.
//!
//! Not here: domain rules. Every route is a thin call into `voicefleet-core`'s `Console` (the
//! fleet trait) or `Accounts`; this crate owns routing, authentication (user JWTs and API
//! tokens), the error shape, SSE, the OpenAPI document, and the client.

mod api;
mod auth;
mod client;
mod error;
mod server;
mod webhook;

pub use client::{ConsoleClient, LoginResponse, WhoAmI};
pub use server::{ConsoleServer, Embedded, ServeOptions, open_embedded, open_embedded_with};
pub use webhook::WebhookNotifier;
