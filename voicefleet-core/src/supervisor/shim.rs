//! The per-agent shim: a small process that owns the voice agent's pipes and outlives the host
//! agent daemon, so a daemon restart (even `kill -9`) neither stops the voice agent nor loses a
//! line it writes (the design of conmon and containerd-shim).
//!
//! The shim is a child subreaper: it reaps the agent and every orphaned grandchild, and once the
//! agent exits it kills what is left of its process group, so nothing outlives it. It writes:
//! - on its stdout, one JSON handshake line (the child's identity, or `{"error": ...}`), then
//!   closes it;
//! - `RUN_DIR/child.json` with the same identity, for a later daemon to adopt;
//! - every line of the agent's stdout and stderr into the numbered, rotated log;
//! - `RUN_DIR/exit.json` with the exit status, then exits.
//!
//! Usage: `voicefleet-shim --run-dir DIR --log-dir DIR --max-file-bytes N --keep-files N
//! [--cwd DIR] [--uid N --gid N] -- PROGRAM [ARGS...]`. The agent inherits the shim's
//! environment. With `--uid`, the agent runs as that user and group with no supplementary
//! groups, while the shim keeps the daemon's user (the log and run records stay private).

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::procfs;
use crate::clock::{Clock as _, SystemClock};
use crate::logs::{LogLimits, LogWriter, MAX_LINE_BYTES, Stream};

/// How long a reader lets a pipe fill after a short read.
const BATCH_WINDOW: Duration = Duration::from_millis(10);
/// One read from a pipe.
const READ_BYTES: usize = 256 * 1024;
/// The pipe's capacity (the kernel's default is 64 KiB).
const PIPE_BYTES: libc::c_int = 1024 * 1024;
/// Batches waiting for the log writer before the readers block.
const BATCHES_IN_FLIGHT: usize = 16;
/// `RUN_DIR/log_dropped`: how many lines the log could not take (see [`DroppedCounter`]).
pub(crate) const DROPPED_FILE: &str = "log_dropped";

/// The identity of a spawned voice agent, as told by its shim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChildInfo {
    pub(crate) pid: i32,
    pub(crate) pgid: i32,
    pub(crate) start_time: u64,
    pub(crate) shim_pid: i32,
    pub(crate) shim_start_time: u64,
    /// Sequence number of the first log line this instance can have written.
    pub(crate) first_seq: u64,
    pub(crate) spawned_at_ms: u64,
}

/// How the voice agent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExitRecord {
    pub(crate) pid: i32,
    pub(crate) code: Option<i32>,
    pub(crate) signal: Option<i32>,
    pub(crate) at_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Handshake {
    Started(ChildInfo),
    Failed { error: String },
}

/// The shim is its own process, started with no handles from the daemon: its clock is the
/// system's.
fn now_ms() -> u64 {
    SystemClock.now_ms()
}

extern "C" fn swallow(_: i32) {}

struct ShimArgs {
    run_dir: PathBuf,
    log_dir: PathBuf,
    limits: LogLimits,
    cwd: Option<PathBuf>,
    /// The user and group the agent runs as (`--uid`, `--gid`).
    user: Option<(u32, u32)>,
    program: OsString,
    args: Vec<OsString>,
}

