//! `GET /v1/alerts`.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;

use crate::console::wire::AlertParams;
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, Params};

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<AlertParams>,
) -> Result<impl IntoResponse, ApiError> {
    let alerts = state.fleet.alerts(&actor, params.all.unwrap_or(false)).await?;
    Ok(Json(paginate(alerts, params.cursor.as_deref(), params.limit)?))
}
