//! `voicefleet-http`: the console HTTP server (axum) for the web team, and `ConsoleClient`, the
//! fleet contract over HTTP for the CLI and Python.
//!
//! Not here: domain rules (they live in `voicefleet-core`). The server arrives with the
//! console-HTTP work; today this crate only fixes its place in the workspace.
