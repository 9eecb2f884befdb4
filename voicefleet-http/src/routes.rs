//! Route tables: each API lists every route once — method, path, the least role it needs, a
//! summary, its handler — and its router (each route behind the check of its role), its OpenAPI
//! document and its role test are all derived from that one list.

use std::future::Future;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum::routing::MethodRouter;
use tower_http::request_id::RequestId;
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::console::Actor;

use crate::error::ApiError;

/// One route of an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDoc {
    /// Lower case: `get`, `post`, `put`, `patch`, `delete`.
    pub method: &'static str,
    /// With `{name}` for path parameters.
    pub path: &'static str,
    /// The least role a caller needs; `None`: no token needed.
    pub role: Option<Role>,
    pub summary: &'static str,
    /// The name of the request body's type, when the route takes one.
    pub body: Option<&'static str>,
}

/// How an API's state tells who is calling from an `Authorization` header.
pub(crate) trait Authenticate: Clone + Send + Sync + 'static {
    fn authenticate(
        &self,
        header: Option<&str>,
    ) -> impl Future<Output = std::result::Result<Actor, ApiError>> + Send;
}

/// `handler` behind the check of `role` (none when `None`): the caller's [`Actor`] is put in the
/// request for the handler's [`crate::extract::Caller`].
pub(crate) fn with_role<S: Authenticate>(
    handler: MethodRouter<S>,
    role: Option<Role>,
    state: &S,
) -> MethodRouter<S> {
    match role {
        None => handler,
        Some(role) => {
            handler.route_layer(axum::middleware::from_fn_with_state((state.clone(), role), authorize::<S>))
        }
    }
}

async fn authorize<S: Authenticate>(
    State((state, role)): State<(S, Role)>,
    mut request: Request,
    next: Next,
) -> Response {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    let mut actor = match state.authenticate(header).await {
        Ok(actor) => actor,
        Err(error) => return error.into_response(),
    };
    if !actor.role.allows(role) {
        return ApiError::new(
            ErrorKind::Forbidden,
            format!("this needs the {role} role; {} has {}", actor.name, actor.role),
        )
        .into_response();
    }
    if let Some(id) = request.extensions().get::<RequestId>() {
        actor.request_id = id.header_value().to_str().unwrap_or_default().to_owned();
    }
    request.extensions_mut().insert(actor);
    next.run(request).await
}

/// Declares an API's route table: `ROUTES` (the documentation of every route) and
/// `fn routes(state) -> Router<S>` (every route behind its role check).
///
/// ```text
/// route_table! { State;
///     get "/v1/status" [Viewer] => status::status, "the status";
///     put "/v1/config" [Admin] => config::put, "apply a document", body: "PutConfig";
///     get "/v1/health" [] => status::health, "liveness";
/// }
/// ```
macro_rules! route_table {
    ($state:ty; $( $method:ident $path:literal [$($role:ident)?] => $handler:path, $summary:literal $(, body: $body:literal)? ;)*) => {
        /// Every route of this API with the role it needs: the router, the OpenAPI document and
        /// the role test all come from this list.
        pub const ROUTES: &[$crate::routes::RouteDoc] = &[$(
            $crate::routes::RouteDoc {
                method: stringify!($method),
                path: $path,
                role: route_table!(@role $($role)?),
                summary: $summary,
                body: route_table!(@body $($body)?),
            },
        )*];

        fn routes(state: &$state) -> axum::Router<$state> {
            axum::Router::new()
            $(
                .route(
                    $path,
                    $crate::routes::with_role(axum::routing::$method($handler), route_table!(@role $($role)?), state),
                )
            )*
        }
    };
    (@role) => { None };
    (@role $role:ident) => { Some(voicefleet_core::auth::Role::$role) };
    (@body) => { None };
    (@body $body:literal) => { Some($body) };
}

pub(crate) use route_table;
