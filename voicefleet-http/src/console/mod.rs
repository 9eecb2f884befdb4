//! The console API under `/v1` over any implementation of core's [`Fleet`] trait, one file per
//! resource under `routes/`, every route with its role in [`ROUTES`] (from which the router, the
//! OpenAPI document and the role test derive); the embedded console server and
//! [`client::ConsoleClient`], the fleet trait over the wire.

pub(crate) mod auth;
pub(crate) mod client;
pub(crate) mod openapi;
mod routes;
pub(crate) mod server;
pub(crate) mod webhook;
pub(crate) mod wire;

pub use self::openapi::openapi_document;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use voicefleet_core::clock::SharedClock;
use voicefleet_core::console::{Accounts, Actor, Fleet, Selector};
use voicefleet_core::{ErrorKind, Result};

use self::auth::TokenVerifier;
use self::routes::{
    agent, alerts, audit, bulk, customers, events, login, logs, metrics, revisions, secrets, status, tokens,
    users,
};
use self::wire::{Page, PageParams};
use crate::error::ApiError;
use crate::middleware::AddressLimiter;
use crate::routes::{Authenticate, route_table};
use crate::token::HostTokenSigner;

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Login attempts allowed per client address and minute.
const LOGINS_PER_MINUTE: u32 = 20;

/// How the console serves its API.
#[derive(Debug, Clone)]
pub struct ConsoleApiOptions {
    /// Origins allowed by CORS (the web team's dev server, e.g. `http://localhost:5173`).
    pub cors_origins: Vec<String>,
    /// How old a polled status may be before `GET /v1/status` polls again.
    pub status_max_age: Duration,
    pub clock: SharedClock,
}

pub(crate) struct AppState {
    pub(crate) fleet: Arc<dyn Fleet>,
    pub(crate) accounts: Accounts,
    pub(crate) verifier: TokenVerifier,
    pub(crate) signer: HostTokenSigner,
    pub(crate) login_limiter: AddressLimiter,
    pub(crate) status_max_age: Duration,
    pub(crate) clock: SharedClock,
}

pub(crate) type Shared = Arc<AppState>;

impl Authenticate for Shared {
    async fn authenticate(&self, header: Option<&str>) -> std::result::Result<Actor, ApiError> {
        self.verifier.authenticate(&self.accounts, header).await
    }
}

