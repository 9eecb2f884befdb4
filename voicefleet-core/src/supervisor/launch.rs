//! Launching an instance: the agent's environment, the shim's command line, the spawn and its
//! handshake, the pidfd that reports the shim's end, and naming what went wrong when a spawn
//! fails (a missing working directory is not a missing program).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader};
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::unistd::Pid;
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;

use super::agent_user::{self, AgentUser};
use super::shim::{ChildInfo, Handshake};
use super::state_dir::{Loaded, Paths};
use super::{Request, SupervisorOptions};
use crate::config::{ConfigDocument, Issue, SecretReference, Severity};
use crate::error::Error;

/// The environment of the voice-agent protocol; `config` is the file the agent reads.
pub(super) fn agent_environment(
    loaded: &Loaded,
    paths: &Paths,
    config: &Path,
    options: &SupervisorOptions,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        loaded.spec.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    env.extend(secret_environment(loaded, &paths.read_secrets()));
    if loaded.document.is_some() {
        env.push(("VOICEFLEET_CONFIG".to_owned(), config.to_string_lossy().into_owned()));
    }
    env.push(("VOICEFLEET_CUSTOMER_ID".to_owned(), options.customer_id.to_string()));
    env
}

/// The secrets a document puts in the agent's environment: each `secret://NAME` under its env
/// name, and each `runtime.secret_env` alias (a process without a document: its `secret_env`).
fn secret_environment(loaded: &Loaded, secrets: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let references = loaded.document.as_ref().map(ConfigDocument::secret_references).unwrap_or_default();
    for name in references {
        if let (Some(value), Some(reference)) =
            (secrets.get(&name), SecretReference::parse(&format!("secret://{name}")))
        {
            env.push((reference.env_name(), value.clone()));
        }
    }
    for (alias, name) in &loaded.spec.secret_env {
        if let Some(value) = secrets.get(name) {
            env.push((alias.clone(), value.clone()));
        }
    }
    env
}