fn parse_args(args: Vec<OsString>) -> Result<ShimArgs, String> {
    let mut run_dir = None;
    let mut log_dir = None;
    let mut limits = LogLimits::default();
    let mut cwd = None;
    let (mut uid, mut gid) = (None, None);
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().ok_or_else(|| format!("{} needs a value", arg.to_string_lossy()));
        match arg.to_str() {
            Some("--run-dir") => run_dir = Some(PathBuf::from(value()?)),
            Some("--log-dir") => log_dir = Some(PathBuf::from(value()?)),
            Some("--cwd") => cwd = Some(PathBuf::from(value()?)),
            Some("--uid") => {
                uid = Some(value()?.to_string_lossy().parse().map_err(|_| "--uid must be a number")?)
            }
            Some("--gid") => {
                gid = Some(value()?.to_string_lossy().parse().map_err(|_| "--gid must be a number")?)
            }
            Some("--max-file-bytes") => {
                limits.max_file_bytes =
                    value()?.to_string_lossy().parse().map_err(|_| "--max-file-bytes must be a number")?
            }
            Some("--keep-files") => {
                limits.keep_files =
                    value()?.to_string_lossy().parse().map_err(|_| "--keep-files must be a number")?
            }
            Some("--") => {
                let program = iter.next().ok_or("no program after --")?;
                let user = match (uid, gid) {
                    (Some(uid), Some(gid)) => Some((uid, gid)),
                    (None, None) => None,
                    _ => return Err("--uid and --gid go together".to_owned()),
                };
                return Ok(ShimArgs {
                    run_dir: run_dir.ok_or("--run-dir is required")?,
                    log_dir: log_dir.ok_or("--log-dir is required")?,
                    limits,
                    cwd,
                    user,
                    program,
                    args: iter.collect(),
                });
            }
            _ => return Err(format!("unexpected argument {}", arg.to_string_lossy())),
        }
    }
    Err("missing `-- PROGRAM`".to_owned())
}

fn write_json(path: &std::path::Path, value: &impl Serialize) {
    let text = serde_json::to_vec(value).expect("plain data serializes");
    let _ = crate::fs::write_atomic_volatile(path, &text, 0o600);
}

fn handshake(message: &Handshake) {
    let mut stdout = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut stdout, message);
    let _ = stdout.write_all(b"\n");
    let _ = stdout.flush();
}

