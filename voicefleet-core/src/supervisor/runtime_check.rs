//! What the supervisor needs of the tokio runtime it runs in: a runtime, its IO driver (the
//! shim's pidfd, inotify on the log) and its time driver (deadlines, retries). tokio answers a
//! missing driver only with a panic where it is first used; [`check`] asks before anything
//! starts and turns the answer into an error.

use crate::error::{Error, Result};

/// Errs unless the current tokio runtime has both drivers enabled.
pub(super) fn check() -> Result<()> {
    let missing = |what: &str| Error::Unavailable {
        message: format!(
            "the supervisor needs a tokio runtime with {what} enabled: build it with \
             `enable_all()` (or #[tokio::main])"
        ),
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::Unavailable {
            message: "the supervisor must be opened inside a tokio runtime".to_owned(),
        });
    }
    if !probe(|| drop(tokio::time::sleep(std::time::Duration::ZERO))) {
        return Err(missing("timers"));
    }
    if !probe(io_probe) {
        return Err(missing("IO"));
    }
    Ok(())
}

/// Registers a descriptor with the IO driver (a pipe's reading end).
fn io_probe() {
    let Ok((reader, _writer)) = nix::unistd::pipe() else { return };
    // SAFETY: `reader` is an open pipe owned by the AsyncFd until both are dropped here.
    let _ = unsafe { tokio::io::unix::AsyncFd::register(reader) };
}

/// Runs `f`; false when it panicked. The panic's message is not printed (tokio's is the
/// question, not a fault), by a silent hook for the moment of the call.
fn probe(f: fn()) -> bool {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let ok = std::panic::catch_unwind(f).is_ok();
    std::panic::set_hook(previous);
    ok
}
