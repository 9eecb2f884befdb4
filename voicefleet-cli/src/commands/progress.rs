//! What a stop, drain, restart or deploy did to one agent, told as it happens: the calls left
//! while it drains, then the outcome (drained, or timed out with calls cut; the new PID).

use std::sync::Arc;
use std::time::{Duration, Instant};

use voicefleet_core::console::{Actor, CustomerStatus, Fleet, Selector};
use voicefleet_core::host::HostStatus;

/// SIGKILL: a drain that timed out ends the agent with it.
const SIGKILL: i32 = 9;

/// One customer's status now (`None` when the console cannot say).
pub(crate) async fn current(fleet: &dyn Fleet, actor: &Actor, id: &str) -> Option<CustomerStatus> {
    let selector = Selector::Ids { ids: vec![id.to_owned()] };
    fleet.status(actor, &selector).await.ok()?.into_iter().find(|s| s.customer_id == id)
}

fn active_calls(status: &CustomerStatus) -> Option<u64> {
    status.status.as_ref().map(|h| h.calls.active_calls)
}

/// What was seen while the agent drained.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Drained {
    /// Calls in progress when the drain began.
    pub(crate) calls_at_start: Option<u64>,
    /// Calls in progress at the last look before the agent ended.
    pub(crate) calls_left: Option<u64>,
}

/// Reports the calls left every half second on standard error while `work` runs, then what was
/// seen. `before` is the status read before the request.
pub(crate) async fn while_draining<T>(
    fleet: Arc<dyn Fleet>,
    actor: &Actor,
    id: &str,
    before: Option<&CustomerStatus>,
    work: impl std::future::Future<Output = T>,
) -> (T, Drained) {
    let calls_at_start = before.and_then(active_calls);
    let mut drained = Drained { calls_at_start, calls_left: calls_at_start };
    if let Some(calls) = calls_at_start.filter(|calls| *calls > 0) {
        eprintln!("{id}: draining, {calls} call{} in progress…", plural(calls));
    }
    tokio::pin!(work);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.tick().await;
    loop {
        tokio::select! {
            result = &mut work => return (result, drained),
            _ = tick.tick() => {
                let Some(now) = current(fleet.as_ref(), actor, id).await else { continue };
                // Once the old instance is gone the figures are the next one's.
                if !matches!(now.state.as_str(), "stopping" | "running") {
                    continue;
                }
                let left = active_calls(&now);
                if left != drained.calls_left && left.is_some_and(|left| left > 0) {
                    let left = left.unwrap_or_default();
                    eprintln!("{id}: {left} call{} left…", plural(left));
                }
                if now.state == "stopping" || left < drained.calls_left {
                    drained.calls_left = left;
                }
            }
        }
    }
}

/// One line on how the old instance ended: drained, or cut short by the timeout.
pub(crate) fn drain_outcome(before: Option<&CustomerStatus>, after: &HostStatus, drained: Drained) -> String {
    let old_pid = before.and_then(|b| b.status.as_ref()).and_then(|h| h.pid);
    let was_running = old_pid.is_some();
    let killed = after.last_exit.is_some_and(|exit| exit.signal == Some(SIGKILL))
        && after.last_exit.map(|e| e.at_ms)
            != before.and_then(|b| b.status.as_ref()?.last_exit).map(|e| e.at_ms);
    if !was_running {
        return "it was not running".to_owned();
    }
    let pid = old_pid.map(|p| format!("pid {p} ")).unwrap_or_default();
    if killed {
        let cut = drained.calls_left.unwrap_or(0);
        format!("{pid}timed out draining and was killed (SIGKILL), {cut} call{} cut", plural(cut))
    } else {
        match drained.calls_at_start {
            Some(calls) if calls > 0 => {
                format!("{pid}drained: its {calls} call{} ended, then it exited", plural(calls))
            }
            _ => format!("{pid}exited with no call in progress"),
        }
    }
}

/// Waits (bounded) for the agent to run with another PID than `old_pid`; the new status.
pub(crate) async fn wait_for_new_instance(
    fleet: &dyn Fleet,
    actor: &Actor,
    id: &str,
    old_pid: Option<i32>,
    limit: Duration,
) -> Option<CustomerStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(now) = current(fleet, actor, id).await {
            let pid = now.status.as_ref().and_then(|h| h.pid);
            let settled = matches!(now.state.as_str(), "running" | "backoff" | "crash_loop" | "stopped");
            if settled && pid != old_pid {
                return Some(now);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

pub(crate) fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}
