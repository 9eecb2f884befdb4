//! What the host audits of a request: every change asked of it (any method but GET), whatever
//! the answer, and every refused request (401 and 403), read or not. One layer around every
//! route, outside the role check: it names the action from the route's template, the caller from
//! what the role check found (the answer carries it), and appends the entry once the answer is
//! known.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::RequestId;
use voicefleet_core::console::Actor;

use super::SharedState;
use super::audit_log::AuditRecord;
use super::auth::BREAK_GLASS;

/// The longest caller-given part (a secret's name, an agent action) kept in an entry.
const MAX_PART: usize = 64;

/// The audit layer (see the module's documentation).
pub(crate) async fn record(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let Some(audit) = state.audit.clone() else { return next.run(request).await };
    let method = request.method().clone();
    let template =
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let path = request.uri().path().to_owned();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let refused = status == 401 || status == 403;
    if method == Method::GET && !refused {
        return response;
    }
    let (actor, role) = match response.extensions().get::<Actor>() {
        Some(actor) if actor.name == BREAK_GLASS => ("break-glass".to_owned(), actor.role.to_string()),
        Some(actor) => (actor.name.clone(), actor.role.to_string()),
        None => ("anonymous".to_owned(), String::new()),
    };
    let (action, target) = describe(&method, &template, &path, &state.customer_id);
    let record = AuditRecord { at_ms: state.clock.now_ms(), actor, role, action, target, status, request_id };
    let written = tokio::task::spawn_blocking({
        let audit = Arc::clone(&audit);
        move || audit.append(record)
    })
    .await;
    match written {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::error!(%error, "cannot append to the host audit file"),
        Err(error) => tracing::error!(%error, "the host audit append did not finish"),
    }
    response
}

/// The action and target of a request: a verb name for each change, `METHOD /template` for the
/// rest, and the customer (or the secret) as the target.
fn describe(method: &Method, template: &str, path: &str, customer: &str) -> (String, String) {
    let last = last_segment(path);
    let customer = customer.to_owned();
    let named = |action: &str| (action.to_owned(), customer.clone());
    match (method.as_str(), template) {
        ("PUT", "/v1/config") => named("config.apply"),
        ("PATCH", "/v1/config") => named("config.patch"),
        ("POST", "/v1/config/validate") => named("config.validate"),
        ("POST", "/v1/secrets/check") => named("secrets.check"),
        ("PUT", "/v1/secrets/{name}") => ("secret.set".to_owned(), format!("secret:{last}")),
        ("DELETE", "/v1/secrets/{name}") => ("secret.delete".to_owned(), format!("secret:{last}")),
        ("POST", "/v1/agent/{action}") => (format!("agent.{last}"), customer),
        ("POST", "/v1/console-keys") => named("console_key.add"),
        (method, "") => (format!("{method} (no route)"), customer),
        (method, template) => (format!("{method} {template}"), customer),
    }
}

/// The path's last segment, reduced to a name's characters and bounded (it is caller input).
fn last_segment(path: &str) -> String {
    path.rsplit('/')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(MAX_PART)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_named_by_their_route() {
        let check = |method: Method, template: &str, path: &str, expected: (&str, &str)| {
            let (action, target) = describe(&method, template, path, "acme");
            assert_eq!((action.as_str(), target.as_str()), expected, "{method} {path}");
        };
        check(Method::PUT, "/v1/config", "/v1/config", ("config.apply", "acme"));
        check(
            Method::PUT,
            "/v1/secrets/{name}",
            "/v1/secrets/openai_api_key",
            ("secret.set", "secret:openai_api_key"),
        );
        check(Method::POST, "/v1/agent/{action}", "/v1/agent/restart", ("agent.restart", "acme"));
        check(Method::GET, "/v1/status", "/v1/status", ("GET /v1/status", "acme"));
        let long = format!("/v1/secrets/{}%0a\u{1b}", "x".repeat(500));
        let (_, target) = describe(&Method::DELETE, "/v1/secrets/{name}", &long, "acme");
        assert_eq!(target, format!("secret:{}", "x".repeat(MAX_PART)));
    }
}
