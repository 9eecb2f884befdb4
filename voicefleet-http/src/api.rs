//! The console API under `/v1`. Every route declares its role by the extractor it takes, and is
//! listed in [`ROUTES`], from which the OpenAPI document is generated and against which the role
//! test runs.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use futures_util::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use voicefleet_agent::HostTokenSigner;
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{
    Accounts, Actor, BulkSpec, Console, ControlAction, Fleet, NewCustomer, RevisionInput, Selector,
};
use voicefleet_core::host::LogQuery;
use voicefleet_core::logs::{Stream as LogStream, StreamFilter};

use crate::auth::{CONSOLE_AUDIENCE, LOGIN_SECONDS, LoginLimiter, TokenVerifier};
use crate::error::ApiError;

pub(crate) struct AppState {
    pub(crate) console: Arc<Console>,
    pub(crate) accounts: Accounts,
    pub(crate) verifier: TokenVerifier,
    pub(crate) signer: HostTokenSigner,
    pub(crate) login_limiter: LoginLimiter,
    pub(crate) cors_origins: Vec<String>,
    /// How old a polled status may be before `GET /v1/status` polls again.
    pub(crate) status_max_age: Duration,
}

type Shared = Arc<AppState>;

/// One documented route.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteDoc {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    /// `None`: no token needed.
    pub(crate) role: Option<Role>,
    pub(crate) summary: &'static str,
    pub(crate) body: Option<&'static str>,
}

macro_rules! routes {
    ($( $method:literal $path:literal $role:expr, $summary:literal $(, body: $body:literal)? ;)*) => {
        pub(crate) const ROUTES: &[RouteDoc] = &[ $( RouteDoc { method: $method, path: $path, role: $role, summary: $summary, body: routes!(@body $($body)?) } ),* ];
    };
    (@body) => { None };
    (@body $body:literal) => { Some($body) };
}

const V: Option<Role> = Some(Role::Viewer);
const O: Option<Role> = Some(Role::Operator);
const A: Option<Role> = Some(Role::Admin);

