//! `GET|POST /v1/customers`, `GET|PATCH|DELETE /v1/customers/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::console::wire::{PageParams, TagPatch};
use crate::console::{Shared, paginate, selector};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};
use crate::wire::NewCustomerBody;

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let customers = state.fleet.customers(&actor, &selector(&params)?).await?;
    Ok(Json(paginate(customers, params.cursor.as_deref(), params.limit)?))
}

pub(crate) async fn add(
    Caller(actor): Caller,
    State(state): State<Shared>,
    JsonBody(body): JsonBody<NewCustomerBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.fleet.add_customer(&actor, body.into()).await?)))
}

pub(crate) async fn show(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.customer(&actor, &id).await?))
}

pub(crate) async fn tag(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TagPatch>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.tag_customer(&actor, &id, body.add, body.remove).await?))
}

pub(crate) async fn remove(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.fleet.remove_customer(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