route_table! { Shared;
    get "/v1/health" [] => status::health, "liveness";
    get "/v1/openapi.json" [] => openapi::serve, "this document";
    post "/v1/auth/login" [] => login::login, "exchange a user name and password for a token", body: "Login";
    get "/v1/auth/whoami" [Viewer] => login::whoami, "who the token belongs to";
    get "/metrics" [Viewer] => metrics::prometheus, "Prometheus text";
    get "/v1/customers" [Viewer] => customers::list, "list customers (selector, cursor, limit)";
    post "/v1/customers" [Admin] => customers::add, "add a customer", body: "NewCustomer";
    get "/v1/customers/{id}" [Viewer] => customers::show, "show a customer";
    patch "/v1/customers/{id}" [Admin] => customers::tag, "add or remove tags", body: "TagPatch";
    delete "/v1/customers/{id}" [Admin] => customers::remove, "remove a customer";
    get "/v1/status" [Viewer] => status::fleet, "the fleet's status (selector, cursor, limit; fresh=true polls now)";
    get "/v1/customers/{id}/status" [Viewer] => status::customer, "poll one host";
    get "/v1/customers/{id}/revisions" [Viewer] => revisions::list, "configuration history";
    post "/v1/customers/{id}/revisions" [Admin] => revisions::create, "create a revision from a document or a patch", body: "NewRevision";
    get "/v1/customers/{id}/revisions/{number}" [Viewer] => revisions::show, "one revision, secrets redacted";
    get "/v1/customers/{id}/diff" [Viewer] => revisions::diff, "diff two revisions (from, to)";
    post "/v1/customers/{id}/rollback" [Admin] => revisions::rollback, "a new revision equal to an old one", body: "Rollback";
    post "/v1/customers/{id}/deploy" [Admin] => revisions::deploy, "push a revision and its secrets to the host", body: "Deploy";
    get "/v1/customers/{id}/secrets" [Operator] => secrets::list, "secret names, never values";
    put "/v1/customers/{id}/secrets/{name}" [Admin] => secrets::set, "set a secret (write-only)", body: "SecretValue";
    delete "/v1/customers/{id}/secrets/{name}" [Admin] => secrets::delete, "delete a secret";
    post "/v1/customers/{id}/agent/{action}" [Operator] => agent::control, "start, stop, restart or drain the agent", body: "Control";
    get "/v1/customers/{id}/logs" [Operator] => logs::logs, "log lines (tail or cursor), proxied from the host";
    get "/v1/customers/{id}/metrics" [Viewer] => metrics::history, "metrics history (since, until)";
    get "/v1/alerts" [Viewer] => alerts::list, "alerts (all=true for resolved ones too)";
    post "/v1/bulk" [Operator] => bulk::start, "start a bulk run (deploy and patch need admin)", body: "BulkSpec";
    get "/v1/bulk" [Viewer] => bulk::list, "bulk runs, newest first";
    get "/v1/bulk/{id}" [Viewer] => bulk::show, "one bulk run with every target's result";
    post "/v1/bulk/{id}/cancel" [Operator] => bulk::cancel, "cancel a bulk run";
    get "/v1/audit" [Admin] => audit::list, "audit entries (after, limit)";
    get "/v1/audit/verify" [Admin] => audit::verify, "check the audit hash chain";
    get "/v1/users" [Admin] => users::list, "list users";
    post "/v1/users" [Admin] => users::add, "add a user", body: "NewUser";
    delete "/v1/users/{name}" [Admin] => users::remove, "remove a user";
    put "/v1/users/{name}/password" [Viewer] => users::set_password, "set a password (admins: anyone's; others: their own)", body: "Password";
    get "/v1/tokens" [Admin] => tokens::list, "list API tokens";
    post "/v1/tokens" [Admin] => tokens::create, "create an API token (shown once)", body: "NewToken";
    delete "/v1/tokens/{id}" [Admin] => tokens::revoke, "revoke an API token";
    get "/v1/events" [Viewer] => events::events, "live updates (SSE): bulk progress, status changes, alerts";
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
    let state = Arc::new(AppState {
        fleet,
        accounts,
        verifier: TokenVerifier::new(&signer)?,
        signer,
        login_limiter: AddressLimiter::per_minute(LOGINS_PER_MINUTE),
        status_max_age: options.status_max_age,
        clock: options.clock,
    });
    let router = routes(&state)
        .fallback(|| async {
            ApiError::new(ErrorKind::NotFound, "no such route").with_hint("see GET /v1/openapi.json")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    let router = crate::middleware::cors(router, &options.cors_origins);
    Ok(crate::middleware::request_ids(router))
}

/// A page of `items` from `params`' cursor (an offset) and limit (1 to 1000, default 100).
pub(crate) fn paginate<T>(items: Vec<T>, params: &PageParams) -> std::result::Result<Page<T>, ApiError> {
    let offset = match params.cursor.as_deref() {
        None | Some("") => 0,
        Some(cursor) => cursor.parse::<usize>().map_err(|_| ApiError::bad_request("invalid cursor"))?,
    };
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let next = offset + items.len();
    Ok(Page { items, next_cursor: (next < total).then(|| next.to_string()) })
}

/// `params`' selector, `all` when absent.
pub(crate) fn selector(params: &PageParams) -> std::result::Result<Selector, ApiError> {
    Ok(Selector::parse(params.selector.as_deref().unwrap_or("all"))?)
}
