//! The console API's server side (feature `server`): its route table, router and OpenAPI document.

use super::{assets, idempotency, telemetry};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use voicefleet_core::Result;
use voicefleet_core::clock::SharedClock;
use voicefleet_core::console::{Accounts, Actor, Fleet, Selector};

use super::auth::TokenVerifier;
use super::routes::{
    agent, alerts, audit, bulk, config_schema, customers, events, host_audit, instances, login, logs,
    metrics, mfa, recovery, revisions, secrets, status, tokens, users,
};
use super::wire::{
    AlertParams, AuditParams, ConfigSchema, Control, CursorParams, Deploy, DiffParams, EventHistoryParams,
    InstanceBody, InstanceResize, InstancesBody, KeyCheckParams, KeyCheckReport, LogParams, Login,
    LoginResponse, MetricsParams, MfaDisable, MfaRequirement, NewRevision, NewToken, NewUser, OtpCode, Page,
    PageParams, Password, Rollback, SecretValue, StatusParams, TagPatch, WhoAmI,
};
use super::wire_onboard::{
    LaunchSpecBody, OnboardRequest, OnboardStepBody, OnboardedBody, RecoveryBody, RecoverySettingsBody,
};
use crate::error::{ApiError, ErrorBody};
use crate::host::wire::LogsResponse;
use crate::routes::{Authenticate, route_table};
use crate::token::HostTokenSigner;
use crate::wire::{BulkSpecBody, Health, NewCustomerBody, OpenApiDocument};
use voicefleet_core::config::Change;
use voicefleet_core::console::{
    AlertRecord, AuditEntry, AuditVerification, BulkEvent, BulkRun, CustomerStatus, CustomerView, FleetEvent,
    RevisionView, SecretInfo, TokenView, UserView,
};
use voicefleet_core::console::{MfaEnrollment, MfaPolicy};
use voicefleet_core::host::{HostStatus, MetricsSample};
use voicefleet_core::host_audit::{HostAuditPage, HostAuditVerification};

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How the console serves its API.
#[derive(Debug, Clone)]
pub struct ConsoleApiOptions {
    /// Origins allowed by CORS (the web team's dev server, e.g. `http://localhost:5173`).
    pub cors_origins: Vec<String>,
    /// How old a polled status may be before `GET /v1/status` polls again.
    pub status_max_age: Duration,
    pub clock: SharedClock,
    /// Where the console's requests to hosts are counted (give the same to its connector).
    pub host_metrics: telemetry::HostRequestMetrics,
}

pub(crate) struct AppState {
    pub(crate) fleet: Arc<dyn Fleet>,
    pub(crate) accounts: Accounts,
    pub(crate) verifier: TokenVerifier,
    pub(crate) signer: HostTokenSigner,
    pub(crate) status_max_age: Duration,
    pub(crate) clock: SharedClock,
    pub(crate) idempotency: idempotency::IdempotencyKeys,
    pub(crate) metrics: telemetry::ConsoleMetrics,
}

pub(crate) type Shared = Arc<AppState>;

impl Authenticate for Shared {
    async fn authenticate(&self, header: Option<&str>) -> std::result::Result<Actor, ApiError> {
        self.verifier.authenticate(&self.accounts, header).await
    }

    async fn denied(&self, actor: &Actor, needed: voicefleet_core::auth::Role, route: &str) {
        self.accounts.audit_denial(actor, needed, route).await;
    }
}

