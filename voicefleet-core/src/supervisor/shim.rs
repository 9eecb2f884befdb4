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
//! [--cwd DIR] -- PROGRAM [ARGS...]`. The agent inherits the shim's environment.

use std::ffi::OsString;
use std::io::{BufRead as _, BufReader, Read, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::procfs;
use crate::clock::{Clock as _, SystemClock};
use crate::logs::{LogLimits, LogWriter, MAX_LINE_BYTES, Stream};

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
    program: OsString,
    args: Vec<OsString>,
}

fn parse_args(args: Vec<OsString>) -> Result<ShimArgs, String> {
    let mut run_dir = None;
    let mut log_dir = None;
    let mut limits = LogLimits::default();
    let mut cwd = None;
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().ok_or_else(|| format!("{} needs a value", arg.to_string_lossy()));
        match arg.to_str() {
            Some("--run-dir") => run_dir = Some(PathBuf::from(value()?)),
            Some("--log-dir") => log_dir = Some(PathBuf::from(value()?)),
            Some("--cwd") => cwd = Some(PathBuf::from(value()?)),
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
                return Ok(ShimArgs {
                    run_dir: run_dir.ok_or("--run-dir is required")?,
                    log_dir: log_dir.ok_or("--log-dir is required")?,
                    limits,
                    cwd,
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
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(cwd) = &args.cwd {
        command.current_dir(cwd);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let message = super::launch::describe_spawn_error(&args.program, args.cwd.as_deref(), &error);
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
    write_json(&args.run_dir.join("child.json"), &info);
    let _ = std::fs::remove_file(args.run_dir.join("exit.json"));
    handshake(&Handshake::Started(info));
    // Done with the supervisor's pipe: it sees EOF, and a dead supervisor cannot block us.
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdout(null);
    }

    // Readers push lines into a bounded channel: when the disk is slow the agent blocks on its
    // pipe instead of a line being dropped.
    let (sender, receiver) = mpsc::sync_channel::<(Stream, Vec<u8>)>(16 * 1024);
    let readers: Vec<_> = [
        child.stdout.take().map(|pipe| (Stream::Stdout, Box::new(pipe) as Box<dyn Read + Send>)),
        child.stderr.take().map(|pipe| (Stream::Stderr, Box::new(pipe) as Box<dyn Read + Send>)),
    ]
    .into_iter()
    .flatten()
    .map(|(stream, pipe)| {
        let sender = sender.clone();
        std::thread::spawn(move || read_lines(stream, pipe, &sender))
    })
    .collect();
    drop(sender);
    let log_thread = std::thread::spawn(move || {
        while let Ok((stream, line)) = receiver.recv() {
            let _ = writer.write(stream, &line, now_ms());
            while let Ok((stream, line)) = receiver.try_recv() {
                let _ = writer.write(stream, &line, now_ms());
            }
            let _ = writer.flush();
        }
        let _ = writer.flush();
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

/// Splits a pipe into lines of at most [`MAX_LINE_BYTES`].
fn read_lines(stream: Stream, pipe: Box<dyn Read + Send>, sender: &mpsc::SyncSender<(Stream, Vec<u8>)>) {
    let mut reader = BufReader::with_capacity(128 * 1024, pipe);
    let mut line = Vec::new();
    loop {
        let buffer = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buffer) => buffer,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let room = MAX_LINE_BYTES - line.len();
        let (take, complete) = match buffer.iter().take(room).position(|b| *b == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (buffer.len().min(room), buffer.len() >= room),
        };
        line.extend_from_slice(&buffer[..take]);
        reader.consume(take);
        if complete {
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if sender.send((stream, std::mem::take(&mut line))).is_err() {
                return;
            }
        }
    }
    if !line.is_empty() {
        let _ = sender.send((stream, line));
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
