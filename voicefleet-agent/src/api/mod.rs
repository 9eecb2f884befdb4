//! The host API: routes under `/v1`, each declaring its role in its signature, plus the
//! middleware every request passes (request id, rate limit, body cap).

mod agent;
mod config;
mod events;
mod logs;
mod metrics;
mod secrets;
mod status;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::host::Host;

use crate::auth::{Authenticator, Caller, require};
use crate::error::ApiError;

/// Largest accepted request body.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

pub(crate) struct AppState {
    pub(crate) host: Arc<dyn Host>,
    pub(crate) auth: Authenticator,
    pub(crate) customer_id: String,
    pub(crate) limiter: RateLimiter,
    pub(crate) requests_total: AtomicU64,
    pub(crate) started: Instant,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("customer_id", &self.customer_id).finish_non_exhaustive()
    }
}

pub(crate) type SharedState = Arc<AppState>;

/// Every route of the host API. The role each one needs is the extractor it takes.
pub(crate) fn router(state: SharedState) -> Router {
    Router::new()
        .route("/v1/health", get(status::health))
        .route("/v1/ready", get(status::ready))
        .route("/v1/status", get(status::status))
        .route("/v1/metrics/history", get(metrics::history))
        .route("/metrics", get(metrics::prometheus))
        .route("/v1/config", get(config::get_config).put(config::put_config).patch(config::patch_config))
        .route("/v1/config/validate", post(config::validate))
        .route("/v1/secrets", get(secrets::names))
        .route("/v1/secrets/{name}", put(secrets::put_secret).delete(secrets::delete_secret))
        .route("/v1/agent/{action}", post(agent::control))
        .route("/v1/logs", get(logs::logs))
        .route("/v1/logs/follow", get(logs::follow))
        .route("/v1/events", get(events::events))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorKind::NotFound, "no such route").with_hint("see docs/host-api.md for the routes")
}

macro_rules! role_extractor {
    ($name:ident, $role:expr) => {
        /// A caller with at least this role.
        #[derive(Debug)]
        pub(crate) struct $name(#[allow(dead_code)] pub(crate) Caller);

        impl FromRequestParts<SharedState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, ApiError> {
                let header = parts.headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
                let caller = state.auth.authenticate(header)?;
                require(&caller, $role)?;
                Ok($name(caller))
            }
        }
    };
}

role_extractor!(Viewer, Role::Viewer);
role_extractor!(Operator, Role::Operator);
role_extractor!(Admin, Role::Admin);

/// Echoes (or makes) `x-request-id` and logs each request with it.
async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|value| {
            !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(str::to_owned)
        .unwrap_or_else(next_request_id);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    request.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    tracing::debug!(request_id = %id, %method, %path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    response
}

#[derive(Debug, Clone)]
pub(crate) struct RequestId(#[allow(dead_code)] pub(crate) String);

/// A process-unique request id: a random prefix chosen once, then a counter (no syscall per
/// request).
fn next_request_id() -> String {
    use std::sync::OnceLock;
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| crate::auth::random_hex(4).unwrap_or_else(|_| "00000000".to_owned()));
    format!("{prefix}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A token bucket per client address.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub(crate) fn new(per_second: u32) -> Self {
        Self {
            per_second: per_second.into(),
            burst: f64::from(per_second) * 2.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn allow(&self, address: IpAddr) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs() < 60);
        }
        let (tokens, at) = buckets.entry(address).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn rate_limit(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    state.requests_total.fetch_add(1, Ordering::Relaxed);
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    if let Some(address) = address {
        if !state.limiter.allow(address) {
            return ApiError::too_many_requests().into_response();
        }
    }
    next.run(request).await
}

/// A JSON body, with malformed bodies answered as 400 in the API's error shape.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    let mut error =
                        ApiError::bad_request(format!("request body over {MAX_BODY_BYTES} bytes"));
                    error = error.with_hint("configuration documents are at most 1 MiB");
                    return Err(error);
                }
                Err(ApiError::bad_request(rejection.body_text())
                    .with_hint("send a JSON body; see docs/host-api.md"))
            }
        }
    }
}