routes! {
    "GET" "/v1/health" None, "liveness";
    "GET" "/v1/openapi.json" None, "this document";
    "POST" "/v1/auth/login" None, "exchange a user name and password for a token", body: "Login";
    "GET" "/v1/auth/whoami" V, "who the token belongs to";
    "GET" "/metrics" V, "Prometheus text";
    "GET" "/v1/customers" V, "list customers (selector, cursor, limit)";
    "POST" "/v1/customers" A, "add a customer", body: "NewCustomer";
    "GET" "/v1/customers/{id}" V, "show a customer";
    "PATCH" "/v1/customers/{id}" A, "add or remove tags", body: "TagPatch";
    "DELETE" "/v1/customers/{id}" A, "remove a customer";
    "GET" "/v1/status" V, "the fleet's status (selector, cursor, limit; fresh=true polls now)";
    "GET" "/v1/customers/{id}/status" V, "poll one host";
    "GET" "/v1/customers/{id}/revisions" V, "configuration history";
    "POST" "/v1/customers/{id}/revisions" A, "create a revision from a document or a patch", body: "NewRevision";
    "GET" "/v1/customers/{id}/revisions/{number}" V, "one revision, secrets redacted";
    "GET" "/v1/customers/{id}/diff" V, "diff two revisions (from, to)";
    "POST" "/v1/customers/{id}/rollback" A, "a new revision equal to an old one", body: "Rollback";
    "POST" "/v1/customers/{id}/deploy" A, "push a revision and its secrets to the host", body: "Deploy";
    "GET" "/v1/customers/{id}/secrets" O, "secret names, never values";
    "PUT" "/v1/customers/{id}/secrets/{name}" A, "set a secret (write-only)", body: "SecretValue";
    "DELETE" "/v1/customers/{id}/secrets/{name}" A, "delete a secret";
    "POST" "/v1/customers/{id}/agent/{action}" O, "start, stop, restart or drain the agent", body: "Control";
    "GET" "/v1/customers/{id}/logs" O, "log lines (tail or cursor), proxied from the host";
    "GET" "/v1/customers/{id}/metrics" V, "metrics history (since, until)";
    "GET" "/v1/alerts" V, "alerts (all=true for resolved ones too)";
    "POST" "/v1/bulk" O, "start a bulk run (deploy and patch need admin)", body: "BulkSpec";
    "GET" "/v1/bulk" V, "bulk runs, newest first";
    "GET" "/v1/bulk/{id}" V, "one bulk run with every target's result";
    "POST" "/v1/bulk/{id}/cancel" O, "cancel a bulk run";
    "GET" "/v1/audit" A, "audit entries (after, limit)";
    "GET" "/v1/audit/verify" A, "check the audit hash chain";
    "GET" "/v1/users" A, "list users";
    "POST" "/v1/users" A, "add a user", body: "NewUser";
    "DELETE" "/v1/users/{name}" A, "remove a user";
    "PUT" "/v1/users/{name}/password" V, "set a password (admins: anyone's; others: their own)", body: "Password";
    "GET" "/v1/tokens" A, "list API tokens";
    "POST" "/v1/tokens" A, "create an API token (shown once)", body: "NewToken";
    "DELETE" "/v1/tokens/{id}" A, "revoke an API token";
    "GET" "/v1/events" V, "live updates (SSE): bulk progress, status changes, alerts";
}

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route(
            "/v1/health",
            get(|| async { Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})) }),
        )
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/whoami", get(whoami))
        .route("/metrics", get(prometheus))
        .route("/v1/customers", get(list_customers).post(add_customer))
        .route("/v1/customers/{id}", get(show_customer).patch(tag_customer).delete(remove_customer))
        .route("/v1/status", get(fleet_status))
        .route("/v1/customers/{id}/status", get(customer_status))
        .route("/v1/customers/{id}/revisions", get(revisions).post(create_revision))
        .route("/v1/customers/{id}/revisions/{number}", get(revision))
        .route("/v1/customers/{id}/diff", get(diff))
        .route("/v1/customers/{id}/rollback", post(rollback))
        .route("/v1/customers/{id}/deploy", post(deploy))
        .route("/v1/customers/{id}/secrets", get(secrets))
        .route("/v1/customers/{id}/secrets/{name}", put(set_secret).delete(delete_secret))
        .route("/v1/customers/{id}/agent/{action}", post(control))
        .route("/v1/customers/{id}/logs", get(logs))
        .route("/v1/customers/{id}/metrics", get(metrics))
        .route("/v1/alerts", get(alerts))
        .route("/v1/bulk", get(bulk_runs).post(start_bulk))
        .route("/v1/bulk/{id}", get(bulk_run))
        .route("/v1/bulk/{id}/cancel", post(cancel_bulk))
        .route("/v1/audit", get(audit))
        .route("/v1/audit/verify", get(verify_audit))
        .route("/v1/users", get(users).post(add_user))
        .route("/v1/users/{name}", axum::routing::delete(remove_user))
        .route("/v1/users/{name}/password", put(set_password))
        .route("/v1/tokens", get(tokens).post(create_token))
        .route("/v1/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/v1/events", get(events))
        .fallback(|| async {
            ApiError::new(ErrorKind::NotFound, "no such route").with_hint("see GET /v1/openapi.json")
        })
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(middleware::from_fn_with_state(state.clone(), cors))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

#[derive(Debug, Clone)]
struct RequestId(String);

