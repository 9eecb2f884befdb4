//! Control requests (start, stop, drain, restart): the plan comes from
//! `lifecycle::plan_request`; here it is carried out, and the waiting callers are answered.

use tokio::sync::oneshot;

use super::{Actor, Waiter};
use crate::error::{Error, Result};
use crate::host::{HostStatus, StopOptions};
use crate::lifecycle::{
    AnswerWhen, ControlRequest, Event, ProcessState, Refusal, RequestFacts, RequestPlan, StopKind,
    plan_request,
};

fn refusal_error(refusal: Refusal, state: ProcessState) -> Error {
    match refusal {
        Refusal::ControlInProgress => Error::conflict(
            format!("another control request is in progress (the agent is {state})"),
            Some("wait for it to finish, then try again"),
        ),
        Refusal::NoConfiguration => Error::NoConfiguration,
        Refusal::State(reason) => Error::conflict(reason, None),
    }
}

impl Actor {
    pub(super) fn control_in_progress(&self) -> bool {
        !self.waiters.is_empty()
    }

    /// Refuses a change while a control request is being carried out.
    pub(super) fn check_can_control(&self) -> Result<()> {
        if self.control_in_progress() {
            return Err(refusal_error(Refusal::ControlInProgress, self.state));
        }
        Ok(())
    }

    pub(super) async fn control(
        &mut self,
        request: ControlRequest,
        options: StopOptions,
        reply: oneshot::Sender<Result<HostStatus>>,
    ) {
        let facts = RequestFacts {
            state: self.state,
            has_config: self.config.is_some(),
            control_in_progress: self.control_in_progress(),
            context: self.context(),
        };
        let waiter = |answer| match answer {
            AnswerWhen::Started => Waiter::Started(reply),
            AnswerWhen::Stopped => Waiter::Stopped(reply),
        };
        match plan_request(request, facts) {
            RequestPlan::Refuse(refusal) => {
                waiter(AnswerWhen::Started).reply(Err(refusal_error(refusal, self.state)));
            }
            RequestPlan::Start { answer } => {
                self.restarts.reset();
                self.set_desired(true);
                self.start_after_stop = false;
                self.waiters.push(waiter(answer));
                self.fire(Event::StartRequested).await;
            }
            RequestPlan::Stop { kind, then_start, answer } => {
                self.set_desired(RequestPlan::desired_running(request));
                self.start_after_stop = then_start;
                let timeout = options.timeout.unwrap_or_else(|| self.drain_timeout());
                let grace = match kind {
                    StopKind::WithGrace => Some(self.options.stop_grace),
                    StopKind::UntilTimeout => None,
                };
                self.pending_drain = Some((timeout, grace));
                self.waiters.push(waiter(answer));
                self.fire(Event::StopRequested).await;
            }
        }
    }

    /// Answers the callers whose wait is over.
    pub(super) fn resolve_waiters(&mut self) {
        if let Some(message) = self.start_error.take() {
            for waiter in std::mem::take(&mut self.waiters) {
                match waiter {
                    Waiter::Started(reply) => {
                        let _ = reply.send(Err(Error::Unavailable { message: message.clone() }));
                    }
                    other => self.waiters.push(other),
                }
            }
        }
        let state = self.state;
        let started = matches!(
            state,
            ProcessState::Running
                | ProcessState::Backoff
                | ProcessState::CrashLoop
                | ProcessState::Exited
                | ProcessState::Stopped
        ) && !(state == ProcessState::Stopped && self.start_after_stop)
            && !(state == ProcessState::Backoff && self.retry_at.is_none() && !self.queue.is_empty());
        let stopped = matches!(state, ProcessState::Stopped | ProcessState::Exited);
        if self.waiters.is_empty() || !(started || stopped) {
            return;
        }
        let status = self.status();
        let mut kept = Vec::new();
        for waiter in std::mem::take(&mut self.waiters) {
            match waiter {
                Waiter::Started(reply) if started && state != ProcessState::Stopped => {
                    let _ = reply.send(Ok(status.clone()));
                }
                Waiter::Stopped(reply) if stopped => {
                    let _ = reply.send(Ok(status.clone()));
                }
                other => kept.push(other),
            }
        }
        self.waiters = kept;
    }
}

impl Waiter {
    /// Answers now (an unheard answer is dropped: the caller gave up).
    fn reply(self, answer: Result<HostStatus>) {
        match self {
            Waiter::Started(reply) | Waiter::Stopped(reply) => {
                let _ = reply.send(answer);
            }
        }
    }
}
