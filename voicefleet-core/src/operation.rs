//! Operation ids: a control request to a host (start, stop, restart, drain, a configuration
//! applied) made on behalf of a bulk run carries an id derived from the run, the target and the
//! attempt. A host remembers the ids it answered for a while and answers a repeat with the first
//! answer instead of acting twice, so a console replica that takes over a run whose target was in
//! flight can send the same request again without restarting an agent twice.
//!
//! The id travels with the task that does the work ([`scoped`]); a host client reads it
//! ([`current`]) and sends it with each control request, followed by the request's path
//! (`run-3f9a2c1b/acme/1/agent/restart`): one step may ask several things of a host (a resize
//! drains, then starts the agent), and each is acted on once. Requests made outside a scope carry none
//! and are acted on every time, as before.

use std::future::Future;

tokio::task_local! {
    static OPERATION: String;
}

/// The longest operation id a host accepts.
pub const MAX_OPERATION_ID: usize = 200;

/// The id of `run_id`'s `attempt` (from 1) at `customer_id`, with `step` naming a second request
/// of the same attempt (`rollback`), empty for the action itself.
pub fn operation_id(run_id: &str, customer_id: &str, attempt: u32, step: &str) -> String {
    let mut id = format!("{run_id}/{customer_id}/{attempt}");
    if !step.is_empty() {
        id.push('/');
        id.push_str(step);
    }
    id
}

/// Runs `work` with `id` as the operation id of the host requests it makes.
pub async fn scoped<F: Future>(id: String, work: F) -> F::Output {
    OPERATION.scope(id, work).await
}

/// The operation id of the task running now, if it runs in a [`scoped`] one.
pub fn current() -> Option<String> {
    OPERATION.try_with(|id| id.clone()).ok()
}
