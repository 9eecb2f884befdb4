//! `Idempotency-Key` for requests that start something (bulk runs): the same key from the same
//! caller within 24 hours answers the first request's result instead of starting again, so a
//! double click or a retried request starts one run, whichever console behind the load
//! balancer each request reaches: the keys are claimed in the store. Concurrent requests with one
//! key wait for the first; a failed first request leaves the key free.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use voicefleet_core::ErrorKind;
use voicefleet_core::clock::SharedClock;
use voicefleet_core::console::{IdempotencyClaim, Store};

use crate::error::ApiError;

/// How long a key is remembered.
const KEEP_MS: u64 = 24 * 3600 * 1000;
/// How long a repeat waits for the first request to finish.
const WAIT: Duration = Duration::from_secs(60);
/// How often a waiting repeat looks again.
const POLL: Duration = Duration::from_millis(50);

/// Keys claimed in the store, by caller and key.
pub(crate) struct IdempotencyKeys {
    store: Arc<dyn Store>,
    clock: SharedClock,
}

/// Whether the answer is a replay of an earlier request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    First,
    Replayed,
}

impl IdempotencyKeys {
    pub(crate) fn new(store: Arc<dyn Store>, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// Runs `start` once per (caller, key): later calls get the first one's id. `fingerprint`
    /// identifies what was asked; the same key for something else is refused.
    pub(crate) async fn once<F, Fut>(
        &self,
        caller: &str,
        key: &str,
        fingerprint: String,
        start: F,
    ) -> Result<(String, Outcome), ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, ApiError>>,
    {
        if key.is_empty() || key.len() > 200 {
            return Err(ApiError::bad_request("an Idempotency-Key is 1 to 200 characters")
                .with_hint("send a fresh UUID with each new request"));
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.clock.now_ms();
            match self.store.claim_idempotency_key(caller, key, &fingerprint, now, KEEP_MS).await? {
                IdempotencyClaim::First => {
                    return match start().await {
                        Ok(id) => {
                            self.store.finish_idempotency_key(caller, key, Some(&id)).await?;
                            Ok((id, Outcome::First))
                        }
                        Err(error) => {
                            // The key is free again; a failure to free it only delays a retry.
                            let _ = self.store.finish_idempotency_key(caller, key, None).await;
                            Err(error)
                        }
                    };
                }
                IdempotencyClaim::Taken { fingerprint: asked, .. } if asked != fingerprint => {
                    return Err(ApiError::new(
                        ErrorKind::InvalidInput,
                        "this Idempotency-Key was used for a different request",
                    )
                    .with_hint("use a new key for a new request"));
                }
                IdempotencyClaim::Taken { result: Some(id), .. } => return Ok((id, Outcome::Replayed)),
                IdempotencyClaim::Taken { result: None, .. } if Instant::now() >= deadline => {
                    return Err(ApiError::new(
                        ErrorKind::Conflict,
                        "the first request with this Idempotency-Key has not finished",
                    )
                    .with_hint(
                        "look for its run with `GET /v1/bulk`, or try again later with the same key",
                    ));
                }
                IdempotencyClaim::Taken { result: None, .. } => tokio::time::sleep(POLL).await,
            }
        }
    }
}
