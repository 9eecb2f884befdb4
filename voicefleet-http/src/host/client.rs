//! `AgentClient`: the host contract over HTTP, for the console and tools.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use voicefleet_core::config::ConfigDocument;
use voicefleet_core::host::{
    AppliedConfig, ConfigRevision, Host, HostEvent, HostStatus, LogQuery, MetricsSample, RevisionMeta,
    StopOptions,
};
use voicefleet_core::logs::LogLine;
use voicefleet_core::{Error, ErrorKind, Result};

use super::version::{HealthAnswer, VersionCheck};
use super::wire::{
    AddConsoleKey, ConfigResponse, ConsoleKeys, ControlBody, HostAuditPage, LogsResponse, PutConfig,
    PutSecret, SecretNames,
};
use crate::console::telemetry::HostRequestMetrics;
use voicefleet_core::host_audit::HostAuditVerification;

/// Where the bearer token for each request comes from: a fixed token, or a function that mints
/// a short-lived one per call (the console signs one per host).
#[derive(Clone)]
pub enum TokenSource {
    Static(String),
    Mint(Arc<dyn Fn() -> String + Send + Sync>),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenSource::Static(_) => "TokenSource::Static(..)",
            TokenSource::Mint(_) => "TokenSource::Mint(..)",
        })
    }
}

impl TokenSource {
    pub(crate) fn token(&self) -> String {
        match self {
            TokenSource::Static(token) => token.clone(),
            TokenSource::Mint(mint) => mint(),
        }
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct AgentClientOptions {
    /// Per-request timeout (control requests that drain get the drain timeout on top).
    pub timeout: Duration,
    /// Retries of idempotent requests after a connection error, 429 or 5xx.
    pub retries: u32,
    /// First retry delay; doubles each time.
    pub retry_backoff: Duration,
}

impl Default for AgentClientOptions {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(10), retries: 2, retry_backoff: Duration::from_millis(100) }
    }
}

/// The host API's client; implements [`Host`].
#[derive(Debug, Clone)]
pub struct AgentClient {
    base: url::Url,
    token: TokenSource,
    options: AgentClientOptions,
    http: reqwest::Client,
    events: super::subscription::Pump,
    metrics: Option<HostRequestMetrics>,
    /// The host's API version, read from its health before anything else is read.
    version: VersionCheck,
}

impl AgentClient {
    pub fn new(endpoint: &str, token: TokenSource, options: AgentClientOptions) -> Result<Self> {
        Self::with_http(endpoint, token, options, http_client()?)
    }

    /// A client sharing `http` (its connection pools and TLS configuration) with others: the
    /// console's connector gives every host's client the same one.
    pub fn with_http(
        endpoint: &str,
        token: TokenSource,
        options: AgentClientOptions,
        http: reqwest::Client,
    ) -> Result<Self> {
        let base = voicefleet_core::customer::parse_endpoint(endpoint)?;
        let (sender, _) = tokio::sync::broadcast::channel(256);
        let events = super::subscription::Pump {
            http: http.clone(),
            url: base
                .join("v1/events")
                .map_err(|e| Error::Internal { message: format!("bad events URL: {e}") })?,
            token: token.clone(),
            sender,
            running: Default::default(),
            metrics: None,
        };
        Ok(Self { base, token, options, http, events, metrics: None, version: VersionCheck::default() })
    }

    /// Records every request's duration and outcome in `metrics` (the console's).
    pub fn with_metrics(mut self, metrics: HostRequestMetrics) -> Self {
        self.events.metrics = Some(metrics.clone());
        self.metrics = Some(metrics);
        self
    }

