//! What the supervisor runs: a [`ProcessSpec`], the program and the policy around it. A
//! configuration document's `runtime` section maps onto one ([`ProcessSpec::from_runtime`]); a
//! program supervised without a document builds one directly ([`ProcessSpec::new`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{RestartPolicy, Runtime, SecretReference};
use crate::error::{Error, Result};

/// A supervised process: its command line and environment, when it is restarted, when it counts
/// as ready and how long a stop waits for it.
///
/// ```
/// use std::time::Duration;
/// use voicefleet_core::config::RestartPolicy;
/// use voicefleet_core::supervisor::ProcessSpec;
///
/// let spec = ProcessSpec::new(["python3", "-m", "http.server", "8080"])
///     .env("PYTHONUNBUFFERED", "1")
///     .restart(RestartPolicy::OnFailure)
///     .stop_timeout(Duration::from_secs(5));
/// assert_eq!(spec.command[0], "python3");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProcessSpec {
    /// The program and its arguments; never run through a shell.
    pub command: Vec<String>,
    /// The working directory; `None`: a directory of its own in the state directory
    /// (`STATE/agent`).
    pub working_dir: Option<PathBuf>,
    /// The Unix user the process runs as; `None`: the supervisor's user (or the supervisor's
    /// default agent user).
    pub user: Option<String>,
    /// Extra environment variables (the process inherits only `PATH`, `HOME`, `LANG` and `TZ`).
    pub env: BTreeMap<String, String>,
    /// Environment variables whose values are secrets of the state directory: variable name to
    /// secret name ([`crate::host::Host::set_secret`] stores them).
    pub secret_env: BTreeMap<String, String>,
    /// When the process is restarted after it exits.
    pub restart: RestartPolicy,
    /// The cap of the exponential restart backoff.
    pub max_backoff: Duration,
    /// How long the process must stay alive to count as ready when it logs no `ready` event.
    pub ready_after: Duration,
    /// How long a stop waits for the process (and its active calls) before the process group is
    /// killed.
    pub stop_timeout: Duration,
    /// Resident memory limit in MiB; over it the process is drained and restarted when idle.
    pub memory_limit_mb: Option<u32>,
}

impl ProcessSpec {
    /// A process running `command` (program first) with the defaults of a configuration's
    /// `runtime` section: restarted always, ready after 1 s, stopped within 30 s.
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            working_dir: None,
            user: None,
            env: BTreeMap::new(),
            secret_env: BTreeMap::new(),
            restart: RestartPolicy::default(),
            max_backoff: Duration::from_secs(60),
            ready_after: Duration::from_secs(1),
            stop_timeout: Duration::from_secs(30),
            memory_limit_mb: None,
        }
    }

    /// The process a configuration document's `runtime` section describes.
    pub fn from_runtime(runtime: &Runtime) -> Self {
        Self {
            command: runtime.command.clone(),
            working_dir: runtime.working_dir.as_deref().map(PathBuf::from),
            user: runtime.user.clone(),
            env: runtime.env.clone(),
            secret_env: runtime
                .secret_env
                .iter()
                .filter_map(|(alias, reference)| {
                    Some((alias.clone(), SecretReference::parse(reference)?.name().to_owned()))
                })
                .collect(),
            restart: runtime.restart.policy,
            max_backoff: Duration::from_secs(runtime.restart.max_backoff_seconds.into()),
            ready_after: Duration::try_from_secs_f64(runtime.start_seconds).unwrap_or(Duration::ZERO),
            stop_timeout: Duration::from_secs(runtime.drain_timeout_seconds.into()),
            memory_limit_mb: runtime.memory_limit_mb,
        }
    }

    /// Sets an environment variable.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Puts the secret `secret` in the environment variable `name` (set its value with
    /// [`crate::host::Host::set_secret`]).
    pub fn secret_env(mut self, name: impl Into<String>, secret: impl Into<String>) -> Self {
        self.secret_env.insert(name.into(), secret.into());
        self
    }

    /// Sets the working directory.
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Runs the process as this Unix user (the supervisor must run as root).
    pub fn user(mut self, name: impl Into<String>) -> Self {
        self.user = Some(name.into());
        self
    }

    /// Sets when the process is restarted after it exits.
    pub fn restart(mut self, policy: RestartPolicy) -> Self {
        self.restart = policy;
        self
    }

    /// Sets the cap of the restart backoff.
    pub fn max_backoff(mut self, cap: Duration) -> Self {
        self.max_backoff = cap;
        self
    }

    /// Sets how long the process must stay alive to count as ready.
    pub fn ready_after(mut self, after: Duration) -> Self {
        self.ready_after = after;
        self
    }

    /// Sets how long a stop waits before the process group is killed.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Sets the resident memory limit, in MiB.
    pub fn memory_limit_mb(mut self, limit: u32) -> Self {
        self.memory_limit_mb = Some(limit);
        self
    }

    /// Refuses a spec that cannot run: no program, a reserved or malformed variable name, a
    /// relative working directory, a malformed secret name.
    pub(super) fn check(&self) -> Result<()> {
        let invalid =
            |value: String, reason: &str| Err(Error::InvalidValue { value, reason: reason.to_owned() });
        match self.command.first() {
            None => {
                return invalid("an empty command".to_owned(), "a process needs a program: name it first");
            }
            Some(program) if program.is_empty() => {
                return invalid("an empty program name".to_owned(), "name the program to run");
            }
            Some(_) => {}
        }
        for name in self.env.keys().chain(self.secret_env.keys()) {
            if name.starts_with("VOICEFLEET_") {
                return invalid(
                    format!("environment variable {name}"),
                    "names starting VOICEFLEET_ are reserved for the supervisor; rename it",
                );
            }
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return invalid(format!("environment variable `{name}`"), "not a valid variable name");
            }
        }
        for secret in self.secret_env.values() {
            if !crate::config::is_valid_secret_name(secret) {
                return Err(Error::InvalidSecretName { name: secret.clone() });
            }
        }
        if let Some(dir) = &self.working_dir
            && !dir.is_absolute()
        {
            return invalid(format!("working directory {}", dir.display()), "give an absolute path");
        }
        Ok(())
    }
}
