//! `POST /v1/agent/{start|stop|restart|drain}`.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use voicefleet_core::ErrorKind;
use voicefleet_core::host::{HostStatus, StopOptions};

use super::{Operator, SharedState};
use crate::error::ApiError;
use crate::wire::ControlBody;

pub(crate) async fn control(
    _: Operator,
    State(state): State<SharedState>,
    Path(action): Path<String>,
    body: Bytes,
) -> Result<Json<HostStatus>, ApiError> {
    let body: ControlBody = if body.iter().all(u8::is_ascii_whitespace) {
        ControlBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?
    };
    let timeout = match body.drain_timeout_seconds {
        Some(seconds) if !(0.0..=43_200.0).contains(&seconds) || !seconds.is_finite() => {
            return Err(ApiError::new(
                ErrorKind::InvalidInput,
                "drain_timeout_seconds must be between 0 and 43200",
            ));
        }
        Some(seconds) => Some(Duration::from_secs_f64(seconds)),
        None => None,
    };
    let options = StopOptions { timeout };
    let status = match action.as_str() {
        "start" => state.host.start().await?,
        "stop" => state.host.stop(options).await?,
        "restart" => state.host.restart(options).await?,
        "drain" => state.host.drain(options).await?,
        other => {
            return Err(ApiError::new(ErrorKind::NotFound, format!("unknown action `{other}`"))
                .with_hint("use start, stop, restart or drain"));
        }
    };
    Ok(Json(status))
}
