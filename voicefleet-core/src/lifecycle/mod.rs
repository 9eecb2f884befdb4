//! Process lifecycle policy: the state machine and the restart backoff. Pure: no I/O, no clock
//! of its own; the supervisor feeds it events and times, tests feed it fakes.

mod backoff;
mod state;

pub use backoff::{Backoff, BackoffSettings, RestartDelay};
pub use state::{Action, Event, Outcome, ProcessState, RestartContext, transition};
