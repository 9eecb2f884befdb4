//! `voicefleet-agent`: the host daemon that runs on each customer's host, supervises the
//! customer's voice agent and serves the host API (axum), plus `AgentClient`, the same host
//! contract over HTTP.
//!
//! Not here: console logic (it lives in `voicefleet-core`). The daemon and its API arrive with
//! the host-agent work; today this crate only fixes its place in the workspace.
