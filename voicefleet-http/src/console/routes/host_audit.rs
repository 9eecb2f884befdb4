//! `GET /v1/customers/{id}/host-audit` and `…/host-audit/verify`: the customer's host audit
//! file (who asked each change of that host, and each request it refused), read through the
//! console.

use axum::Json;
use axum::extract::{Path, State};
use voicefleet_core::host_audit::{HostAuditPage, HostAuditVerification};

use crate::console::Shared;
use crate::error::ApiError;
use crate::extract::{Caller, Params};
pub(crate) use crate::host::routes::audit::AuditParams as HostAuditParams;

pub(crate) async fn page(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<HostAuditParams>,
) -> Result<Json<HostAuditPage>, ApiError> {
    let (after, limit) = params.resolved();
    Ok(Json(state.fleet.host_audit(&actor, &id, after, limit).await?))
}

pub(crate) async fn verify(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<HostAuditVerification>, ApiError> {
    Ok(Json(state.fleet.verify_host_audit(&actor, &id).await?))
}
