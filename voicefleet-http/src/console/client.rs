//! `ConsoleClient`: the fleet contract over HTTP. The caller's identity is the token it holds
//! (the `Actor` arguments are for the in-process console and are not sent).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use voicefleet_core::auth::Role;
use voicefleet_core::config::Change;
use voicefleet_core::console::{
    Actor, AlertRecord, AuditEntry, AuditQuery, AuditVerification, BulkEvent, BulkRun, BulkSpec,
    ControlAction, CustomerStatus, CustomerView, EventQuery, Fleet, FleetEvent, InstanceControl,
    InstanceReport, NewCustomer, OnboardReport, Onboarding, Progress, RecoveryConfig, RevisionInput,
    RevisionView, SecretInfo, Selector, TokenView, UserView,
};
use voicefleet_core::host::{HostStatus, LogQuery, MetricsSample};
use voicefleet_core::host_audit::{HostAuditPage, HostAuditVerification};
use voicefleet_core::instances::{Instance, LaunchSpec, RecoverySettings};
use voicefleet_core::logs::LogLine;
use voicefleet_core::{Error, Result};

use super::wire::{
    Control, Deploy, InstanceBody, InstanceResize, InstancesBody, Login, LoginResponse, NewRevision,
    NewToken, NewUser, Page, Password, Rollback, SecretValue, TagPatch, WhoAmI,
};
use super::wire_onboard::{LaunchSpecBody, RecoveryBody, RecoverySettingsBody};
use crate::host::wire::{LogLineBody, LogsResponse};
use crate::wire::{BulkSpecBody, NewCustomerBody};

mod mfa;
mod onboard;

/// The console API's client; implements [`Fleet`].
#[derive(Clone)]
pub struct ConsoleClient {
    base: url::Url,
    token: Option<String>,
    http: reqwest::Client,
    bulk_events: tokio::sync::broadcast::Sender<BulkEvent>,
    fleet_events: tokio::sync::broadcast::Sender<FleetEvent>,
    listening: Arc<Mutex<bool>>,
}

impl std::fmt::Debug for ConsoleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleClient").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

fn transport(error: reqwest::Error) -> Error {
    crate::error::transport_error("the console", &error)
}

impl ConsoleClient {
    /// `url` is the console's base URL (`http://127.0.0.1:9000`); `token` a login token or an
    /// API token.
    pub fn new(url: &str, token: Option<String>) -> Result<Self> {
        let base = voicefleet_core::customer::parse_endpoint(url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(660))
            .build()
            .map_err(|e| Error::Internal { message: e.to_string() })?;
        let (bulk_events, _) = tokio::sync::broadcast::channel(1024);
        let (fleet_events, _) = tokio::sync::broadcast::channel(1024);
        Ok(Self { base, token, http, bulk_events, fleet_events, listening: Arc::new(Mutex::new(false)) })
    }

    fn url(&self, path: &str) -> Result<url::Url> {
        self.base.join(path.trim_start_matches('/')).map_err(|e| Error::Internal { message: e.to_string() })
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<reqwest::Response> {
        self.send_with(method, path, body, &[]).await
    }

    async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        let mut request = self.http.request(method, self.url(path)?);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(transport)?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(crate::error::remote_error(response, "the console").await)
    }

