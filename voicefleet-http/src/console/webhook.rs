//! Alert notifications by webhook: a JSON POST per alert that fires or resolves, retried with
//! backoff.

use std::time::Duration;

use serde_json::json;
use voicefleet_core::console::{AlertNotifier, AlertRecord};
use voicefleet_core::{Error, Result};

/// Posts `{"type": "alert.firing" | "alert.resolved", "alert": {...}}` to a URL.
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    url: url::Url,
    http: reqwest::Client,
    retries: u32,
    backoff: Duration,
}

impl WebhookNotifier {
    /// `url` must be https, or http to a loopback host (the rule of configuration webhooks).
    pub fn new(url: &str, retries: u32, backoff: Duration) -> Result<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::InvalidEndpoint { endpoint: url.to_owned(), reason: e.to_string() })?;
        if !voicefleet_core::transport::is_secure_url(&parsed) {
            return Err(Error::InvalidEndpoint {
                endpoint: url.to_owned(),
                reason: "an alert webhook must use https (plain http only to a loopback host)".to_owned(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Internal { message: e.to_string() })?;
        Ok(Self { url: parsed, http, retries, backoff })
    }
}

#[async_trait::async_trait]
impl AlertNotifier for WebhookNotifier {
    async fn notify(&self, alert: &AlertRecord) {
        let body =
            json!({"type": if alert.firing { "alert.firing" } else { "alert.resolved" }, "alert": alert});
        for attempt in 0..=self.retries {
            match self.http.post(self.url.clone()).json(&body).send().await {
                Ok(response) if response.status().is_success() => return,
                Ok(response) => {
                    tracing::warn!(status = response.status().as_u16(), attempt, "alert webhook refused")
                }
                Err(error) => tracing::warn!(%error, attempt, "alert webhook failed"),
            }
            if attempt < self.retries {
                tokio::time::sleep(self.backoff * 2u32.pow(attempt.min(10))).await;
            }
        }
        tracing::error!(customer = %alert.customer_id, rule = %alert.rule, "alert webhook gave up");
    }
}