async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand_u64()));
    request.extensions_mut().insert(RequestId(id.clone()));
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let mut response = next.run(request).await;
    if response.status().is_server_error() {
        tracing::error!(request_id = %id, %method, %path, status = response.status().as_u16(), "request failed");
    } else {
        tracing::debug!(request_id = %id, %method, %path, status = response.status().as_u16(), "request");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn rand_u64() -> u64 {
    use std::io::Read as _;
    let mut bytes = [0u8; 8];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    u64::from_le_bytes(bytes)
}

/// CORS for the configured origins (the web team's dev server).
async fn cors(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = origin.filter(|o| state.cors_origins.iter().any(|allowed| allowed == o || allowed == "*"));
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight && allowed.is_some() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    if let Some(origin) = allowed {
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, last-event-id, x-request-id"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        );
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("x-request-id"));
    }
    response
}

macro_rules! role_extractor {
    ($name:ident, $role:expr) => {
        /// A caller with at least this role.
        pub(crate) struct $name(pub(crate) Actor);

        impl FromRequestParts<Shared> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
                let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
                let mut actor = state.verifier.authenticate(&state.accounts, header).await?;
                if let Some(RequestId(id)) = parts.extensions.get::<RequestId>() {
                    actor.request_id = id.clone();
                }
                if !actor.role.allows($role) {
                    return Err(ApiError::new(
                        ErrorKind::Forbidden,
                        format!("this needs the {} role; {} has {}", $role, actor.name, actor.role),
                    ));
                }
                Ok($name(actor))
            }
        }
    };
}

role_extractor!(Viewer, Role::Viewer);
role_extractor!(Operator, Role::Operator);
role_extractor!(Admin, Role::Admin);

/// A JSON body; malformed bodies are 400 in the API's error shape.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())
                .with_hint("see GET /v1/openapi.json for the body")),
        }
    }
}

/// Query strings, with bad ones answered as 400 in the API's error shape.
pub(crate) struct Params<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
    }
}

/// Every list answers a page: `{items, next_cursor}`; pass `cursor` back for the next one.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageParams {
    cursor: Option<String>,
    limit: Option<usize>,
    selector: Option<String>,
}

fn paginate<T>(items: Vec<T>, params: &PageParams) -> Result<Page<T>, ApiError> {
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

fn selector(params: &PageParams) -> Result<Selector, ApiError> {
    Ok(Selector::parse(params.selector.as_deref().unwrap_or("all"))?)
}

// ---- auth ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    name: String,
    password: String,
}

async fn login(
    State(state): State<Shared>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    request_id: Option<axum::Extension<RequestId>>,
    Body(body): Body<Login>,
) -> Result<Json<Value>, ApiError> {
    if !state.login_limiter.allow(address.ip()) {
        return Err(ApiError::too_many_requests());
    }
    let request_id = request_id.map(|r| r.0.0.clone()).unwrap_or_default();
    let user = state.accounts.login(&body.name, &body.password, &request_id).await?;
    let token = state.signer.sign(&user.name, CONSOLE_AUDIENCE, user.role, LOGIN_SECONDS)?;
    Ok(Json(
        json!({"token": token, "name": user.name, "role": user.role, "expires_in_seconds": LOGIN_SECONDS}),
    ))
}

async fn whoami(Viewer(actor): Viewer) -> Json<Value> {
    Json(json!({"name": actor.name, "role": actor.role}))
}

// ---- customers -------------------------------------------------------------------------------

async fn list_customers(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let customers = state.console.customers(&actor, &selector(&params)?).await?;
    Ok(Json(paginate(customers, &params)?))
}

async fn add_customer(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Body(body): Body<NewCustomer>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.console.add_customer(&actor, body).await?)))
}

async fn show_customer(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.customer(&actor, &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagPatch {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

async fn tag_customer(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Body(body): Body<TagPatch>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.tag_customer(&actor, &id, body.add, body.remove).await?))
}

async fn remove_customer(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.console.remove_customer(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusParams {
    cursor: Option<String>,
    limit: Option<usize>,
    selector: Option<String>,
    /// Poll the hosts now instead of answering from the last background poll.
    fresh: Option<bool>,
}

async fn fleet_status(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Params(params): Params<StatusParams>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageParams { cursor: params.cursor, limit: params.limit, selector: params.selector };
    let selector = selector(&page)?;
    let statuses = if params.fresh.unwrap_or(false) {
        state.console.status(&actor, &selector).await?
    } else {
        state.console.status_cached(&actor, &selector, state.status_max_age).await?
    };
    Ok(Json(paginate(statuses, &page)?))
}

async fn customer_status(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.console.customer(&actor, &id).await?;
    let mut statuses = state.console.status(&actor, &Selector::Ids { ids: vec![id] }).await?;
    Ok(Json(statuses.remove(0)))
}

// ---- revisions -------------------------------------------------------------------------------

async fn revisions(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.console.revisions(&actor, &id).await?, &params)?))
}