    async fn call<T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<Value>) -> Result<T> {
        read_json(self.send(method, path, body).await?).await
    }

    async fn call_empty(&self, method: Method, path: &str, body: Option<Value>) -> Result<()> {
        self.send(method, path, body).await.map(drop)
    }

    /// Every page of a list.
    async fn all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let page_path = match &cursor {
                Some(cursor) => format!("{path}{separator}limit=1000&cursor={cursor}"),
                None => format!("{path}{separator}limit=1000"),
            };
            let page: Page<T> = self.call(Method::GET, &page_path, None).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(items),
            }
        }
        Ok(items)
    }

    /// The console's base URL.
    pub fn base_url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// Exchanges a user name and password for a token.
    pub async fn login(&self, name: &str, password: &str) -> Result<LoginResponse> {
        self.login_with_otp(name, password, None).await
    }

    /// Logs in with a second-factor code (or a recovery code) for a user who has one; without it
    /// such a login is refused with [`voicefleet_core::Error::SecondFactor`] (`otp_required`).
    pub async fn login_with_otp(
        &self,
        name: &str,
        password: &str,
        otp: Option<&str>,
    ) -> Result<LoginResponse> {
        let body =
            Login { name: name.to_owned(), password: password.to_owned(), otp: otp.map(str::to_owned) };
        self.call(Method::POST, "/v1/auth/login", Some(to_value(&body)?)).await
    }

    /// The title of the server's OpenAPI document (`voicefleet console API`, or `voicefleet host
    /// API` when this URL is a host agent's): to tell an operator which server they reached.
    pub async fn server_title(&self) -> Result<String> {
        let document: Value = self.call(Method::GET, "/v1/openapi.json", None).await?;
        Ok(document["info"]["title"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn whoami(&self) -> Result<WhoAmI> {
        self.call(Method::GET, "/v1/auth/whoami", None).await
    }

    pub async fn users(&self) -> Result<Vec<UserView>> {
        self.all("/v1/users").await
    }

    pub async fn add_user(&self, name: &str, role: Role, password: &str) -> Result<UserView> {
        let body = NewUser { name: name.to_owned(), role, password: password.to_owned() };
        self.call(Method::POST, "/v1/users", Some(to_value(&body)?)).await
    }

    pub async fn remove_user(&self, name: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/users/{name}"), None).await
    }

    /// `current`: your current password, when `name` is you.
    pub async fn set_password(&self, name: &str, password: &str, current: Option<&str>) -> Result<()> {
        let body = Password { password: password.to_owned(), current_password: current.map(str::to_owned) };
        self.call_empty(Method::PUT, &format!("/v1/users/{name}/password"), Some(to_value(&body)?)).await
    }

    pub async fn tokens(&self) -> Result<Vec<TokenView>> {
        self.all("/v1/tokens").await
    }

    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        expires_in_seconds: Option<u64>,
    ) -> Result<TokenView> {
        self.call(
            Method::POST,
            "/v1/tokens",
            Some(to_value(&NewToken { name: name.to_owned(), role, expires_in_seconds })?),
        )
        .await
    }

    pub async fn revoke_token(&self, id: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/tokens/{id}"), None).await
    }

    /// Subscribes once to `GET /v1/events` and forwards its `bulk` and `fleet` events to this
    /// client's channels.
    fn listen_for_events(&self) {
        let mut listening = self.listening.lock().unwrap_or_else(|p| p.into_inner());
        if *listening {
            return;
        }
        *listening = true;
        let client = self.clone();
        tokio::spawn(async move {
            let Ok(response) = client.send(Method::GET, "/v1/events", None).await else { return };
            let mut events = crate::sse::parse_events(response);
            while let Some(event) = events.next().await {
                match event.event.as_str() {
                    "bulk" => {
                        if let Ok(parsed) = serde_json::from_str::<BulkEvent>(&event.data) {
                            let _ = client.bulk_events.send(parsed);
                        }
                    }
                    "fleet" => {
                        if let Ok(parsed) = serde_json::from_str::<FleetEvent>(&event.data) {
                            let _ = client.fleet_events.send(parsed);
                        }
                    }
                    _ => {}
                }
            }
        });
    }
}

async fn read_json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let bytes = response.bytes().await.map_err(transport)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Unavailable { message: format!("the console answered a malformed body: {e}") })
}

fn selector_param(selector: &Selector) -> String {
    let text = match selector {
        Selector::All => "all".to_owned(),
        Selector::Ids { ids } => ids.join(","),
        Selector::Tags { tags } => tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
    };
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal { message: e.to_string() })
}

#[async_trait::async_trait]
impl Fleet for ConsoleClient {
    async fn add_customer(&self, _: &Actor, customer: NewCustomer) -> Result<CustomerView> {
        self.call(Method::POST, "/v1/customers", Some(to_value(&NewCustomerBody::from(customer))?)).await
    }

    async fn customer(&self, _: &Actor, id: &str) -> Result<CustomerView> {
        self.call(Method::GET, &format!("/v1/customers/{id}"), None).await
    }