route_table! { Shared;
    get "/v1/health" [] => status::health, "liveness", ok: 200 json(Health);
    get "/v1/openapi.json" [] => serve_openapi, "this document", ok: 200 json(OpenApiDocument);
    post "/v1/auth/login" [] => login::login,
        "exchange a user name and password (and a second-factor code, for users who have one) for a token; \
         a missing or wrong code is a 401 with `code` otp_required or otp_invalid",
        body: Login, ok: 200 json(LoginResponse);
    get "/v1/auth/whoami" [Viewer] => login::whoami, "who the token belongs to", ok: 200 json(WhoAmI);
    post "/v1/auth/mfa" [Viewer] => mfa::enable_mine,
        "give yourself a new second factor, pending its first code; the otpauth URI and recovery codes \
         are shown only in this answer",
        ok: 201 json(MfaEnrollment);
    post "/v1/auth/mfa/confirm" [Viewer] => mfa::confirm_mine,
        "confirm your pending second factor with a first code; logins need one from then on",
        body: OtpCode, ok: 204 empty;
    post "/v1/auth/mfa/disable" [Viewer] => mfa::disable_mine,
        "remove your second factor (a confirmed one needs a current code or a recovery code)",
        optional_body: MfaDisable, ok: 204 empty;
    get "/metrics" [Viewer] => metrics::prometheus, "Prometheus text", ok: 200 text;
    get "/v1/customers" [Viewer] => customers::list, "list customers", query: PageParams,
        ok: 200 json(Page<CustomerView>);
    post "/v1/customers" [Admin] => customers::add, "add a customer", body: NewCustomerBody, ok: 201 json(CustomerView);
    get "/v1/customers/{id}" [Viewer] => customers::show, "show a customer", ok: 200 json(CustomerView);
    patch "/v1/customers/{id}" [Admin] => customers::tag, "add or remove tags", body: TagPatch, ok: 200 json(CustomerView);
    delete "/v1/customers/{id}" [Admin] => customers::remove, "remove a customer", ok: 204 empty;
    get "/v1/status" [Viewer] => status::fleet, "the fleet's status (fresh=true polls now)", query: StatusParams,
        ok: 200 json(Page<CustomerStatus>);
    get "/v1/customers/{id}/status" [Viewer] => status::customer, "poll one host", ok: 200 json(CustomerStatus);
    get "/v1/config/schema" [Viewer] => config_schema::schema,
        "the configuration document's JSON Schema (draft 2020-12), the one the validator walks",
        ok: 200 json(ConfigSchema);
    get "/v1/customers/{id}/revisions" [Viewer] => revisions::list,
        "configuration history; the ETag is the latest revision's", query: CursorParams,
        ok: 200 json(Page<RevisionView>) etag;
    post "/v1/customers/{id}/revisions" [Admin] => revisions::create,
        "create a revision from a document or a patch (If-Match: only on top of that revision)",
        body: NewRevision, headers: ["If-Match"], ok: 201 json(RevisionView) etag;
    get "/v1/customers/{id}/revisions/{number}" [Viewer] => revisions::show, "one revision, secrets redacted",
        ok: 200 json(RevisionView) etag;
    get "/v1/customers/{id}/diff" [Viewer] => revisions::diff, "diff two revisions", query: DiffParams,
        ok: 200 json(Vec<Change>);
    post "/v1/customers/{id}/rollback" [Admin] => revisions::rollback, "a new revision equal to an old one",
        body: Rollback, ok: 201 json(RevisionView);
    post "/v1/customers/{id}/deploy" [Admin] => revisions::deploy, "push a revision and its secrets to the host",
        body: Deploy, ok: 200 json(RevisionView);
    get "/v1/customers/{id}/secrets" [Operator] => secrets::list, "secret names, never values",
        query: CursorParams, ok: 200 json(Page<SecretInfo>);
    post "/v1/customers/{id}/secrets/check" [Operator] => secrets::check,
        "check the provider keys the deployed configuration uses, live, from the customer's host (verdicts only)",
        query: KeyCheckParams, ok: 200 json(KeyCheckReport);
    put "/v1/customers/{id}/secrets/{name}" [Admin] => secrets::set, "set a secret (write-only)",
        body: SecretValue, ok: 204 empty;
    delete "/v1/customers/{id}/secrets/{name}" [Admin] => secrets::delete, "delete a secret", ok: 204 empty;
    post "/v1/customers/{id}/agent/{action}" [Operator] => agent::control, "start, stop, restart or drain the agent",
        optional_body: Control, ok: 200 json(HostStatus);
    get "/v1/customers/{id}/logs" [Operator] => logs::logs, "log lines (tail or cursor), proxied from the host",
        query: LogParams, ok: 200 json(LogsResponse);
    get "/v1/customers/{id}/host-audit" [Admin] => host_audit::page,
        "the customer's host audit file: who asked each change of that host, and each request it refused",
        query: host_audit::HostAuditParams, ok: 200 json(HostAuditPage);
    get "/v1/customers/{id}/host-audit/verify" [Admin] => host_audit::verify,
        "the customer's host's check of its audit file's hash chain", ok: 200 json(HostAuditVerification);
    get "/v1/customers/{id}/metrics" [Viewer] => metrics::history, "metrics history", query: MetricsParams,
        ok: 200 json(Vec<MetricsSample>);
    get "/v1/alerts" [Viewer] => alerts::list, "alerts", query: AlertParams, ok: 200 json(Page<AlertRecord>);
    post "/v1/bulk" [Operator] => bulk::start, "start a bulk run (deploy and patch need admin)",
        body: BulkSpecBody, headers: ["Idempotency-Key"], ok: 201 json(BulkRun);
    get "/v1/bulk" [Viewer] => bulk::list, "bulk runs, newest first", query: CursorParams, ok: 200 json(Page<BulkRun>);
    get "/v1/bulk/{id}" [Viewer] => bulk::show, "one bulk run with every target's result", ok: 200 json(BulkRun);
    post "/v1/bulk/{id}/cancel" [Operator] => bulk::cancel, "cancel a bulk run", ok: 200 json(BulkRun);
    get "/v1/audit" [Admin] => audit::list, "audit entries", query: AuditParams, ok: 200 json(Page<AuditEntry>);
    get "/v1/audit/verify" [Admin] => audit::verify, "check the audit hash chain", ok: 200 json(AuditVerification);
    get "/v1/users" [Admin] => users::list, "list users", query: CursorParams, ok: 200 json(Page<UserView>);
    post "/v1/users" [Admin] => users::add, "add a user", body: NewUser, ok: 201 json(UserView);
    delete "/v1/users/{name}" [Admin] => users::remove, "remove a user", ok: 204 empty;
    put "/v1/users/{name}/password" [Viewer] => users::set_password,
        "set a password (admins: anyone's; others: their own)", body: Password, ok: 204 empty;
    post "/v1/users/{name}/mfa" [Admin] => mfa::enable,
        "give a user a new second factor, pending its first code; the otpauth URI and recovery codes \
         are shown only in this answer",
        ok: 201 json(MfaEnrollment);
    post "/v1/users/{name}/mfa/confirm" [Admin] => mfa::confirm,
        "confirm a user's pending second factor with a first code (their first login with a code also does)",
        body: OtpCode, ok: 204 empty;
    post "/v1/users/{name}/mfa/disable" [Admin] => mfa::disable,
        "remove a user's second factor (your own needs a current code)",
        optional_body: MfaDisable, ok: 204 empty;
    get "/v1/mfa/policy" [Admin] => mfa::policy, "the roles that must have a second factor, and who of them has none",
        ok: 200 json(MfaPolicy);
    put "/v1/mfa/policy" [Admin] => mfa::set_policy,
        "require (or stop requiring) a second factor at login for a role",
        body: MfaRequirement, ok: 200 json(MfaPolicy);
    get "/v1/tokens" [Admin] => tokens::list, "list API tokens", query: CursorParams, ok: 200 json(Page<TokenView>);
    post "/v1/tokens" [Admin] => tokens::create, "create an API token (its secret is shown once)",
        body: NewToken, ok: 201 json(TokenView);
    delete "/v1/tokens/{id}" [Admin] => tokens::revoke, "revoke an API token", ok: 204 empty;
    get "/v1/events" [Viewer] => events::events,
        "live updates: bulk progress, status changes, alerts, from every console on the store; each event has \
         an id, and Last-Event-ID resumes after it (on any of them), or answers `lagged` (0: an unknown number \
         missed) when it is no longer kept",
        headers: ["Last-Event-ID"], ok: 200 events(bulk: BulkEvent, fleet: FleetEvent, lagged: u64);
    get "/v1/instances" [Viewer] => instances::list,
        "the customers' hosts (cloud instances) as the last sync found them, mapped onto the customers",
        ok: 200 json(InstancesBody);
    post "/v1/instances/sync" [Operator] => instances::sync,
        "read the cloud now (instances tagged voicefleet:customer), store and map what it found",
        ok: 200 json(InstancesBody);
    post "/v1/customers/{id}/instance/resize" [Operator] => instances::resize,
        "change the type of the customer's instance: drain, stop, set the type, start",
        body: InstanceResize, ok: 200 json(InstanceBody);
    post "/v1/customers/{id}/instance/terminate" [Admin] => instances::terminate,
        "terminate the customer's instance (drained first); it cannot be undone",
        ok: 200 json(InstanceBody);
    post "/v1/customers/{id}/onboard" [Admin] => instances::onboard,
        "launch the customer's host (cloud-init user data from the shipped template, its certificate \
         pinned), record the customer and the launch spec, wait for the host agent, deploy the latest \
         revision with its secrets and start the agent; answers once the agent is running",
        body: OnboardRequest, ok: 200 json(OnboardedBody);
    post "/v1/customers/{id}/onboard/events" [Admin] => instances::onboard_events,
        "the same onboarding, each step sent as it is done: `step` events, then `done` with what \
         onboarding did, or `error` (the error body) when it failed; onboarding goes on if the \
         client leaves",
        body: OnboardRequest, ok: 200 events(step: OnboardStepBody, done: OnboardedBody, error: ErrorBody);
    get "/v1/customers/{id}/launch-spec" [Viewer] => recovery::launch_spec,
        "how the customer's host is launched (a replacement too), without its user data",
        ok: 200 json(LaunchSpecBody);
    put "/v1/customers/{id}/launch-spec" [Admin] => recovery::set_launch_spec,
        "change how the customer's host is launched; the user data recorded at onboarding is kept",
        body: LaunchSpecBody, ok: 200 json(LaunchSpecBody);
    get "/v1/recovery" [Viewer] => recovery::show,
        "the recovery settings: the fleet's, and each customer's own over them (off by default)",
        ok: 200 json(RecoveryBody);
    put "/v1/recovery" [Admin] => recovery::set_fleet,
        "set the fleet's recovery settings (fields left out: the defaults; none: clear)",
        body: RecoverySettingsBody, ok: 200 json(RecoveryBody);
    put "/v1/customers/{id}/recovery" [Admin] => recovery::set_customer,
        "set the customer's own recovery settings over the fleet's (fields left out: the fleet's; none: clear)",
        body: RecoverySettingsBody, ok: 200 json(RecoveryBody);
    post "/v1/customers/{id}/instance/{instance_action}" [Operator] => instances::control,
        "start, stop (drained first) or reboot the customer's instance", ok: 200 json(InstanceBody);
    get "/v1/events/history" [Viewer] => events::history,
        "past fleet events (status changes with their exits, alerts), oldest first; kept 7 days",
        query: EventHistoryParams, ok: 200 json(Vec<FleetEvent>);
}

