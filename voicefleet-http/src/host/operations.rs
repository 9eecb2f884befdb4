//! `X-Voicefleet-Operation`: a control request (start, stop, restart, drain, a configuration
//! applied) with an operation id is acted on once. The host remembers each id's answer for
//! 10 minutes (at most 1,000 ids, the oldest forgotten first) and answers a repeat with the first
//! answer, marked `X-Voicefleet-Operation-Replayed: true`, instead of acting again; a repeat that
//! comes while the first is still being acted on waits for it. The work runs on a task of its
//! own, so a caller that goes away (a console killed mid-request) does not cut it short and a
//! repeat still finds its answer. A failed first request (any answer but 2xx) leaves the id free.
//! The same id for another request is refused. Without the header nothing changes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use voicefleet_core::ErrorKind;
use voicefleet_core::operation::MAX_OPERATION_ID;

use super::{OPERATION_HEADER, OPERATION_REPLAYED_HEADER as REPLAYED_HEADER};
use crate::error::ApiError;

/// How long an answer is remembered.
const KEEP: Duration = Duration::from_secs(600);
/// Ids remembered at most.
const MOST: usize = 1000;
/// The largest answer kept (control answers are a status, a few KiB).
const MAX_ANSWER: usize = 1024 * 1024;

/// A remembered answer.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl Answer {
    fn response(&self, replayed: bool) -> Response {
        let mut response = (self.status, self.body.clone()).into_response();
        if let Some(content_type) = &self.content_type {
            response.headers_mut().insert(header::CONTENT_TYPE, content_type.clone());
        }
        if replayed {
            response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        }
        response
    }
}

#[derive(Debug)]
struct Entry {
    /// What was asked: a repeat must ask for the same.
    request: String,
    at: Instant,
    answer: watch::Receiver<Option<Answer>>,
}

/// The ids this host answered lately.
#[derive(Debug, Default)]
pub(crate) struct Operations {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Operations {
    /// Runs `work` once per operation id in `headers` (every time without one); `request` names
    /// what is asked (`agent.restart`).
    pub(crate) async fn once<F>(self: &Arc<Self>, headers: &HeaderMap, request: String, work: F) -> Response
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let Some(value) = headers.get(OPERATION_HEADER) else { return work.await };
        let id = match value.to_str() {
            Ok(id) if !id.is_empty() && id.len() <= MAX_OPERATION_ID => id.to_owned(),
            _ => {
                return ApiError::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "an {OPERATION_HEADER} header is 1 to {MAX_OPERATION_ID} visible ASCII characters"
                    ),
                )
                .with_hint("send an id unique to the operation, such as RUN/TARGET/ATTEMPT")
                .into_response();
            }
        };
        let (receiver, first) = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            entries.retain(|_, entry| now.duration_since(entry.at) < KEEP);
            match entries.get(&id) {
                Some(entry) if entry.request != request => {
                    return ApiError::new(
                        ErrorKind::InvalidInput,
                        format!("operation `{id}` was `{}`, not `{request}`", entry.request),
                    )
                    .with_hint("use a new operation id for a new request")
                    .into_response();
                }
                Some(entry) => (entry.answer.clone(), None),
                None => {
                    while entries.len() >= MOST {
                        let Some(oldest) =
                            entries.iter().min_by_key(|(_, entry)| entry.at).map(|(id, _)| id.clone())
                        else {
                            break;
                        };
                        entries.remove(&oldest);
                    }
                    let (sender, receiver) = watch::channel(None);
                    entries.insert(id.clone(), Entry { request, at: now, answer: receiver.clone() });
                    (receiver, Some(sender))
                }
            }
        };
        let replayed = first.is_none();
        if let Some(sender) = first {
            let operations = Arc::clone(self);
            let id = id.clone();
            // On its own task: the caller going away does not stop the work or lose its answer.
            tokio::spawn(async move {
                let answer = remembered(work.await).await;
                if !answer.status.is_success() {
                    operations.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                }
                let _ = sender.send(Some(answer));
            });
        }
        let mut receiver = receiver;
        let answer = match receiver.wait_for(Option::is_some).await {
            Ok(answer) => answer.clone(),
            Err(_) => None,
        };
        match answer {
            Some(answer) => answer.response(replayed),
            None => ApiError::new(ErrorKind::Internal, format!("operation `{id}` ended without an answer"))
                .into_response(),
        }
    }
}

async fn remembered(response: Response) -> Answer {
    let (parts, body) = response.into_parts();
    let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
    match axum::body::to_bytes(body, MAX_ANSWER).await {
        Ok(body) => Answer { status: parts.status, content_type, body },
        Err(error) => Answer {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            content_type: None,
            body: Bytes::from(format!("the answer could not be read: {error}")),
        },
    }
}