    async fn customers(&self, _: &Actor, selector: &Selector) -> Result<Vec<CustomerView>> {
        self.all(&format!("/v1/customers?selector={}", selector_param(selector))).await
    }

    async fn tag_customer(
        &self,
        _: &Actor,
        id: &str,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<CustomerView> {
        self.call(Method::PATCH, &format!("/v1/customers/{id}"), Some(to_value(&TagPatch { add, remove })?))
            .await
    }

    async fn remove_customer(&self, _: &Actor, id: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/customers/{id}"), None).await
    }

    async fn status(&self, _: &Actor, selector: &Selector) -> Result<Vec<CustomerStatus>> {
        // The fleet trait's status is a poll now.
        self.all(&format!("/v1/status?fresh=true&selector={}", selector_param(selector))).await
    }

    /// The console decides how old its cached status may be (`console serve`'s refresh interval).
    async fn status_cached(
        &self,
        _: &Actor,
        selector: &Selector,
        _: Duration,
    ) -> Result<Vec<CustomerStatus>> {
        self.all(&format!("/v1/status?selector={}", selector_param(selector))).await
    }

    async fn create_revision(
        &self,
        _: &Actor,
        id: &str,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView> {
        let body = to_value(&NewRevision { input: input.into(), message: message.to_owned() })?;
        self.call(Method::POST, &format!("/v1/customers/{id}/revisions"), Some(body)).await
    }

    async fn create_revision_on(
        &self,
        _: &Actor,
        id: &str,
        parent: Option<u64>,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView> {
        let body = to_value(&NewRevision { input: input.into(), message: message.to_owned() })?;
        let if_match = format!("\"r{}\"", parent.unwrap_or(0));
        let response = self
            .send_with(
                Method::POST,
                &format!("/v1/customers/{id}/revisions"),
                Some(body),
                &[("if-match", &if_match)],
            )
            .await?;
        read_json(response).await
    }

    async fn revisions(&self, _: &Actor, id: &str) -> Result<Vec<RevisionView>> {
        self.all(&format!("/v1/customers/{id}/revisions")).await
    }

    async fn revision(&self, _: &Actor, id: &str, number: u64) -> Result<RevisionView> {
        self.call(Method::GET, &format!("/v1/customers/{id}/revisions/{number}"), None).await
    }

    async fn diff(&self, _: &Actor, id: &str, from: u64, to: u64) -> Result<Vec<Change>> {
        self.call(Method::GET, &format!("/v1/customers/{id}/diff?from={from}&to={to}"), None).await
    }

    async fn rollback(&self, _: &Actor, id: &str, number: u64, message: &str) -> Result<RevisionView> {
        self.call(
            Method::POST,
            &format!("/v1/customers/{id}/rollback"),
            Some(to_value(&Rollback { revision: number, message: message.to_owned() })?),
        )
        .await
    }

    async fn deploy(&self, _: &Actor, id: &str, number: Option<u64>) -> Result<RevisionView> {
        self.call(
            Method::POST,
            &format!("/v1/customers/{id}/deploy"),
            Some(to_value(&Deploy { revision: number })?),
        )
        .await
    }

    async fn set_secret(&self, _: &Actor, id: &str, name: &str, value: &str) -> Result<()> {
        if !voicefleet_core::config::is_valid_secret_name(name) {
            return Err(Error::InvalidSecretName { name: name.to_owned() });
        }
        self.call_empty(
            Method::PUT,
            &format!("/v1/customers/{id}/secrets/{name}"),
            Some(to_value(&SecretValue { value: value.to_owned() })?),
        )
        .await
    }

    async fn check_secrets(
        &self,
        _: &Actor,
        id: &str,
        only: Option<&str>,
    ) -> Result<Vec<voicefleet_core::keycheck::KeyCheck>> {
        let mut path = format!("/v1/customers/{id}/secrets/check");
        if let Some(name) = only {
            path.push_str("?secret=");
            path.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
        }
        let report: super::wire::KeyCheckReport = self.call(Method::POST, &path, None).await?;
        Ok(report.checks)
    }

    async fn secrets(&self, _: &Actor, id: &str) -> Result<Vec<SecretInfo>> {
        self.all(&format!("/v1/customers/{id}/secrets")).await
    }

    async fn delete_secret(&self, _: &Actor, id: &str, name: &str) -> Result<()> {
        if !voicefleet_core::config::is_valid_secret_name(name) {
            return Err(Error::InvalidSecretName { name: name.to_owned() });
        }
        self.call_empty(Method::DELETE, &format!("/v1/customers/{id}/secrets/{name}"), None).await
    }

    async fn control(
        &self,
        _: &Actor,
        id: &str,
        action: ControlAction,
        drain_timeout: Option<Duration>,
    ) -> Result<HostStatus> {
        let body = to_value(&Control { drain_timeout_seconds: drain_timeout.map(|d| d.as_secs_f64()) })?;
        self.call(Method::POST, &format!("/v1/customers/{id}/agent/{}", action.as_str()), Some(body)).await
    }

    async fn host_audit(&self, _: &Actor, id: &str, after: u64, limit: u32) -> Result<HostAuditPage> {
        self.call(Method::GET, &format!("/v1/customers/{id}/host-audit?after={after}&limit={limit}"), None)
            .await
    }

    async fn verify_host_audit(&self, _: &Actor, id: &str) -> Result<HostAuditVerification> {
        self.call(Method::GET, &format!("/v1/customers/{id}/host-audit/verify"), None).await
    }

    async fn logs(&self, _: &Actor, id: &str, query: LogQuery) -> Result<Vec<LogLine>> {
        let path = match query {
            LogQuery::Tail { n, stream: s } => {
                format!("/v1/customers/{id}/logs?tail={n}&stream={}", s.as_str())
            }
            LogQuery::After { cursor, limit, stream: s } => {
                format!(
                    "/v1/customers/{id}/logs?cursor={cursor}&limit={}&stream={}",
                    limit.min(10_000),
                    s.as_str()
                )
            }
        };
        let body: LogsResponse = self.call(Method::GET, &path, None).await?;
        Ok(body.lines.into_iter().map(LogLineBody::into_line).collect())
    }

    async fn metrics(&self, _: &Actor, id: &str, since_ms: u64, until_ms: u64) -> Result<Vec<MetricsSample>> {
        let until = until_ms.min(i64::MAX as u64);
        self.call(Method::GET, &format!("/v1/customers/{id}/metrics?since={since_ms}&until={until}"), None)
            .await
    }

    async fn alerts(&self, _: &Actor, include_resolved: bool) -> Result<Vec<AlertRecord>> {
        self.all(&format!("/v1/alerts?all={include_resolved}")).await
    }

    async fn start_bulk(&self, _: &Actor, spec: BulkSpec) -> Result<BulkRun> {
        self.listen_for_events();
        self.call(Method::POST, "/v1/bulk", Some(to_value(&BulkSpecBody::from(spec))?)).await
    }

    async fn bulk_run(&self, _: &Actor, id: &str) -> Result<BulkRun> {
        self.call(Method::GET, &format!("/v1/bulk/{id}"), None).await
    }

    async fn bulk_runs(&self, _: &Actor, limit: usize) -> Result<Vec<BulkRun>> {
        let page: Page<BulkRun> =
            self.call(Method::GET, &format!("/v1/bulk?limit={}", limit.clamp(1, 1000)), None).await?;
        Ok(page.items)
    }

    async fn cancel_bulk(&self, _: &Actor, id: &str) -> Result<BulkRun> {
        self.call(Method::POST, &format!("/v1/bulk/{id}/cancel"), None).await
    }

    fn bulk_events(&self) -> tokio::sync::broadcast::Receiver<BulkEvent> {
        self.listen_for_events();
        self.bulk_events.subscribe()
    }

    fn fleet_events(&self) -> tokio::sync::broadcast::Receiver<FleetEvent> {
        self.listen_for_events();
        self.fleet_events.subscribe()
    }

    async fn event_history(&self, _: &Actor, query: &EventQuery) -> Result<Vec<FleetEvent>> {
        let mut path =
            format!("/v1/events/history?since={}&limit={}", query.since_ms, query.limit.clamp(1, 10_000));
        if let Some(customer) = &query.customer {
            let customer: String = url::form_urlencoded::byte_serialize(customer.as_bytes()).collect();
            path.push_str(&format!("&customer={customer}"));
        }
        self.call(Method::GET, &path, None).await
    }

    async fn audit(&self, _: &Actor, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        let page: Page<AuditEntry> = self
            .call(Method::GET, &format!("/v1/audit?after={after}&limit={}", limit.clamp(1, 1000)), None)
            .await?;
        Ok(page.items)
    }

    async fn audit_newest(&self, _: &Actor, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut path = format!("/v1/audit?order=newest&limit={}", query.limit.clamp(1, 1000));
        for (name, value) in [("before", query.before), ("since", query.since_ms)] {
            if let Some(value) = value {
                path.push_str(&format!("&{name}={value}"));
            }
        }
        for (name, value) in
            [("customer", &query.customer), ("actor", &query.actor), ("action", &query.action)]
        {
            if let Some(value) = value {
                let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
                path.push_str(&format!("&{name}={value}"));
            }
        }
        let page: Page<AuditEntry> = self.call(Method::GET, &path, None).await?;
        Ok(page.items)
    }

    async fn verify_audit(&self, _: &Actor) -> Result<AuditVerification> {
        self.call(Method::GET, "/v1/audit/verify", None).await
    }

    async fn instances(&self, _: &Actor) -> Result<InstanceReport> {
        self.call::<InstancesBody>(Method::GET, "/v1/instances", None).await?.into_report()
    }

    async fn sync_instances(&self, _: &Actor) -> Result<InstanceReport> {
        self.call::<InstancesBody>(Method::POST, "/v1/instances/sync", None).await?.into_report()
    }

    async fn instance_control(&self, _: &Actor, id: &str, control: InstanceControl) -> Result<Instance> {
        let path = format!("/v1/customers/{id}/instance/{}", control.as_str());
        Ok(self.call::<InstanceBody>(Method::POST, &path, None).await?.into())
    }

    async fn resize_instance(&self, _: &Actor, id: &str, instance_type: &str) -> Result<Instance> {
        let body = to_value(&InstanceResize { instance_type: instance_type.to_owned() })?;
        let path = format!("/v1/customers/{id}/instance/resize");
        Ok(self.call::<InstanceBody>(Method::POST, &path, Some(body)).await?.into())
    }

    async fn onboard(&self, _: &Actor, request: Onboarding, progress: Progress<'_>) -> Result<OnboardReport> {
        self.onboard_streamed(&request, progress).await
    }

    async fn recovery_settings(&self, _: &Actor) -> Result<RecoveryConfig> {
        Ok(self.call::<RecoveryBody>(Method::GET, "/v1/recovery", None).await?.into_config())
    }

    async fn set_recovery_settings(
        &self,
        _: &Actor,
        customer: Option<&str>,
        settings: RecoverySettings,
    ) -> Result<RecoveryConfig> {
        let body = to_value(&RecoverySettingsBody::from(&settings))?;
        let path =
            customer.map_or_else(|| "/v1/recovery".to_owned(), |id| format!("/v1/customers/{id}/recovery"));
        Ok(self.call::<RecoveryBody>(Method::PUT, &path, Some(body)).await?.into_config())
    }

    async fn launch_spec(&self, _: &Actor, id: &str) -> Result<LaunchSpec> {
        let path = format!("/v1/customers/{id}/launch-spec");
        Ok(self.call::<LaunchSpecBody>(Method::GET, &path, None).await?.into_spec(None))
    }

    async fn set_launch_spec(&self, _: &Actor, id: &str, spec: LaunchSpec) -> Result<LaunchSpec> {
        let body = to_value(&LaunchSpecBody::from(&spec))?;
        let path = format!("/v1/customers/{id}/launch-spec");
        Ok(self.call::<LaunchSpecBody>(Method::PUT, &path, Some(body)).await?.into_spec(None))
    }
}
