//! `GET /v1/instances`, `POST /v1/instances/sync`, and a customer's instance:
//! `POST /v1/customers/{id}/instance/{start|stop|reboot}`, `.../terminate` (admin),
//! `.../resize`; `POST /v1/customers/{id}/onboard` (launch a host and bring it to a running
//! agent) and `.../onboard/events` (the same, each step streamed as it is done).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use voicefleet_core::ErrorKind;
use voicefleet_core::console::InstanceControl;

use crate::console::Shared;
use crate::console::wire::{InstanceBody, InstanceResize, InstancesBody};
use crate::console::wire_onboard::{OnboardRequest, OnboardStepBody, OnboardedBody};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(InstancesBody::from(&state.fleet.instances(&actor).await?)))
}

pub(crate) async fn sync(
    Caller(actor): Caller,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(InstancesBody::from(&state.fleet.sync_instances(&actor).await?)))
}

pub(crate) async fn control(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path((id, action)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let control = InstanceControl::parse(&action)
        .filter(|control| *control != InstanceControl::Terminate)
        .ok_or_else(|| {
            ApiError::new(ErrorKind::NotFound, format!("unknown instance action `{action}`"))
                .with_hint("use start, stop or reboot; terminate and resize have routes of their own")
        })?;
    Ok(Json(InstanceBody::from(&state.fleet.instance_control(&actor, &id, control).await?)))
}

pub(crate) async fn terminate(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(InstanceBody::from(
        &state.fleet.instance_control(&actor, &id, InstanceControl::Terminate).await?,
    )))
}

pub(crate) async fn resize(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<InstanceResize>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(InstanceBody::from(&state.fleet.resize_instance(&actor, &id, &body.instance_type).await?)))
}

pub(crate) async fn onboard(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<OnboardRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let report = state.fleet.onboard(&actor, body.into_onboarding(&id), &|_| {}).await?;
    Ok(Json(OnboardedBody::from(&report)))
}

/// Onboarding as an event stream: it runs on a task of its own (a client that leaves does not
/// stop it half-way), each step an event as it is done, then `done` or `error`.
pub(crate) async fn onboard_events(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<OnboardRequest>,
) -> impl IntoResponse {
    use axum::response::sse::Event;
    use futures_util::StreamExt as _;
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let fleet = state.fleet.clone();
    let onboarding = body.into_onboarding(&id);
    tokio::spawn(async move {
        let steps = sender.clone();
        let progress = move |done: &voicefleet_core::console::OnboardProgress| {
            let event = Event::default().event("step").json_data(OnboardStepBody::from(done));
            let _ = steps.send(event.unwrap_or_else(|_| Event::default().comment("unencodable step")));
        };
        let last = match fleet.onboard(&actor, onboarding, &progress).await {
            Ok(report) => Event::default().event("done").json_data(OnboardedBody::from(&report)),
            Err(error) => Event::default().event("error").json_data(ApiError::from(error).into_body()),
        };
        let _ = sender.send(last.unwrap_or_else(|_| Event::default().comment("unencodable answer")));
    });
    crate::sse::respond(tokio_stream::wrappers::UnboundedReceiverStream::new(receiver).map(Ok))
}
