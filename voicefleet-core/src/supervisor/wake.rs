//! What wakes the actor besides requests and the shim's pidfd: the log directory changing
//! (inotify), so an idle supervisor sleeps until the agent writes a line or a timer is due.

use std::io;
use std::os::fd::{AsFd as _, AsRawFd, RawFd};
use std::path::Path;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;

struct InotifyFd(Inotify);

impl AsRawFd for InotifyFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Wakes when a file in the log directory is written, created or renamed into it (a rotation).
pub(super) struct LogWatch {
    fd: Option<AsyncFd<InotifyFd>>,
}

impl LogWatch {
    /// Watches `dir`. Without inotify (none left, or not supported) it never wakes, and
    /// [`LogWatch::is_active`] tells the caller to poll instead.
    pub(super) fn new(dir: &Path) -> Self {
        let fd = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok().and_then(|inotify| {
            let events = AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO;
            inotify.add_watch(dir, events).ok()?;
            // SAFETY: the Inotify owns its descriptor, which stays open as long as the AsyncFd
            // that owns the Inotify.
            unsafe { AsyncFd::register(InotifyFd(inotify)) }.ok()
        });
        Self { fd }
    }

    pub(super) fn is_active(&self) -> bool {
        self.fd.is_some()
    }

    /// Returns once the directory changed since the last call (at once if it already had).
    pub(super) async fn changed(&mut self) {
        let Some(fd) = &self.fd else { return std::future::pending().await };
        loop {
            let Ok(mut guard) = fd.readable().await else { break };
            let drained = guard.try_io(|inner| {
                let mut any = false;
                loop {
                    match inner.get_ref().0.read_events() {
                        Ok(events) => any |= !events.is_empty(),
                        Err(nix::errno::Errno::EAGAIN) if any => return Ok(()),
                        Err(error) => return Err(io::Error::from(error)),
                    }
                }
            });
            match drained {
                Ok(Ok(())) => return,
                // Nothing to read after all: wait for the next change.
                Err(_would_block) => continue,
                // inotify failed: give it up, the caller polls from now on.
                Ok(Err(_)) => break,
            }
        }
        self.fd = None;
    }
}