/// Runs the shim; returns the process exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(message) => {
            handshake(&Handshake::Failed { error: format!("voicefleet-shim: {message}") });
            return 2;
        }
    };
    // The supervisor signals the agent's group, never the shim: keep the shim out of reach of
    // terminal and stray signals so it can always record the end. A caught signal (unlike an
    // ignored one) reverts to its default across exec, so the agent starts with default
    // dispositions without a pre-exec hook, and can be started with posix_spawn.
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        let action = SigAction::new(SigHandler::Handler(swallow), SaFlags::SA_RESTART, SigSet::empty());
        // SAFETY: the handler does nothing, which is async-signal-safe.
        unsafe {
            let _ = signal::sigaction(signal, &action);
        }
    }
    let _ = nix::sys::prctl::set_child_subreaper(true);
    let _ = std::fs::create_dir_all(&args.run_dir);

    let mut command = Command::new(&args.program);
    command
        .args(&args.args)
        .env_remove(super::entry::SHIM_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(cwd) = &args.cwd {
        command.current_dir(cwd);
    }
    if let Some((uid, gid)) = args.user {
        // std sets the group, clears the supplementary groups (setgroups(0)), then sets the user.
        command.uid(uid).gid(gid);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let mut message = super::launch::describe_spawn_error(&args.program, args.cwd.as_deref(), &error);
            if let Some((uid, _)) = args.user
                && error.kind() == std::io::ErrorKind::PermissionDenied
            {
                message.push_str(&format!(
                    " (as runtime.user, uid {uid}: that user must be able to reach the program and the \
                     working directory, and every directory above them)"
                ));
            }
            if let Ok(mut writer) = LogWriter::open(&args.log_dir, args.limits) {
                let _ = writer.write(Stream::Stderr, format!("voicefleet: {message}").as_bytes(), now_ms());
                let _ = writer.flush();
            }
            handshake(&Handshake::Failed { error: message });
            return 127;
        }
    };
    // The agent starts first; its output waits in the pipe while the log is opened.
    let mut writer = match LogWriter::open(&args.log_dir, args.limits) {
        Ok(writer) => writer,
        Err(error) => {
            let _ = child.kill();
            let _ = child.wait();
            handshake(&Handshake::Failed {
                error: format!("cannot open the log in {}: {error}", args.log_dir.display()),
            });
            return 1;
        }
    };
    let first_seq = writer.next_seq();
    let pid = child.id() as i32;
    let my_pid = std::process::id() as i32;
    let info = ChildInfo {
        pid,
        pgid: pid,
        start_time: procfs::stat(pid).map(|stat| stat.start_time).unwrap_or(0),
        shim_pid: my_pid,
        shim_start_time: procfs::stat(my_pid).map(|stat| stat.start_time).unwrap_or(0),
        first_seq,
        spawned_at_ms: now_ms(),
    };
    // Before the handshake: once the daemon knows this instance, the count it reads is this
    // instance's.
    let mut dropped = DroppedCounter::create(&args.run_dir.join(DROPPED_FILE));
    write_json(&args.run_dir.join("child.json"), &info);
    let _ = std::fs::remove_file(args.run_dir.join("exit.json"));
    handshake(&Handshake::Started(info));
    // Done with the supervisor's pipe: it sees EOF, and a dead supervisor cannot block us.
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdout(null);
    }

    // Readers push batches of lines into a bounded channel: when the disk is slow the agent
    // blocks on its pipe instead of a line being dropped.
    let (sender, receiver) = mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
    let readers: Vec<_> = [
        child.stdout.take().map(|pipe| (Stream::Stdout, OwnedFd::from(pipe))),
        child.stderr.take().map(|pipe| (Stream::Stderr, OwnedFd::from(pipe))),
    ]
    .into_iter()
    .flatten()
    .map(|(stream, pipe)| {
        let sender = sender.clone();
        std::thread::spawn(move || read_lines(stream, File::from(pipe), &sender))
    })
    .collect();
    drop(sender);
    let log_thread = std::thread::spawn(move || {
        while let Ok(batch) = receiver.recv() {
            write_batch(&mut writer, batch);
            while let Ok(batch) = receiver.try_recv() {
                write_batch(&mut writer, batch);
            }
            let _ = writer.flush();
            dropped.record(writer.dropped_lines());
        }
        let _ = writer.flush();
        dropped.record(writer.dropped_lines());
    });

    let exit = reap_until_done(pid);
    std::mem::forget(child); // already reaped above
    for reader in readers {
        let _ = reader.join();
    }
    let _ = log_thread.join();
    write_json(&args.run_dir.join("exit.json"), &exit);
    0
}

/// Lines read from one pipe at one time.
struct Batch {
    stream: Stream,
    ts_ms: u64,
    lines: Vec<Vec<u8>>,
}

fn write_batch(writer: &mut LogWriter, batch: Batch) {
    for line in batch.lines {
        let _ = writer.write(batch.stream, &line, batch.ts_ms);
    }
}

/// Splits a pipe into lines of at most [`MAX_LINE_BYTES`], sent in batches: after a read that
/// did not fill the buffer the reader waits [`BATCH_WINDOW`] for more (less when the agent
/// dies), so a child that writes each line with its own `write()` costs a read and a log write
/// per window, not per line. The pipe is enlarged so the child does not block meanwhile.
fn read_lines(stream: Stream, mut pipe: File, sender: &mpsc::SyncSender<Batch>) {
    use std::os::fd::AsRawFd as _;
    // SAFETY: F_SETPIPE_SZ on a pipe we own; a refusal (over the system's limit) is harmless.
    unsafe {
        libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE_BYTES);
    }
    let mut buffer = vec![0u8; READ_BYTES];
    let mut line = Vec::new();
    loop {
        let read = match pipe.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let mut lines = Vec::new();
        let mut rest = &buffer[..read];
        while !rest.is_empty() {
            let room = MAX_LINE_BYTES - line.len();
            match rest.iter().take(room).position(|b| *b == b'\n') {
                Some(newline) => {
                    line.extend_from_slice(&rest[..newline]);
                    rest = &rest[newline + 1..];
                    lines.push(std::mem::take(&mut line));
                }
                None => {
                    let take = rest.len().min(room);
                    line.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if line.len() >= MAX_LINE_BYTES {
                        lines.push(std::mem::take(&mut line));
                    }
                }
            }
        }
        if !lines.is_empty() && sender.send(Batch { stream, ts_ms: now_ms(), lines }).is_err() {
            return;
        }
        if read < buffer.len() {
            wait_for_hangup(&pipe, BATCH_WINDOW);
        }
    }
    if !line.is_empty() {
        let _ = sender.send(Batch { stream, ts_ms: now_ms(), lines: vec![line] });
    }
}

