//! The one tokio runtime of the process, and the one helper every blocking call goes through:
//! it releases the GIL, runs the future, wakes every 100 ms to let Python handle signals (Ctrl-C
//! interrupts a long call within a second) and maps core errors to the exception table.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

use crate::exceptions::{UnavailableError, to_py_err};

/// How often a blocking call hands Python a chance to run its signal handlers.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

struct ProcessRuntime {
    /// The process that built the runtime: its threads do not survive a `fork`.
    pid: u32,
    runtime: Arc<tokio::runtime::Runtime>,
}

/// The runtime of this process; a forked child builds its own on first use.
static RUNTIME: Mutex<Option<ProcessRuntime>> = Mutex::new(None);

/// The process's runtime (a child forked after it was built gets a new one: the parent's
/// threads are not in the child).
pub(crate) fn runtime() -> PyResult<Arc<tokio::runtime::Runtime>> {
    let pid = std::process::id();
    let mut current = RUNTIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(process) = current.as_ref().filter(|process| process.pid == pid) {
        return Ok(process.runtime.clone());
    }
    // The parent's runtime cannot be shut down here (its threads exist only in the parent).
    std::mem::forget(current.take());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("voicefleet")
        .enable_all()
        .build()
        .map_err(|error| UnavailableError::new_err(format!("cannot start the runtime: {error}")))?;
    let runtime = Arc::new(runtime);
    *current = Some(ProcessRuntime { pid, runtime: runtime.clone() });
    Ok(runtime)
}

/// Objects opened in one process refuse to work in a child forked from it: their connections
/// and tasks belong to the parent's runtime.
pub(crate) fn ensure_same_process(owner: u32) -> PyResult<()> {
    let current = std::process::id();
    if owner == current {
        return Ok(());
    }
    let error = UnavailableError::new_err(format!(
        "this console was opened in process {owner} and cannot be used in process {current}, forked from it"
    ));
    Python::attach(|py| {
        let value = error.value(py);
        let _ = value.setattr("kind", "unavailable");
        let _ = value.setattr(
            "hint",
            "open the console again in the child (Console.open or Console.connect), \
             or use multiprocessing's \"spawn\" start method",
        );
        let _ = value.setattr("issues", pyo3::types::PyList::empty(py));
    });
    Err(error)
}

/// Why a blocking call ended without its result.
enum Stopped {
    Failed(voicefleet_core::Error),
    Interrupted(PyErr),
}

/// Runs `future` to its end with the GIL released; a pending signal (Ctrl-C) stops it within
/// [`SIGNAL_CHECK_INTERVAL`] and raises what its handler raised (`KeyboardInterrupt`).
pub(crate) fn block_on<F, T>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = voicefleet_core::Result<T>> + Send,
    T: Send,
{
    let runtime = runtime()?;
    let outcome = py.detach(|| {
        runtime.block_on(async {
            let mut future = std::pin::pin!(future);
            let mut ticks = tokio::time::interval(SIGNAL_CHECK_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                tokio::select! {
                    result = &mut future => return result.map_err(Stopped::Failed),
                    _ = ticks.tick() => {
                        if let Err(error) = Python::attach(|py| py.check_signals()) {
                            return Err(Stopped::Interrupted(error));
                        }
                    }
                }
            }
        })
    });
    match outcome {
        Ok(value) => Ok(value),
        Err(Stopped::Failed(error)) => Err(to_py_err(error)),
        Err(Stopped::Interrupted(error)) => Err(error),
    }
}
