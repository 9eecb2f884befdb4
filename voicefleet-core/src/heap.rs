//! Keeping a long-running process's memory flat: the allocator's settings for the daemons.
//!
//! A console or host daemon runs for months. Its live heap is bounded (every window, queue and
//! cache has a cap), yet with glibc's allocator its resident size kept creeping up by a few MiB an
//! hour: a heap profile stayed flat while RSS grew. glibc gives each thread that allocates its own
//! arena (up to 8 per core) and hands freed pages back to the system only from the top of each
//! arena, so the async runtime's worker and blocking threads, each allocating and freeing short
//! buffers (a status snapshot, a percentile's sorted copy, an HTTP body), leave freed pages stranded
//! in many arenas. Two arenas and a periodic `malloc_trim` (which returns every free page of every
//! arena, not only the top) keep RSS at the live heap; the soak benchmark (`bench/soak`) measures it.
//!
//! Why not another allocator crate: jemalloc or mimalloc would add a C build to every binary and a
//! second allocator to the Python extension's process; these two glibc calls do the job, and on
//! other C libraries the functions here do nothing.

use std::time::Duration;

/// How often freed memory is handed back to the system.
pub const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Most arenas glibc may create (its default is eight per core).
const ARENA_MAX: i32 = 2;

/// Tunes the allocator for a long-running daemon: at most two arenas, and a background thread
/// that returns freed pages to the system every [`TRIM_EVERY`]. Call it once, first thing in
/// `main`, before any other thread starts (an arena limit set later does not apply to arenas
/// already made). Does nothing off glibc. Fails only when the trimming thread cannot start (the
/// process then runs as before, its freed memory possibly staying resident).
pub fn tune_for_daemon() -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes an allocator parameter; called before other threads exist.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX);
        }
        std::thread::Builder::new().name("voicefleet-heap-trim".to_owned()).stack_size(64 * 1024).spawn(
            || {
                loop {
                    std::thread::sleep(TRIM_EVERY);
                    trim();
                }
            },
        )?;
    }
    Ok(())
}

/// Returns every free page of the heap to the system now.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is thread-safe (takes each arena's lock).
    unsafe {
        libc::malloc_trim(0);
    }
}
