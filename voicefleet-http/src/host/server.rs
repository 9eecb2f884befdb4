//! The host API's server side (feature `server`): its route table, router and OpenAPI document.

use super::{audit_layer, event_log};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use voicefleet_core::clock::SharedClock;
use voicefleet_core::console::Actor;
use voicefleet_core::host::Host;
use voicefleet_core::{ErrorKind, Result};

use super::audit_log::{HostAudit, HostAuditVerification};
use super::auth::Authenticator;
use super::routes::{agent, audit, config, console_keys, events, logs, metrics, secrets, status};
use super::wire::{
    AddConsoleKey, CheckParams, ConfigResponse, ConsoleKeys, ControlBody, HostAuditPage, KeyChecks,
    LogLineBody, LogsResponse, PatchConfig, PutConfig, PutSecret, Readiness, SecretNames, StreamOpened,
    ValidateResponse,
};
use crate::error::ApiError;
use crate::middleware::AddressLimiter;
use crate::routes::{Authenticate, route_table};
use crate::wire::{Health, OpenApiDocument};
use voicefleet_core::config::VoiceAgentConfig;
use voicefleet_core::host::{AppliedConfig, HostEvent, HostStatus, MetricsSample};

/// Largest accepted request body.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How a host serves its API.
#[derive(Debug, Clone)]
pub struct HostApiOptions {
    /// The customer this host serves: the audience its tokens must carry.
    pub customer_id: String,
    /// The break-glass admin token (see [`load_or_create_admin_token`](super::load_or_create_admin_token)).
    pub admin_token: String,
    /// The console's public key (Ed25519 or RSA, PEM); without it only the admin token works.
    pub console_public_key: Option<Vec<u8>>,
    /// Where console keys pushed by a signing-key rotation are kept (`STATE/console-keys.json`);
    /// `None`: such keys last until the host restarts.
    pub console_keys_file: Option<std::path::PathBuf>,
    /// The append-only audit file (`STATE/audit.log`): every change asked of this host and every
    /// refused request, with its caller; `None`: nothing is audited (`/v1/audit` answers 404).
    pub audit_file: Option<std::path::PathBuf>,
    /// Requests per second allowed per client address (bursts of twice that) before 429.
    pub rate_limit: u32,
    pub clock: SharedClock,
}

pub(crate) struct AppState {
    pub(crate) host: Arc<dyn Host>,
    pub(crate) auth: Authenticator,
    pub(crate) customer_id: String,
    pub(crate) limiter: AddressLimiter,
    pub(crate) requests_total: AtomicU64,
    pub(crate) started: Instant,
    pub(crate) clock: SharedClock,
    /// Numbered events for `/v1/events` (ids, replay after a reconnect).
    pub(crate) events: event_log::EventLog,
    /// The audit file, when kept.
    pub(crate) audit: Option<Arc<HostAudit>>,
    /// Operation ids answered lately (`X-Voicefleet-Operation`).
    pub(crate) operations: Arc<super::operations::Operations>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("customer_id", &self.customer_id).finish_non_exhaustive()
    }
}

pub(crate) type SharedState = Arc<AppState>;

impl Authenticate for SharedState {
    async fn authenticate(&self, header: Option<&str>) -> std::result::Result<Actor, ApiError> {
        self.auth.authenticate(header)
    }
}

