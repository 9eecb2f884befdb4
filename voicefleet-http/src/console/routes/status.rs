//! `GET /v1/health`, `GET /v1/status`, `GET /v1/customers/{id}/status`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use voicefleet_core::console::Selector;

use crate::console::wire::{PageParams, StatusParams};
use crate::console::{Shared, paginate, selector};
use crate::error::ApiError;
use crate::extract::{Caller, Params};
use crate::wire::Health;

pub(crate) async fn health() -> Json<Health> {
    Json(Health::now(crate::CONSOLE_API_VERSION))
}

pub(crate) async fn fleet(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<StatusParams>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageParams { cursor: params.cursor, limit: params.limit, selector: params.selector };
    let selector = selector(&page)?;
    let statuses = if params.fresh.unwrap_or(false) {
        state.fleet.status(&actor, &selector).await?
    } else {
        state.fleet.status_cached(&actor, &selector, state.status_max_age).await?
    };
    Ok(Json(paginate(statuses, page.cursor.as_deref(), page.limit)?))
}

pub(crate) async fn customer(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.fleet.customer(&actor, &id).await?;
    let mut statuses = state.fleet.status(&actor, &Selector::Ids { ids: vec![id] }).await?;
    Ok(Json(statuses.remove(0)))
}
