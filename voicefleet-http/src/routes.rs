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

/// Writes a type's JSON Schema into a generator (a `$ref` for named types).
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// What a route answers when it succeeds.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// A JSON body of this type.
    Json(SchemaFn),
    /// No body.
    Empty,
    /// Prometheus text.
    Text,
    /// A stream of server-sent events: each event's name and its data's type.
    Events(&'static [(&'static str, SchemaFn)]),
}

/// A route's request body: the name of its type and its schema.
#[derive(Debug, Clone, Copy)]
pub struct BodyDoc {
    pub name: &'static str,
    pub schema: SchemaFn,
    /// An empty body is accepted (as the type's defaults).
    pub optional: bool,
}

/// One route of an API.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// Lower case: `get`, `post`, `put`, `patch`, `delete`.
    pub method: &'static str,
    /// With `{name}` for path parameters.
    pub path: &'static str,
    /// The least role a caller needs; `None`: no token needed.
    pub role: Option<Role>,
    pub summary: &'static str,
    /// The request body, when the route takes one.
    pub body: Option<BodyDoc>,
    /// The query string's fields, when the route reads any.
    pub query: Option<SchemaFn>,
    /// Request headers the route reads (`If-Match`, `Idempotency-Key`).
    pub headers: &'static [&'static str],
    /// The answer carries an `ETag`.
    pub etag: bool,
    /// The success status.
    pub status: u16,
    /// Other statuses answered with the same body (`/v1/ready`'s 503).
    pub also: &'static [u16],
    pub answer: Answer,
}

impl RouteDoc {
    /// The statuses answered with the route's success body.
    pub fn statuses(&self) -> impl Iterator<Item = u16> + '_ {
        std::iter::once(self.status).chain(self.also.iter().copied())
    }
}

/// How an API's state tells who is calling from an `Authorization` header.
pub(crate) trait Authenticate: Clone + Send + Sync + 'static {
    fn authenticate(
        &self,
        header: Option<&str>,
    ) -> impl Future<Output = std::result::Result<Actor, ApiError>> + Send;

    /// Records that `actor` was refused `route` (`POST /v1/customers`) for want of `needed`.
    /// The console audits it; by default nothing is recorded.
    fn denied(&self, actor: &Actor, needed: Role, route: &str) -> impl Future<Output = ()> + Send {
        let _ = (actor, needed, route);
        async {}
    }
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
    if let Some(id) = request.extensions().get::<RequestId>() {
        actor.request_id = id.header_value().to_str().unwrap_or_default().to_owned();
    }
    if !actor.role.allows(role) {
        // The route's template, not the request's path: bounded, and no caller input.
        let path = request.extensions().get::<axum::extract::MatchedPath>().map_or("?", |p| p.as_str());
        state.denied(&actor, role, &format!("{} {path}", request.method())).await;
        let mut response = ApiError::new(
            ErrorKind::Forbidden,
            format!("this needs the {role} role; {} has {}", actor.name, actor.role),
        )
        .into_response();
        response.extensions_mut().insert(actor);
        return response;
    }
    request.extensions_mut().insert(actor.clone());
    // The caller also rides on the answer, for a layer outside this one (the host's audit).
    let mut response = next.run(request).await;
    response.extensions_mut().insert(actor);
    response
}

/// Declares an API's route table: `ROUTES` (every route with its role, request and answer types)
/// and `fn routes(state) -> Router<S>` (every route behind its role check).
///
/// ```text
/// route_table! { State;
///     get "/v1/status" [Viewer] => status::status, "the status", ok: 200 json(HostStatus);
///     put "/v1/config" [Admin] => config::put, "apply a document", body: PutConfig, ok: 200 json(AppliedConfig);
///     get "/v1/logs" [Operator] => logs::logs, "log lines", query: LogsParams, ok: 200 json(LogsResponse);
///     delete "/v1/secrets/{name}" [Admin] => secrets::delete, "delete a secret", ok: 204 empty;
///     get "/v1/health" [] => status::health, "liveness", ok: 200 json(Health);
/// }
/// ```
macro_rules! route_table {
    ($state:ty; $(
        $method:ident $path:literal [$($role:ident)?] => $handler:path, $summary:literal
        $(, query: $query:ty)? $(, body: $body:ty)? $(, optional_body: $optional_body:ty)?
        $(, headers: [$($header:literal),*])?
        , ok: $status:literal $(| $also:literal)* $kind:ident $(($($answer:tt)*))? $($flag:ident)* ;
    )*) => {
        /// Every route of this API with the role it needs: the router, the OpenAPI document and
        /// the role test all come from this list.
        pub const ROUTES: &[$crate::routes::RouteDoc] = &[$(
            $crate::routes::RouteDoc {
                method: stringify!($method),
                path: $path,
                role: route_table!(@role $($role)?),
                summary: $summary,
                body: route_table!(@body $($body)? $(optional $optional_body)?),
                query: route_table!(@query $($query)?),
                headers: &[$($($header),*)?],
                etag: route_table!(@etag $($flag)*),
                status: $status,
                also: &[$($also),*],
                answer: route_table!(@answer $kind $(($($answer)*))?),
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
    (@etag) => { false };
    (@etag etag $($rest:ident)*) => { true };
    (@role) => { None };
    (@role $role:ident) => { Some(voicefleet_core::auth::Role::$role) };
    (@body) => { None };
    (@body optional $body:ty) => {
        Some($crate::routes::BodyDoc {
            name: stringify!($body),
            schema: |generator| generator.subschema_for::<$body>(),
            optional: true,
        })
    };
    (@body $body:ty) => {
        Some($crate::routes::BodyDoc {
            name: stringify!($body),
            schema: |generator| generator.subschema_for::<$body>(),
            optional: false,
        })
    };
    (@query) => { None };
    (@query $query:ty) => { Some(|generator| <$query as schemars::JsonSchema>::json_schema(generator)) };
    (@answer empty) => { $crate::routes::Answer::Empty };
    (@answer text) => { $crate::routes::Answer::Text };
    (@answer json($answer:ty)) => { $crate::routes::Answer::Json(|generator| generator.subschema_for::<$answer>()) };
    (@answer events($($event:ident: $payload:ty),* $(,)?)) => {
        $crate::routes::Answer::Events(&[$((stringify!($event), |generator| generator.subschema_for::<$payload>())),*])
    };
}

pub(crate) use route_table;