route_table! { SharedState;
    get "/v1/health" [] => status::health, "liveness and version", ok: 200 json(Health);
    get "/v1/openapi.json" [] => serve_openapi, "this document", ok: 200 json(OpenApiDocument);
    get "/v1/ready" [Viewer] => status::ready, "200 when the agent is running, else 503", ok: 200 | 503 json(Readiness);
    get "/v1/status" [Viewer] => status::status, "the agent's state, resources and calls", ok: 200 json(HostStatus);
    get "/v1/metrics/history" [Viewer] => metrics::history, "metrics samples since a time",
        query: metrics::HistoryParams, ok: 200 json(Vec<MetricsSample>);
    get "/metrics" [Viewer] => metrics::prometheus, "Prometheus text", ok: 200 text;
    get "/v1/config" [Viewer] => config::get_config, "the applied document (secrets redacted) and its revision",
        ok: 200 json(ConfigResponse);
    put "/v1/config" [Admin] => config::put_config, "apply a whole document", body: PutConfig,
        headers: ["X-Voicefleet-Operation"], ok: 200 json(AppliedConfig);
    patch "/v1/config" [Admin] => config::patch_config, "apply operations to the applied document",
        body: PatchConfig, ok: 200 json(AppliedConfig);
    post "/v1/config/validate" [Operator] => config::validate, "validate a document against this host's secrets, users and programs",
        body: VoiceAgentConfig, ok: 200 json(ValidateResponse);
    get "/v1/secrets" [Operator] => secrets::names, "secret names, never values", ok: 200 json(SecretNames);
    post "/v1/secrets/check" [Operator] => secrets::check,
        "check the provider keys the applied configuration uses, from this host (verdicts, never values)",
        query: CheckParams, ok: 200 json(KeyChecks);
    put "/v1/secrets/{name}" [Admin] => secrets::put_secret, "set a secret (write-only)", body: PutSecret, ok: 204 empty;
    delete "/v1/secrets/{name}" [Admin] => secrets::delete_secret, "delete a secret", ok: 204 empty;
    post "/v1/agent/{action}" [Operator] => agent::control, "start, stop, restart or drain the agent",
        optional_body: ControlBody, headers: ["X-Voicefleet-Operation"], ok: 200 json(HostStatus);
    get "/v1/logs" [Operator] => logs::logs, "log lines (tail or cursor)", query: logs::LogsParams, ok: 200 json(LogsResponse);
    get "/v1/logs/follow" [Operator] => logs::follow, "new log lines as they come (resumable with Last-Event-ID)",
        query: logs::FollowParams, ok: 200 events(log: LogLineBody);
    get "/v1/console-keys" [Viewer] => console_keys::list, "the console public keys this host trusts, with expiries",
        ok: 200 json(ConsoleKeys);
    post "/v1/console-keys" [Admin] => console_keys::add,
        "trust a new console public key (a signing-key rotation), the others until a grace period ends",
        body: AddConsoleKey, ok: 200 json(ConsoleKeys);
    get "/v1/audit" [Admin] => audit::page, "entries of the host's append-only audit file: who asked what, and the answer",
        query: audit::AuditParams, ok: 200 json(HostAuditPage);
    get "/v1/audit/verify" [Admin] => audit::verify, "check the audit file's hash chain", ok: 200 json(HostAuditVerification);
    get "/v1/events" [Viewer] => events::events, "state changes, exits, crash loops, applied configurations",
        ok: 200 events(open: StreamOpened, state_changed: HostEvent, exited: HostEvent, crash_loop: HostEvent,
            config_applied: HostEvent, memory_limit: HostEvent, lagged: HostEvent);
}

/// The host API's OpenAPI document.
pub fn openapi_document() -> serde_json::Value {
    crate::openapi::document(
        crate::openapi::ApiInfo {
            title: "voicefleet host API",
            description: "What a host agent serves over its voice agent. Every route but health and this \
                document needs `Authorization: Bearer <token>`: a console token whose audience is this \
                host's customer, or the host's break-glass admin token; `x-role` is the least role it \
                needs (viewer < operator < admin).",
        },
        ROUTES,
    )
}

async fn serve_openapi() -> axum::Json<OpenApiDocument> {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    axum::Json(OpenApiDocument(DOCUMENT.get_or_init(openapi_document).clone()))
}

/// The host API over `host`, with its middleware (request ids, the per-address limit, the body
/// cap). Serve it with [`crate::spawn_server`] so the limit sees client addresses.
pub fn router(host: Arc<dyn Host>, options: HostApiOptions) -> Result<Router> {
    let auth = Authenticator::new(
        &options.customer_id,
        options.admin_token,
        options.console_public_key.as_deref(),
        options.console_keys_file,
    )?;
    let audit = options.audit_file.map(HostAudit::open).transpose()?.map(Arc::new);
    let state = Arc::new(AppState {
        host,
        auth,
        customer_id: options.customer_id,
        limiter: AddressLimiter::per_second(options.rate_limit),
        requests_total: AtomicU64::new(0),
        started: Instant::now(),
        events: event_log::EventLog::new(options.clock.clone()),
        clock: options.clock,
        audit,
        operations: Default::default(),
    });
    let limited = state.clone();
    let router = routes(&state)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), audit_layer::record))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let state = limited.clone();
            async move {
                state.requests_total.fetch_add(1, Ordering::Relaxed);
                state.limiter.check(request, next).await
            }
        }))
        .with_state(state);
    Ok(crate::middleware::request_ids(router))
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorKind::NotFound, "no such route").with_hint("see docs/host-api.md for the routes")
}