    fn url(&self, path: &str) -> Result<url::Url> {
        self.base.join(path).map_err(|e| Error::Internal { message: format!("bad URL path {path}: {e}") })
    }

    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        extra_timeout: Duration,
    ) -> Result<reqwest::Response> {
        self.compatible().await?;
        // A request with an operation id (a bulk run's) is acted on once by the host, so it
        // may be sent again too.
        // The request goes with it: one bulk step may ask several things of a host (a resize
        // drains, then starts), each acted on once.
        let operation_id =
            voicefleet_core::operation::current().filter(|_| method != Method::GET).map(|id| {
                let request = path.trim_start_matches('/').trim_start_matches("v1/").split('?').next();
                format!("{id}/{}", request.unwrap_or_default())
            });
        let idempotent =
            matches!(method, Method::GET | Method::PUT | Method::DELETE) || operation_id.is_some();
        let url = self.url(path)?;
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(self.token.token())
                .timeout(self.options.timeout + extra_timeout);
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(id) = &operation_id {
                request = request.header(super::OPERATION_HEADER, id);
            }
            let started = std::time::Instant::now();
            let outcome = request.send().await;
            if let Some(metrics) = &self.metrics {
                let result = match &outcome {
                    Ok(response) if response.status().is_success() => "ok",
                    Ok(response) if response.status().is_client_error() => "refused",
                    Ok(_) => "failed",
                    Err(error) if error.is_timeout() => "timeout",
                    Err(_) => "unreachable",
                };
                metrics.observe(operation(path), result, started.elapsed().as_secs_f64());
            }
            let retryable = match &outcome {
                Ok(response) => {
                    response.status() == StatusCode::TOO_MANY_REQUESTS || response.status().is_server_error()
                }
                Err(error) => error.is_connect() || error.is_timeout(),
            };
            if idempotent && retryable && attempt < self.options.retries {
                tokio::time::sleep(self.options.retry_backoff * 2u32.pow(attempt)).await;
                attempt += 1;
                continue;
            }
            let response = outcome.map_err(|error| {
                self.version.forget();
                crate::error::transport_error(url.as_str(), &error)
            })?;
            if response.status().is_success() {
                return Ok(response);
            }
            if response.status().is_server_error() {
                self.version.forget();
            }
            return Err(crate::error::remote_error(response, "the host agent").await);
        }
    }

    async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        self.call_with_timeout(method, path, body, Duration::ZERO).await
    }

    async fn call_with_timeout<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        extra_timeout: Duration,
    ) -> Result<T> {
        let response = self.send(method, path, body, extra_timeout).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Error::Unavailable { message: format!("reading the answer failed: {e}") })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            // Perhaps another release now: its version is read again before the next request.
            self.version.forget();
            Error::Unavailable { message: format!("the host agent answered a malformed body: {e}") }
        })
    }

    /// Asks the host to trust `public_key` (PEM) from now on, and every other console key for
    /// `grace` more (a signing-key rotation); returns the keys it then trusts.
    pub async fn add_console_key(&self, public_key: &str, grace: Option<Duration>) -> Result<ConsoleKeys> {
        let body = AddConsoleKey {
            public_key: public_key.to_owned(),
            others_expire_in_seconds: grace.map(|g| g.as_secs()),
        };
        self.call(Method::POST, "v1/console-keys", Some(&body)).await
    }

    /// The console keys the host trusts.
    pub async fn console_keys(&self) -> Result<ConsoleKeys> {
        self.call::<_, ()>(Method::GET, "v1/console-keys", None).await
    }

    /// The host agent's version when it speaks this client's host API, from its `GET
    /// /v1/health` (read at most once a minute, and again after a failure; connection errors
    /// retried like any read); [`Error::IncompatibleHost`] when it speaks another.
    pub async fn compatible(&self) -> Result<String> {
        if let Some(verdict) = self.version.fresh() {
            return verdict;
        }
        let url = self.url("v1/health")?;
        let mut attempt = 0;
        let response = loop {
            let outcome = self.http.get(url.clone()).timeout(self.options.timeout).send().await;
            match outcome {
                Err(error)
                    if (error.is_connect() || error.is_timeout()) && attempt < self.options.retries =>
                {
                    tokio::time::sleep(self.options.retry_backoff * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
                outcome => {
                    break outcome.map_err(|error| crate::error::transport_error(url.as_str(), &error))?;
                }
            }
        };
        if !response.status().is_success() {
            return Err(crate::error::remote_error(response, "the host agent").await);
        }
        let answer: HealthAnswer = response.json().await.map_err(|e| Error::Unavailable {
            message: format!("the host agent's health answer is not one this console reads: {e}"),
        })?;
        self.version.record(answer)
    }

    async fn control(&self, action: &str, options: StopOptions) -> Result<HostStatus> {
        let body = ControlBody { drain_timeout_seconds: options.timeout.map(|t| t.as_secs_f64()) };
        // A drain may legitimately take as long as its timeout (default: the config's 30 s+).
        let extra = options.timeout.unwrap_or(Duration::from_secs(600));
        self.call_with_timeout(Method::POST, &format!("v1/agent/{action}"), Some(&body), extra).await
    }
}

/// The HTTP client every host request goes through (connection pools per host inside).
pub(crate) fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Internal { message: format!("cannot build the HTTP client: {e}") })
}

/// The operation a host API path is, for metrics: its first segment after `v1/`.
fn operation(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').trim_start_matches("v1/").split(['/', '?']).next().unwrap_or("");
    match first {
        "status" => "status",
        "agent" => "control",
        "config" => "config",
        "secrets" => "secrets",
        "logs" => "logs",
        "metrics" => "metrics",
        "events" => "events",
        _ => "other",
    }
}

const NO_BODY: Option<&()> = None;

