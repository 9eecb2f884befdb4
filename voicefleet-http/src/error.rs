//! Errors use the shared HTTP error shape of `voicefleet-agent` (one table from kind to status,
//! one body), so the console and the hosts answer alike.

pub(crate) use voicefleet_agent::error::ApiError;