/// A digest of the secrets a document would give the agent, with the host's secrets now: two
/// equal digests mean the agent's environment holds the same secret values. Only the digest is
/// kept (`STATE/launched.json`), never the values.
pub(super) fn secrets_fingerprint(loaded: &Loaded, secrets: &BTreeMap<String, String>) -> String {
    let mut env = secret_environment(loaded, secrets);
    env.sort();
    let mut digest = Sha256::new();
    for (name, value) in env {
        for part in [name.as_bytes(), b"\0", value.as_bytes(), b"\0"] {
            digest.update(part);
        }
    }
    digest.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The working directory of the agent: `runtime.working_dir`, or its own directory in the state
/// directory (`STATE/agent`, not the state directory itself, where the secrets are).
pub(super) fn working_dir(loaded: &Loaded, paths: &Paths) -> PathBuf {
    loaded.spec.working_dir.clone().unwrap_or_else(|| paths.agent.clone())
}

/// What the agent inherits from the daemon's environment: these names, nothing else. The daemon
/// may hold a console's master key or an operator's token in its environment; one customer's
/// code must not read them.
const INHERITED: [&str; 4] = ["PATH", "HOME", "LANG", "TZ"];

/// The search path when the daemon has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The part of the agent's environment taken from the daemon's: [`INHERITED`], with a default
/// `PATH`; an agent run as another user gets that user's `HOME`, not the daemon's.
pub(super) fn inherited_environment(user: Option<&AgentUser>) -> Vec<(String, std::ffi::OsString)> {
    let mut env: Vec<(String, std::ffi::OsString)> =
        INHERITED.iter().filter_map(|name| Some((name.to_string(), std::env::var_os(name)?))).collect();
    if !env.iter().any(|(name, _)| name == "PATH") {
        env.push(("PATH".to_owned(), DEFAULT_PATH.into()));
    }
    if let Some(user) = user {
        env.retain(|(name, _)| name != "HOME");
        env.push(("HOME".to_owned(), user.home.clone().into_os_string()));
    }
    env
}

/// How long a shim may take to answer its handshake (it answers once the agent is spawned).
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a launch failed: the shim itself could not run (the supervisor's setup: a retry cannot
/// help), or the agent could not be started (its configuration, or this host).
#[derive(Debug)]
pub(super) enum LaunchError {
    Shim(Error),
    Agent(Error),
}

impl From<Error> for LaunchError {
    fn from(error: Error) -> Self {
        LaunchError::Agent(error)
    }
}

/// Starts the shim, which starts the agent (as `runtime.user` when that is not the daemon's
/// user), and reads its handshake. On failure the error names the cause (missing working
/// directory, program not found, not executable, an unknown user).
pub(super) async fn launch(
    loaded: &Loaded,
    paths: &Paths,
    options: &SupervisorOptions,
) -> Result<ChildInfo, LaunchError> {
    let user = agent_user::resolve(agent_user::configured(loaded, options.default_agent_user.as_deref()))?;
    agent_user::prepare(paths, loaded, user.as_ref())?;
    let config = agent_user::config_path(paths, user.as_ref());
    let mut command = std::process::Command::new(&options.shim.program);
    command
        .args(&options.shim.args)
        .arg("--run-dir")
        .arg(&paths.run)
        .arg("--log-dir")
        .arg(&paths.logs)
        .arg("--max-file-bytes")
        .arg(options.log_limits.max_file_bytes.to_string())
        .arg("--keep-files")
        .arg(options.log_limits.keep_files.to_string())
        .arg("--cwd")
        .arg(working_dir(loaded, paths));
    if let Some(user) = &user {
        command.arg("--uid").arg(user.uid.to_string()).arg("--gid").arg(user.gid.to_string());
    }
    command
        .arg("--")
        .args(&loaded.spec.command)
        .env_clear()
        .envs(inherited_environment(user.as_ref()))
        .envs(agent_environment(loaded, paths, &config, options))
        .env(super::entry::SHIM_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let shim_log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.shim_log())
        .map_err(|e| Error::io("cannot open the shim log", e))?;
    command.stderr(shim_log);
    // A process group of its own: Ctrl-C on our terminal does not reach the shim (and no
    // pre-exec hook, so the spawn can use posix_spawn rather than fork).
    command.process_group(0);
    let shim_program = options.shim.program.clone();
    let shown = shim_program.display().to_string();
    // The shim's PID once spawned, for the timeout below to end it.
    let spawned = Arc::new(AtomicI32::new(0));
    let reader = {
        let spawned = spawned.clone();
        tokio::task::spawn_blocking(move || -> Result<_, LaunchError> {
            let mut child = command.spawn().map_err(|e| {
                LaunchError::Shim(Error::Unavailable {
                    message: format!("cannot start the shim {}: {e}", shim_program.display()),
                })
            })?;
            let shim_pid = child.id() as i32;
            spawned.store(shim_pid, Ordering::SeqCst);
            let mut line = String::new();
            let stdout = child.stdout.take().expect("piped");
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|e| Error::io("cannot read the shim handshake", e))?;
            let Ok(handshake) = serde_json::from_str::<Handshake>(&line) else {
                // Not a shim: nothing of it may be left running.
                let _ = child.kill();
                let _ = child.wait();
                return Err(LaunchError::Shim(Error::Unavailable {
                    message: format!(
                        "the shim {} gave no handshake (see run/shim.log): is it a voicefleet shim, \
                         or a program whose main calls supervisor::shim_entry_point() first?",
                        shim_program.display()
                    ),
                }));
            };
            // The shim is reaped when its pidfd reports the exit.
            std::mem::forget(child);
            Ok((handshake, shim_pid))
        })
    };
    let (handshake, shim_pid) = match tokio::time::timeout(HANDSHAKE_TIMEOUT, reader).await {
        Ok(joined) => joined.map_err(|e| Error::Internal { message: e.to_string() })??,
        Err(_) => {
            // Its end closes the pipe: the reader then kills and reaps what is left.
            let pid = spawned.load(Ordering::SeqCst);
            if pid > 0 {
                let _ = nix::sys::signal::kill(Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
            }
            return Err(LaunchError::Shim(Error::Unavailable {
                message: format!(
                    "the shim {shown} gave no handshake within {} s: is it a voicefleet shim, or a program \
                     whose main calls supervisor::shim_entry_point() first?",
                    HANDSHAKE_TIMEOUT.as_secs()
                ),
            }));
        }
    };
    match handshake {
        Handshake::Started(info) => Ok(info),
        Handshake::Failed { error } => {
            reap(shim_pid);
            // The shim's own arguments refused: a shim of another version.
            let error = Error::Unavailable { message: error };
            Err(if error.to_string().starts_with("voicefleet-shim:") {
                LaunchError::Shim(error)
            } else {
                LaunchError::Agent(error)
            })
        }
    }
}

/// Reports the shim's exit through a pidfd: no polling.
pub(super) fn watch(requests: mpsc::Sender<Request>, shim_pid: i32) {
    tokio::spawn(async move {
        if let Some(fd) = pidfd_open(shim_pid) {
            // SAFETY: `fd` is an open pidfd owned by the AsyncFd for its whole life.
            let registered = unsafe {
                tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
            };
            if let Ok(async_fd) = registered {
                let _ = async_fd.readable().await;
            }
        }
        let _ = requests.send(Request::ShimExited { shim_pid }).await;
    });
}

/// Reaps `pid` if it is our child and has exited (the shim, after its pidfd fired).
pub(super) fn reap(pid: i32) {
    let _ = nix::sys::wait::waitpid(Pid::from_raw(pid), Some(nix::sys::wait::WaitPidFlag::WNOHANG));
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the kernel just gave us this descriptor; nobody else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// What is wrong with starting `program` in `cwd`, if anything can be seen before trying:
/// a missing or unusable working directory, a program that is not there or not executable.
pub(crate) fn launch_problem(
    program: &OsStr,
    cwd: Option<&Path>,
    search_path: Option<&OsStr>,
) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    if let Some(cwd) = cwd {
        match std::fs::metadata(cwd) {
            Err(_) => return Some(format!("working directory {} does not exist", cwd.display())),
            Ok(meta) if !meta.is_dir() => {
                return Some(format!("working directory {} is not a directory", cwd.display()));
            }
            Ok(_) => {}
        }
    }
    let shown = Path::new(program).display().to_string();
    let candidates: Vec<PathBuf> = if Path::new(program).components().count() > 1 {
        // A relative path with a slash is relative to the working directory.
        vec![cwd.map(|c| c.join(program)).unwrap_or_else(|| PathBuf::from(program))]
    } else {
        std::env::split_paths(search_path.unwrap_or_default()).map(|dir| dir.join(program)).collect()
    };
    let found: Vec<_> = candidates.iter().filter_map(|c| std::fs::metadata(c).ok().map(|m| (c, m))).collect();
    if found.is_empty() {
        return Some(if candidates.len() == 1 {
            format!("program {shown} does not exist")
        } else {
            format!("program {shown} is not in PATH")
        });
    }
    let executable = found.iter().any(|(_, meta)| meta.is_file() && meta.permissions().mode() & 0o111 != 0);
    if !executable {
        return Some(format!("program {shown} is not an executable file (permission denied)"));
    }
    None
}

/// Why a spawn failed, in words: the visible problem if there is one, else the system's error.
pub(crate) fn describe_spawn_error(program: &OsStr, cwd: Option<&Path>, error: &std::io::Error) -> String {
    let path = std::env::var_os("PATH");
    match launch_problem(program, cwd, path.as_deref()) {
        Some(problem) => format!("cannot start {}: {problem}", Path::new(program).display()),
        None => format!("cannot start {}: {error}", Path::new(program).display()),
    }
}

/// Warnings for a configuration that cannot start on this host as it stands: its working
/// directory or its program is missing here.
pub(super) fn host_warnings(loaded_command: &[String], working_dir: Option<&str>) -> Vec<Issue> {
    let Some(program) = loaded_command.first() else { return Vec::new() };
    let path = std::env::var_os("PATH");
    let cwd = working_dir.map(Path::new);
    let problem = launch_problem(OsStr::new(program), cwd, path.as_deref());
    problem
        .map(|message| {
            let field = if message.starts_with("working directory") {
                "runtime.working_dir"
            } else {
                "runtime.command[0]"
            };
            Issue {
                path: field.to_owned(),
                code: "not_on_this_host".to_owned(),
                severity: Severity::Warning,
                message: format!("{message} on this host; the agent will not start until it does"),
            }
        })
        .into_iter()
        .collect()
}
