//! `POST /v1/agent/{start|stop|restart|drain}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};
use voicefleet_core::ErrorKind;
use voicefleet_core::console::ControlAction;
use voicefleet_core::host::{HostStatus, StopOptions};

use crate::error::ApiError;
use crate::extract::OptionalBody;
use crate::host::SharedState;
use crate::host::wire::ControlBody;

/// Acts once per operation id (`X-Voicefleet-Operation`), every time without one.
pub(crate) async fn control(
    State(state): State<SharedState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    OptionalBody(body): OptionalBody<ControlBody>,
) -> Response {
    let request = format!("agent.{action}");
    let operations = state.operations.clone();
    operations.once(&headers, request, async move { act(state, action, body).await.into_response() }).await
}

async fn act(state: SharedState, action: String, body: ControlBody) -> Result<Json<HostStatus>, ApiError> {
    let options = StopOptions::from_seconds(body.drain_timeout_seconds)?;
    let action = ControlAction::parse(&action).ok_or_else(|| {
        ApiError::new(ErrorKind::NotFound, format!("unknown action `{action}`"))
            .with_hint("use start, stop, restart or drain")
    })?;
    let status = match action {
        ControlAction::Start => state.host.start().await?,
        ControlAction::Stop => state.host.stop(options).await?,
        ControlAction::Restart => state.host.restart(options).await?,
        ControlAction::Drain => state.host.drain(options).await?,
    };
    Ok(Json(status))
}