/// Lets the pipe fill for `window`, but returns at once when its writers are gone (the agent
/// died): its last lines, and the shim's exit that the restart waits for, are not held back.
fn wait_for_hangup(pipe: &File, window: Duration) {
    use std::os::fd::AsRawFd as _;
    // No event asked for: poll reports only a hangup (or an error), else times out.
    let mut fds = [libc::pollfd { fd: pipe.as_raw_fd(), events: 0, revents: 0 }];
    let timeout = window.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: one valid pollfd for the duration of the call.
    unsafe {
        libc::poll(fds.as_mut_ptr(), 1, timeout);
    }
}

/// The count of lines the log could not take, in `RUN_DIR/log_dropped` for the daemon: created
/// (with its space) when the shim starts, then rewritten in place, which needs no new space on
/// a full disk.
struct DroppedCounter {
    file: Option<File>,
    recorded: u64,
}

impl DroppedCounter {
    fn create(path: &std::path::Path) -> Self {
        let file = File::create(path).ok();
        let mut counter = Self { file, recorded: u64::MAX };
        counter.record(0);
        counter
    }

    fn record(&mut self, dropped: u64) {
        use std::os::unix::fs::FileExt as _;
        if dropped == self.recorded {
            return;
        }
        self.recorded = dropped;
        if let Some(file) = &self.file {
            let _ = file.write_all_at(format!("{dropped:020}\n").as_bytes(), 0);
        }
    }
}

/// Reaps the agent and every descendant; once the agent has exited, kills what is left of its
/// group and any orphan that moved out of it. Returns the agent's exit.
fn reap_until_done(pid: i32) -> ExitRecord {
    let mut exit: Option<ExitRecord> = None;
    loop {
        // Once the agent is gone, only leftovers remain: reap what is already dead without
        // blocking, and look for survivors only when something is still alive.
        let flags =
            if exit.is_some() { WaitPidFlag::__WALL | WaitPidFlag::WNOHANG } else { WaitPidFlag::__WALL };
        match waitpid(Pid::from_raw(-1), Some(flags)) {
            Ok(WaitStatus::StillAlive) => {
                kill_orphans();
                let _ = waitpid(Pid::from_raw(-1), Some(WaitPidFlag::__WALL));
            }
            Ok(WaitStatus::Exited(reaped, code)) if reaped.as_raw() == pid => {
                exit = Some(ExitRecord { pid, code: Some(code), signal: None, at_ms: now_ms() });
                kill_leftovers(pid);
            }
            Ok(WaitStatus::Signaled(reaped, signal, _)) if reaped.as_raw() == pid => {
                exit = Some(ExitRecord { pid, code: None, signal: Some(signal as i32), at_ms: now_ms() });
                kill_leftovers(pid);
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => break, // ECHILD: nothing left to reap
        }
    }
    exit.unwrap_or(ExitRecord { pid, code: None, signal: None, at_ms: now_ms() })
}

fn kill_leftovers(pgid: i32) {
    let _ = signal::killpg(Pid::from_raw(pgid), Signal::SIGKILL);
}

/// Kills descendants that left the agent's group (they were reparented to this subreaper).
fn kill_orphans() {
    let me = std::process::id() as i32;
    for orphan in procfs::children_of(me) {
        let _ = signal::kill(Pid::from_raw(orphan), Signal::SIGKILL);
    }
}