#[async_trait::async_trait]
impl Host for AgentClient {
    /// Entries of the host's audit file after sequence number `after`, at most `limit`.
    async fn audit(&self, after: u64, limit: u32) -> Result<HostAuditPage> {
        self.call::<_, ()>(Method::GET, &format!("v1/audit?after={after}&limit={limit}"), None).await
    }

    /// The host's check of its audit file's hash chain.
    async fn verify_audit(&self) -> Result<HostAuditVerification> {
        self.call::<_, ()>(Method::GET, "v1/audit/verify", None).await
    }

    async fn status(&self) -> Result<HostStatus> {
        let mut status: HostStatus = self.call(Method::GET, "v1/status", NO_BODY).await?;
        if status.agent_version.is_none() {
            // A host agent from before the status said its version: its health says it.
            status.agent_version = self.compatible().await.ok();
        }
        Ok(status)
    }

    async fn start(&self) -> Result<HostStatus> {
        self.control("start", StopOptions::default()).await
    }

    async fn stop(&self, options: StopOptions) -> Result<HostStatus> {
        self.control("stop", options).await
    }

    async fn restart(&self, options: StopOptions) -> Result<HostStatus> {
        self.control("restart", options).await
    }

    async fn drain(&self, options: StopOptions) -> Result<HostStatus> {
        self.control("drain", options).await
    }

    async fn config(&self) -> Result<Option<(ConfigDocument, ConfigRevision)>> {
        match self.call::<ConfigResponse, _>(Method::GET, "v1/config", NO_BODY).await {
            Ok(response) => Ok(Some((ConfigDocument::from_value(response.config)?, response.revision))),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn apply_config(&self, document: ConfigDocument, meta: RevisionMeta) -> Result<AppliedConfig> {
        let body = PutConfig {
            config: document.into_value(),
            revision: meta.revision,
            author: meta.author,
            message: meta.message,
        };
        self.call(Method::PUT, "v1/config", Some(&body)).await
    }

    async fn set_secret(&self, name: &str, value: &str) -> Result<()> {
        if !voicefleet_core::config::is_valid_secret_name(name) {
            return Err(Error::InvalidSecretName { name: name.to_owned() });
        }
        self.send(
            Method::PUT,
            &format!("v1/secrets/{name}"),
            Some(&PutSecret { value: value.to_owned() }),
            Duration::ZERO,
        )
        .await
        .map(drop)
    }

    async fn delete_secret(&self, name: &str) -> Result<()> {
        if !voicefleet_core::config::is_valid_secret_name(name) {
            return Err(Error::InvalidSecretName { name: name.to_owned() });
        }
        self.send(Method::DELETE, &format!("v1/secrets/{name}"), NO_BODY, Duration::ZERO).await.map(drop)
    }

    async fn secret_names(&self) -> Result<Vec<String>> {
        Ok(self.call::<SecretNames, _>(Method::GET, "v1/secrets", NO_BODY).await?.names)
    }

    async fn check_keys(&self, only: Option<&str>) -> Result<Vec<voicefleet_core::keycheck::KeyCheck>> {
        let path = match only {
            Some(name) => format!(
                "v1/secrets/check?secret={}",
                url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
            ),
            None => "v1/secrets/check".to_owned(),
        };
        // Each provider may take its whole timeout.
        let response: super::wire::KeyChecks =
            self.call_with_timeout(Method::POST, &path, NO_BODY, Duration::from_secs(15)).await?;
        Ok(response.checks)
    }

    async fn logs(&self, query: LogQuery) -> Result<Vec<LogLine>> {
        let path = match query {
            LogQuery::Tail { n, stream } => format!("v1/logs?tail={n}&stream={}", stream.as_str()),
            LogQuery::After { cursor, limit, stream } => {
                format!("v1/logs?cursor={cursor}&limit={}&stream={}", limit.min(10_000), stream.as_str())
            }
        };
        let response: LogsResponse = self.call(Method::GET, &path, NO_BODY).await?;
        Ok(response.lines.into_iter().map(|line| line.into_line()).collect())
    }

    async fn metrics_history(&self, since_ms: u64) -> Result<Vec<MetricsSample>> {
        self.call(Method::GET, &format!("v1/metrics/history?since={since_ms}"), NO_BODY).await
    }

    /// The host's events over SSE (`GET /v1/events`), read by one task per client while anyone
    /// listens: from the moment that stream is connected (a round trip after the first
    /// subscribe), through reconnects (jittered backoff, `Last-Event-ID` replay), with a
    /// [`HostEvent::Lagged`] wherever events were lost. Outside a tokio runtime nothing is read.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<HostEvent> {
        let receiver = self.events.sender.subscribe();
        self.events.ensure_running();
        receiver
    }
}
