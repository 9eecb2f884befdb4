//! A customer's configuration revisions: list, create, show, diff, rollback, deploy. The list and
//! each revision carry an `ETag` (`"r<number>"`, the list's is its latest revision's, `"r0"` when
//! there is none); a create with `If-Match` is refused with 412 unless that is still the latest.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::Value;

use crate::console::wire::{CursorParams, Deploy, DiffParams, NewRevision, Rollback};
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};

/// The entity tag of revision `number` (0: no revision yet).
fn etag(number: u64) -> [(HeaderName, String); 1] {
    [(header::ETAG, format!("\"r{number}\""))]
}

/// The revision an `If-Match` names: `Some(None)` for `*` (no condition), `Some(Some(n))` for
/// `"r<n>"`, `None` without the header.
fn if_match(headers: &HeaderMap) -> Result<Option<Option<u64>>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(Some(None));
    }
    text.strip_prefix("\"r")
        .and_then(|rest| rest.strip_suffix('"'))
        .and_then(|number| number.parse::<u64>().ok())
        .map(|number| Some(Some(number)))
        .ok_or_else(|| {
            ApiError::bad_request(format!("invalid If-Match `{text}`"))
                .with_hint("send the ETag of the latest revision as it came, for example \"r3\"")
        })
}

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<CursorParams>,
) -> Result<impl IntoResponse, ApiError> {
    let revisions = state.fleet.revisions(&actor, &id).await?;
    let latest = revisions.iter().map(|revision| revision.number).max().unwrap_or(0);
    Ok((etag(latest), Json(paginate(revisions, params.cursor.as_deref(), params.limit)?)))
}

pub(crate) async fn create(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let body: NewRevision =
        serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?;
    let revision = match if_match(&headers)? {
        Some(Some(parent)) => {
            let parent = (parent > 0).then_some(parent);
            state.fleet.create_revision_on(&actor, &id, parent, body.input.into(), &body.message).await?
        }
        None | Some(None) => {
            state.fleet.create_revision(&actor, &id, body.input.into(), &body.message).await?
        }
    };
    Ok((StatusCode::CREATED, etag(revision.number), Json(revision)))
}

pub(crate) async fn show(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path((id, number)): Path<(String, u64)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((etag(number), Json(state.fleet.revision(&actor, &id, number).await?)))
}

pub(crate) async fn diff(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<DiffParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.diff(&actor, &id, params.from, params.to).await?))
}

pub(crate) async fn rollback(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Rollback>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.fleet.rollback(&actor, &id, body.revision, &body.message).await?)))
}

pub(crate) async fn deploy(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Deploy>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.deploy(&actor, &id, body.revision).await?))
}
