//! `POST /v1/customers/{id}/agent/{start|stop|restart|drain}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use voicefleet_core::ErrorKind;
use voicefleet_core::console::ControlAction;
use voicefleet_core::host::StopOptions;

use crate::console::Shared;
use crate::console::wire::Control;
use crate::error::ApiError;
use crate::extract::{Caller, OptionalBody};

pub(crate) async fn control(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path((id, action)): Path<(String, String)>,
    OptionalBody(body): OptionalBody<Control>,
) -> Result<impl IntoResponse, ApiError> {
    let action = ControlAction::parse(&action).ok_or_else(|| {
        ApiError::new(ErrorKind::NotFound, format!("unknown action `{action}`"))
            .with_hint("use start, stop, restart or drain")
    })?;
    let timeout = StopOptions::from_seconds(body.drain_timeout_seconds)?.timeout;
    Ok(Json(state.fleet.control(&actor, &id, action, timeout).await?))
}