// No deny_unknown_fields: serde cannot combine it with flatten.
#[derive(Debug, Deserialize)]
pub(crate) struct NewRevision {
    #[serde(flatten)]
    input: RevisionInput,
    #[serde(default)]
    message: String,
}

async fn create_revision(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Body(body): Body<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let body: NewRevision =
        serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?;
    Ok((
        StatusCode::CREATED,
        Json(state.console.create_revision(&actor, &id, body.input, &body.message).await?),
    ))
}

async fn revision(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path((id, number)): Path<(String, u64)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.revision(&actor, &id, number).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiffParams {
    from: u64,
    to: u64,
}

async fn diff(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<DiffParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.diff(&actor, &id, params.from, params.to).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rollback {
    revision: u64,
    #[serde(default)]
    message: String,
}

async fn rollback(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Body(body): Body<Rollback>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.console.rollback(&actor, &id, body.revision, &body.message).await?)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Deploy {
    #[serde(default)]
    revision: Option<u64>,
}

async fn deploy(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Body(body): Body<Deploy>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.deploy(&actor, &id, body.revision).await?))
}

// ---- secrets, control, logs, metrics, alerts -------------------------------------------------

async fn secrets(
    Operator(actor): Operator,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.secrets(&actor, &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretValue {
    value: String,
}

async fn set_secret(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path((id, name)): Path<(String, String)>,
    Body(body): Body<SecretValue>,
) -> Result<impl IntoResponse, ApiError> {
    state.console.set_secret(&actor, &id, &name, &body.value).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_secret(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path((id, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    state.console.delete_secret(&actor, &id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Control {
    #[serde(default)]
    drain_timeout_seconds: Option<f64>,
}

async fn control(
    Operator(actor): Operator,
    State(state): State<Shared>,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let action = ControlAction::parse(&action).ok_or_else(|| {
        ApiError::new(ErrorKind::NotFound, format!("unknown action `{action}`"))
            .with_hint("use start, stop, restart or drain")
    })?;
    let body: Control = if body.iter().all(u8::is_ascii_whitespace) {
        Control::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?
    };
    let timeout = match body.drain_timeout_seconds {
        Some(s) if !(0.0..=43_200.0).contains(&s) => {
            return Err(ApiError::new(
                ErrorKind::InvalidInput,
                "drain_timeout_seconds must be between 0 and 43200",
            ));
        }
        other => other.map(Duration::from_secs_f64),
    };
    Ok(Json(state.console.control(&actor, &id, action, timeout).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogParams {
    tail: Option<usize>,
    cursor: Option<u64>,
    limit: Option<usize>,
    stream: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LogLineBody {
    pub(crate) seq: u64,
    pub(crate) ts_ms: u64,
    pub(crate) stream: String,
    pub(crate) text: String,
}

async fn logs(
    Operator(actor): Operator,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<LogParams>,
) -> Result<impl IntoResponse, ApiError> {
    let stream = match params.stream.as_deref().unwrap_or("all") {
        "all" => StreamFilter::All,
        "stdout" => StreamFilter::Only(LogStream::Stdout),
        "stderr" => StreamFilter::Only(LogStream::Stderr),
        other => {
            return Err(ApiError::new(ErrorKind::InvalidInput, format!("unknown stream `{other}`"))
                .with_hint("use stdout, stderr or all"));
        }
    };
    let query = match (params.cursor, params.tail) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(ErrorKind::InvalidInput, "give either tail or cursor, not both"));
        }
        (Some(cursor), None) => {
            LogQuery::After { cursor, limit: params.limit.unwrap_or(1000).clamp(1, 10_000), stream }
        }
        (None, tail) => LogQuery::Tail { n: tail.unwrap_or(100).clamp(1, 10_000), stream },
    };
    let lines = state.console.logs(&actor, &id, query).await?;
    let next_cursor = lines.last().map(|l| l.seq).or(params.cursor).unwrap_or(0);
    let lines: Vec<LogLineBody> = lines
        .into_iter()
        .map(|l| LogLineBody {
            seq: l.seq,
            ts_ms: l.ts_ms,
            stream: l.stream.as_str().to_owned(),
            text: l.text,
        })
        .collect();
    Ok(Json(json!({"lines": lines, "next_cursor": next_cursor})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsParams {
    since: Option<u64>,
    until: Option<u64>,
}

async fn metrics(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<MetricsParams>,
) -> Result<impl IntoResponse, ApiError> {
    let now = now_ms();
    let since = params.since.unwrap_or(now.saturating_sub(3_600_000));
    let until = params.until.unwrap_or(now).min(i64::MAX as u64);
    Ok(Json(state.console.metrics(&actor, &id, since, until).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertParams {
    all: Option<bool>,
}

async fn alerts(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Params(params): Params<AlertParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.alerts(&actor, params.all.unwrap_or(false)).await?))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

// ---- bulk ------------------------------------------------------------------------------------

async fn start_bulk(
    Operator(actor): Operator,
    State(state): State<Shared>,
    Body(spec): Body<BulkSpec>,
) -> Result<impl IntoResponse, ApiError> {
    let run = state.console.start_bulk(&actor, spec).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

async fn bulk_runs(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.console.bulk_runs(&actor, 1000).await?, &params)?))
}

async fn bulk_run(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.bulk_run(&actor, &id).await?))
}

async fn cancel_bulk(
    Operator(actor): Operator,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.cancel_bulk(&actor, &id).await?))
}

// ---- audit, users, tokens --------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    after: Option<u64>,
    limit: Option<usize>,
}

async fn audit(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Params(params): Params<AuditParams>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.console.audit(&actor, params.after.unwrap_or(0), limit).await?;
    let next_cursor = (entries.len() == limit).then(|| entries.last().map(|e| e.seq.to_string())).flatten();
    Ok(Json(json!({"items": entries, "next_cursor": next_cursor})))
}

async fn verify_audit(
    Admin(actor): Admin,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.console.verify_audit(&actor).await?))
}

async fn users(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.accounts.users(&actor).await?, &params)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    name: String,
    role: Role,
    password: String,
}

async fn add_user(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Body(body): Body<NewUser>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.accounts.add_user(&actor, &body.name, body.role, &body.password).await?),
    ))
}

