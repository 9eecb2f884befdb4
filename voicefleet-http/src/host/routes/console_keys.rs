//! `GET|POST /v1/console-keys`: the console keys this host trusts, and adding one (the console's
//! signing-key rotation; the old keys keep working for a grace period).

use axum::Json;
use axum::extract::State;
use voicefleet_core::ErrorKind;

use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use crate::host::SharedState;
use crate::host::fingerprint::fingerprint;
use crate::host::wire::{AddConsoleKey, ConsoleKeys};

/// The longest grace period accepted: a year.
const MAX_GRACE_SECONDS: u64 = 366 * 86_400;

pub(crate) async fn list(State(state): State<SharedState>) -> Json<ConsoleKeys> {
    Json(ConsoleKeys { keys: state.auth.keys.views(state.clock.now_seconds()) })
}

pub(crate) async fn add(
    State(state): State<SharedState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<AddConsoleKey>,
) -> Result<Json<ConsoleKeys>, ApiError> {
    if body.public_key.len() > 16 * 1024 {
        return Err(ApiError::new(ErrorKind::InvalidInput, "a public key is at most 16 KiB of PEM"));
    }
    let grace = body.others_expire_in_seconds.map(|s| s.min(MAX_GRACE_SECONDS));
    let now = state.clock.now_seconds();
    let keys = state.auth.keys.add(&body.public_key, grace.map(|g| now.saturating_add(g)), now)?;
    // The host's record of the change: who, which key, until when the others are trusted.
    tracing::info!(
        actor = %actor.name,
        key = %fingerprint(&body.public_key),
        others_expire_in_seconds = ?grace,
        "console key added"
    );
    Ok(Json(ConsoleKeys { keys }))
}
