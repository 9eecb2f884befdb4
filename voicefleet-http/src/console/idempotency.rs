//! `Idempotency-Key` for requests that start something (bulk runs): the same key from the same
//! caller within 24 hours answers the first request's result instead of starting again, so a
//! double click or a retried request starts one run. Concurrent requests with one key wait for the
//! first; a failed first request leaves the key free. Kept in memory, bounded.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use voicefleet_core::ErrorKind;

use crate::error::ApiError;

/// How long a key is remembered.
const KEEP: Duration = Duration::from_secs(24 * 3600);
/// Keys remembered at most; the oldest go first.
const MOST: usize = 10_000;

#[derive(Debug)]
struct Entry {
    /// What the request asked for: a repeat must ask for the same.
    fingerprint: String,
    at: Instant,
    result: Arc<OnceCell<String>>,
}

/// Remembered keys, by caller and key.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyKeys {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

/// Whether the answer is a replay of an earlier request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    First,
    Replayed,
}

impl IdempotencyKeys {
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
        let cell = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            entries.retain(|_, entry| now.duration_since(entry.at) < KEEP);
            if entries.len() >= MOST
                && let Some(oldest) = entries.iter().min_by_key(|(_, entry)| entry.at).map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
            let entry = entries.entry((caller.to_owned(), key.to_owned())).or_insert_with(|| Entry {
                fingerprint: fingerprint.clone(),
                at: now,
                result: Arc::new(OnceCell::new()),
            });
            if entry.fingerprint != fingerprint {
                return Err(ApiError::new(
                    ErrorKind::InvalidInput,
                    "this Idempotency-Key was used for a different request",
                )
                .with_hint("use a new key for a new request"));
            }
            entry.result.clone()
        };
        let mut first = false;
        let id = cell
            .get_or_try_init(|| {
                first = true;
                start()
            })
            .await?;
        Ok((id.clone(), if first { Outcome::First } else { Outcome::Replayed }))
    }
}
