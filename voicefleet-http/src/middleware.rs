//! Layers both APIs share: request ids (made or echoed, in the response and every log line), a
//! per-address request limit, and CORS for the origins an operator allows.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::{DefaultKeyedRateLimiter, Quota};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};

use crate::error::ApiError;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a caller's `x-request-id` (printable, at most 128 bytes) is kept, else one is
/// made; either way it is echoed in the response and logged with the request.
pub(crate) fn request_ids<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(axum::middleware::from_fn(log_request))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, Counter))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
}

async fn drop_unusable_request_id(mut request: Request) -> Request {
    let usable = request.headers().get(&REQUEST_ID).is_none_or(|value| {
        !value.is_empty() && value.len() <= 128 && value.as_bytes().iter().all(u8::is_ascii_graphic)
    });
    if !usable {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

/// A process-unique request id: a random prefix chosen once, then a counter (no syscall per
/// request).
#[derive(Debug, Clone, Copy)]
struct Counter;

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        static PREFIX: OnceLock<String> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let prefix = PREFIX
            .get_or_init(|| voicefleet_core::random::hex::<4>().unwrap_or_else(|_| "00000000".to_owned()));
        let id = format!("{prefix}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed));
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

async fn log_request(request: Request, next: Next) -> Response {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    if response.status().is_server_error() {
        tracing::error!(request_id = %id, %method, %path, status, micros, "request failed");
    } else {
        tracing::debug!(request_id = %id, %method, %path, status, micros, "request");
    }
    response
}

/// A request limit per client address: `per_second` with bursts of twice that (GCRA, from
/// `governor`). Requests without a client address (in-process tests) are not limited.
#[derive(Debug)]
pub(crate) struct AddressLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimiter {
    pub(crate) fn per_second(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Self { limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)) }
    }

    pub(crate) fn allow(&self, address: IpAddr) -> bool {
        // Forget idle addresses now and then so a scan of many addresses cannot grow the map.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&address).is_ok()
    }

    /// A middleware answering 429 to an address over its limit.
    pub(crate) async fn check(&self, request: Request, next: Next) -> Response {
        let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        match address {
            Some(address) if !self.allow(address) => ApiError::too_many_requests().into_response(),
            _ => next.run(request).await,
        }
    }
}

/// CORS for `origins` (`*` for any); none when the list is empty.
pub(crate) fn cors<S: Clone + Send + Sync + 'static>(router: Router<S>, origins: &[String]) -> Router<S> {
    if origins.is_empty() {
        return router;
    }
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    router.layer(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("last-event-id"),
                REQUEST_ID,
            ])
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .expose_headers([REQUEST_ID, header::ETAG, HeaderName::from_static("idempotent-replayed")]),
    )
}