/// The console API's OpenAPI document.
pub fn openapi_document() -> serde_json::Value {
    crate::openapi::document(
        crate::openapi::ApiInfo {
            title: "voicefleet console API",
            description: "Every route but health, login and this document needs `Authorization: Bearer \
                <token>` (a login token or an API token); `x-role` is the least role it needs (viewer < \
                operator < admin). Lists answer pages: pass `next_cursor` back as `cursor`.",
        },
        ROUTES,
    )
}

async fn serve_openapi() -> axum::Json<OpenApiDocument> {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    axum::Json(OpenApiDocument(DOCUMENT.get_or_init(openapi_document).clone()))
}

/// The console API over `fleet` and `accounts`, with its middleware (request ids, CORS, the body
/// cap); user tokens are signed and checked with `signer`'s key. Serve it with
/// [`crate::spawn_server`] so the login limit sees client addresses.
pub fn router(
    fleet: Arc<dyn Fleet>,
    accounts: Accounts,
    signer: HostTokenSigner,
    options: ConsoleApiOptions,
) -> Result<Router> {
    // Claimed in the store: a retry that reaches another console finds the first request's key.
    let idempotency = idempotency::IdempotencyKeys::new(accounts.store().clone(), options.clock.clone());
    let state = Arc::new(AppState {
        fleet,
        accounts,
        verifier: TokenVerifier::new(&signer)?,
        signer,
        status_max_age: options.status_max_age,
        clock: options.clock,
        idempotency,
        metrics: telemetry::ConsoleMetrics::new(options.host_metrics),
    });
    state.metrics.follow_bulk_runs(&state.fleet);
    let observed = state.metrics.clone();
    let router = routes(&state)
        .layer(axum::middleware::from_fn_with_state(observed, telemetry::observe))
        // The web console at `/`; `/v1/...` and `/metrics` still answer the API's JSON 404.
        .fallback(assets::fallback)
        .layer(axum::middleware::from_fn(login::cap_body))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    let router = crate::middleware::cors(router, &options.cors_origins);
    Ok(crate::middleware::request_ids(router))
}

/// A page of `items` from a cursor (an offset) and a limit (1 to 1000, default 100).
pub(crate) fn paginate<T>(
    items: Vec<T>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> std::result::Result<Page<T>, ApiError> {
    let offset = match cursor {
        None | Some("") => 0,
        Some(cursor) => cursor.parse::<usize>().map_err(|_| ApiError::bad_request("invalid cursor"))?,
    };
    let limit = limit.unwrap_or(100).clamp(1, 1000);
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let next = offset + items.len();
    Ok(Page { items, next_cursor: (next < total).then(|| next.to_string()) })
}

/// `params`' selector, `all` when absent.
pub(crate) fn selector(params: &PageParams) -> std::result::Result<Selector, ApiError> {
    Ok(Selector::parse(params.selector.as_deref().unwrap_or("all"))?)
}
