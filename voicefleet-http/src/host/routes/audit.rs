//! `GET /v1/audit?after=N&limit=M` and `GET /v1/audit/verify`: the host's audit file, read and
//! checked (see `audit_log.rs`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use voicefleet_core::ErrorKind;

use crate::error::ApiError;
use crate::extract::Params;
use crate::host::SharedState;
use crate::host::audit_log::{HostAudit, HostAuditVerification};
use crate::host::wire::HostAuditPage;

/// The most entries one page holds.
const MAX_LIMIT: u32 = 1000;

/// `GET /v1/audit`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Entries after this sequence number (default 0: from the oldest kept).
    pub(crate) after: Option<u64>,
    /// At most this many entries (1 to 1000; default 100).
    pub(crate) limit: Option<u32>,
}

impl AuditParams {
    /// `after` and `limit` with their defaults, `limit` bounded.
    pub(crate) fn resolved(&self) -> (u64, u32) {
        (self.after.unwrap_or(0), self.limit.unwrap_or(100).clamp(1, MAX_LIMIT))
    }
}

fn audit_file(state: &SharedState) -> Result<Arc<HostAudit>, ApiError> {
    state.audit.clone().ok_or_else(|| {
        ApiError::new(ErrorKind::NotFound, "this host keeps no audit file")
            .with_hint("a host agent keeps one in STATE/audit.log; this server was started without it")
    })
}

pub(crate) async fn page(
    State(state): State<SharedState>,
    Params(params): Params<AuditParams>,
) -> Result<Json<HostAuditPage>, ApiError> {
    let audit = audit_file(&state)?;
    let (after, limit) = params.resolved();
    let limit = limit as usize;
    let entries = tokio::task::spawn_blocking(move || audit.page(after, limit))
        .await
        .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))??;
    let next_after = entries.last().map_or(after, |entry| entry.seq);
    Ok(Json(HostAuditPage { entries, next_after }))
}

pub(crate) async fn verify(
    State(state): State<SharedState>,
) -> Result<Json<HostAuditVerification>, ApiError> {
    let audit = audit_file(&state)?;
    let verification = tokio::task::spawn_blocking(move || audit.verify())
        .await
        .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))??;
    Ok(Json(verification))
}