async fn remove_user(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.remove_user(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Password {
    password: String,
}

async fn set_password(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
    Path(name): Path<String>,
    Body(body): Body<Password>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.set_password(&actor, &name, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tokens(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.accounts.tokens(&actor).await?, &params)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    name: String,
    role: Role,
    /// Seconds until it expires; never when absent.
    #[serde(default)]
    expires_in_seconds: Option<u64>,
}

async fn create_token(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Body(body): Body<NewToken>,
) -> Result<impl IntoResponse, ApiError> {
    let expires = body.expires_in_seconds.map(|s| now_ms() + s.saturating_mul(1000));
    Ok((
        StatusCode::CREATED,
        Json(state.accounts.create_token(&actor, &body.name, body.role, expires).await?),
    ))
}

async fn revoke_token(
    Admin(actor): Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.revoke_token(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- live updates, metrics, OpenAPI ----------------------------------------------------------

async fn events(
    Viewer(_): Viewer,
    State(state): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let bulk = tokio_stream::wrappers::BroadcastStream::new(state.console.bulk_events()).map(|item| {
        Ok(match item {
            Ok(event) => Event::default()
                .event("bulk")
                .json_data(&event)
                .unwrap_or_else(|_| Event::default().comment("?")),
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(missed)) => {
                Event::default().event("lagged").data(missed.to_string())
            }
        })
    });
    let fleet = tokio_stream::wrappers::BroadcastStream::new(state.console.fleet_events()).map(|item| {
        Ok(match item {
            Ok(event) => Event::default()
                .event("fleet")
                .json_data(&event)
                .unwrap_or_else(|_| Event::default().comment("?")),
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(missed)) => {
                Event::default().event("lagged").data(missed.to_string())
            }
        })
    });
    Sse::new(futures_util::stream::select(bulk, fleet)).keep_alive(KeepAlive::default())
}

async fn prometheus(
    Viewer(actor): Viewer,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    use std::fmt::Write as _;
    let statuses = state.console.cached_statuses();
    let customers = state.console.customers(&actor, &Selector::All).await?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP voicefleet_console_customers customers registered\n# TYPE voicefleet_console_customers gauge\nvoicefleet_console_customers {}",
        customers.len()
    );
    let _ = writeln!(
        out,
        "# HELP voicefleet_customer_up 1 when the customer's agent was running at the last poll\n# TYPE voicefleet_customer_up gauge"
    );
    for (id, status) in &statuses {
        let up = u8::from(status.state == voicefleet_core::lifecycle::ProcessState::Running);
        let _ = writeln!(out, "voicefleet_customer_up{{customer=\"{id}\"}} {up}");
    }
    let _ = writeln!(
        out,
        "# HELP voicefleet_customer_active_calls calls in progress at the last poll\n# TYPE voicefleet_customer_active_calls gauge"
    );
    for (id, status) in &statuses {
        let _ = writeln!(
            out,
            "voicefleet_customer_active_calls{{customer=\"{id}\"}} {}",
            status.calls.active_calls
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}

/// The OpenAPI 3.1 document, generated from [`ROUTES`].
pub(crate) fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let mut parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if route.path == "/v1/status" {
            parameters.push(json!({"name": "fresh", "in": "query", "schema": {"type": "boolean"}, "description": "poll the hosts now"}));
        }
        if route.method == "GET" && (route.path.ends_with("/customers") || route.path == "/v1/status") {
            parameters.push(json!({"name": "selector", "in": "query", "schema": {"type": "string"}, "description": "all, k=v,k2=v2 (tags) or a,b (ids)"}));
            parameters.push(json!({"name": "cursor", "in": "query", "schema": {"type": "string"}}));
            parameters.push(json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}));
        }
        let mut operation = json!({
            "summary": route.summary,
            "operationId": format!("{}{}", route.method.to_lowercase(), route.path.replace(['/', '{', '}', '.'], "_")),
            "parameters": parameters,
            "x-role": route.role.map(|r| r.as_str()),
            "responses": {
                "200": {"description": "success", "content": {"application/json": {"schema": {}}}},
                "201": {"description": "created", "content": {"application/json": {"schema": {}}}},
                "204": {"description": "done"},
                "default": {"description": "an error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if route.role.is_some() {
            operation["security"] = json!([{"bearer": []}]);
        }
        if let Some(body) = route.body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "title": body}}}});
        }
        paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(route.method.to_lowercase(), operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "voicefleet console API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Every route but health, login and this document needs `Authorization: Bearer <token>`; `x-role` is the least role it needs (viewer < operator < admin)."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["kind", "message"],
                "properties": {"kind": {"type": "string", "enum": ["invalid_input", "not_found", "conflict", "unauthorized", "forbidden", "unavailable", "internal"]},
                               "message": {"type": "string"}, "hint": {"type": "string"}, "issues": {"type": "array"}, "request_id": {"type": "string"}}}}}}
        }
    })
}

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}
