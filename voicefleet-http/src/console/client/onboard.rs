//! Onboarding through [`ConsoleClient`]: `POST /v1/customers/{id}/onboard/events`, each step
//! handed to the caller as the console sends it, then the report or the error.

use futures_util::StreamExt as _;
use reqwest::Method;
use voicefleet_core::console::{OnboardReport, Onboarding, Progress};
use voicefleet_core::{Error, Result};

use super::super::wire_onboard::{OnboardRequest, OnboardStepBody, OnboardedBody};
use super::{ConsoleClient, to_value};

impl ConsoleClient {
    pub(super) async fn onboard_streamed(
        &self,
        request: &Onboarding,
        progress: Progress<'_>,
    ) -> Result<OnboardReport> {
        let body = to_value(&OnboardRequest::from_onboarding(request))?;
        let path = format!("/v1/customers/{}/onboard/events", request.customer_id);
        let response = self.send(Method::POST, &path, Some(body)).await?;
        let malformed = |e: serde_json::Error| Error::Unavailable {
            message: format!("the console sent a malformed event: {e}"),
        };
        let mut events = crate::sse::parse_events(response);
        while let Some(event) = events.next().await {
            match event.event.as_str() {
                "step" => progress(
                    &serde_json::from_str::<OnboardStepBody>(&event.data).map_err(malformed)?.into_progress(),
                ),
                "done" => {
                    return Ok(serde_json::from_str::<OnboardedBody>(&event.data)
                        .map_err(malformed)?
                        .into_report());
                }
                "error" => return Err(crate::error::event_error(&event.data, "the console")),
                _ => {}
            }
        }
        Err(Error::Unavailable {
            message: format!(
                "the connection to the console ended before onboarding `{}` did; it goes on there: follow it with \
                 `voicefleet status {0}` and `voicefleet audit list --action customer.onboard --customer {0}`",
                request.customer_id
            ),
        })
    }
}
