//! `GET /v1/audit`, `GET /v1/audit/verify`.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;

use crate::console::Shared;
use voicefleet_core::console::AuditQuery;

use crate::console::wire::{AuditOrder, AuditParams, Page};
use crate::error::ApiError;
use crate::extract::{Caller, Params};

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<AuditParams>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let entries = if params.order == Some(AuditOrder::Newest) {
        let query = AuditQuery {
            before: params.before,
            since_ms: params.since,
            customer: params.customer,
            actor: params.actor,
            action: params.action,
            limit,
        };
        state.fleet.audit_newest(&actor, &query).await?
    } else {
        state.fleet.audit(&actor, params.after.unwrap_or(0), limit).await?
    };
    let next_cursor = (entries.len() == limit).then(|| entries.last().map(|e| e.seq.to_string())).flatten();
    Ok(Json(Page { items: entries, next_cursor }))
}

pub(crate) async fn verify(
    Caller(actor): Caller,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.verify_audit(&actor).await?))
}
