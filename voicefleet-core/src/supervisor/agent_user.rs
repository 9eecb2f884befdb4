//! `runtime.user`: the Unix user a voice agent runs as, and what the host hands that user.
//!
//! A host agent running as root starts the voice agent as `runtime.user` (the shim sets its
//! group, its user, and clears its supplementary groups before the program runs), so the agent
//! cannot read the daemon's files. What the agent is given:
//! - its working directory, `STATE/agent` (owned by the user, 0700), unless
//!   `runtime.working_dir` names one, which is left as the operator made it;
//! - a copy of its configuration, `STATE/agent-config.json` (owned by the user, 0600), in
//!   `VOICEFLEET_CONFIG`: the daemon's own `STATE/config.json` stays private;
//! - its stdout and stderr pipes (the shim's, which the agent inherits);
//! - passage through the state directory (0711: it can reach those two paths by name, never list
//!   the directory); every other file there is 0600 and every other directory 0700.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use nix::unistd::{Uid, User};

use super::state_dir::{Loaded, Paths};
use crate::config::{Issue, Severity};
use crate::error::{Error, Result};

/// The user a voice agent is started as, when it is not the daemon's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AgentUser {
    pub(super) name: String,
    pub(super) uid: u32,
    pub(super) gid: u32,
    /// The user's home directory, the agent's `HOME`.
    pub(super) home: PathBuf,
}

/// Why `runtime.user = name` cannot be honoured on this host, if it cannot, and what to do: the
/// user does not exist, or the daemon is not root and the user is not the daemon's.
fn problem(name: &str) -> Option<String> {
    match User::from_name(name) {
        Ok(Some(user)) => {
            let me = Uid::effective();
            (user.uid != me && !me.is_root()).then(|| {
                format!(
                    "the host agent runs as uid {me}, not root, so it cannot start the agent as `{name}`; \
                     run the host agent as root, or unset runtime.user"
                )
            })
        }
        Ok(None) => Some(format!(
            "`{name}` is not a user on this host; create it (`useradd --system --no-create-home {name}`), \
             or unset runtime.user"
        )),
        Err(error) => Some(format!("cannot look up the user `{name}` on this host: {error}")),
    }
}

/// The error issue of a `runtime.user` this host cannot honour, if so.
pub(super) fn issue(user: Option<&str>) -> Option<Issue> {
    user.and_then(problem).map(|message| Issue {
        path: "runtime.user".to_owned(),
        code: "not_on_this_host".to_owned(),
        severity: Severity::Error,
        message,
    })
}

/// The refusal of a document whose `runtime.user` cannot be honoured here (applied nowhere).
pub(super) fn check(user: Option<&str>) -> Result<()> {
    match issue(user) {
        Some(issue) => Err(Error::InvalidConfig { issues: vec![issue] }),
        None => Ok(()),
    }
}

/// The refusal of a host-wide default user (`--agent-user`) this host cannot honour.
pub(super) fn check_default(user: Option<&str>) -> Result<()> {
    match user.and_then(problem) {
        Some(reason) => Err(Error::InvalidValue {
            value: format!("default agent user {}", user.unwrap_or_default()),
            reason: reason.replace("unset runtime.user", "run the agents as the daemon's own user"),
        }),
        None => Ok(()),
    }
}

/// The user a configuration's agent runs as: its `runtime.user`, else the host's default.
pub(super) fn configured<'a>(loaded: &'a Loaded, default: Option<&'a str>) -> Option<&'a str> {
    loaded.spec.user.as_deref().or(default)
}

/// The user to start the agent as: `None` when that is the daemon's own user (unset, or the
/// daemon's name), else the resolved user. Errors as [`check`] does.
pub(super) fn resolve(user: Option<&str>) -> Result<Option<AgentUser>> {
    let Some(name) = user else { return Ok(None) };
    check(Some(name))?;
    let user = User::from_name(name)
        .ok()
        .flatten()
        .ok_or_else(|| Error::Unavailable { message: format!("runtime.user `{name}` vanished") })?;
    if user.uid == Uid::effective() {
        return Ok(None);
    }
    Ok(Some(AgentUser {
        name: name.to_owned(),
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        home: user.dir,
    }))
}

/// The configuration file the agent reads (`VOICEFLEET_CONFIG`): the daemon's own when the
/// agent runs as the daemon's user, else its copy.
pub(super) fn config_path(paths: &Paths, user: Option<&AgentUser>) -> PathBuf {
    match user {
        Some(_) => paths.agent_config.clone(),
        None => paths.config.clone(),
    }
}

/// Hands `user` what it needs before a start or a reload (see the module's documentation), or,
/// with no other user, closes the state directory to everyone else again.
pub(super) fn prepare(paths: &Paths, loaded: &Loaded, user: Option<&AgentUser>) -> Result<()> {
    let Some(user) = user else {
        set_mode(&paths.state, 0o700)?;
        let _ = std::fs::remove_file(&paths.agent_config);
        return Ok(());
    };
    for private in [&paths.logs, &paths.run] {
        set_mode(private, 0o700)?;
    }
    set_mode(&paths.state, 0o711)?;
    if loaded.spec.working_dir.is_none() {
        give(&paths.agent, user, 0o700)?;
    }
    let Some(document) = &loaded.document else { return Ok(()) };
    crate::fs::write_atomic(&paths.agent_config, document.to_json_pretty().as_bytes(), 0o600)
        .map_err(|e| super::state_dir::write_error("the agent's configuration copy", &paths.state, e))?;
    give(&paths.agent_config, user, 0o600)
}

/// The state directory's mode when the daemon opens it: passable when the applied
/// configuration runs the agent as another user (the agent may be running already), else 0700.
pub(super) fn open_state(paths: &Paths, loaded: Option<&Loaded>, default: Option<&str>) {
    let other_user = loaded
        .and_then(|loaded| resolve(configured(loaded, default)).ok())
        .is_some_and(|user| user.is_some());
    let _ = set_mode(&paths.state, if other_user { 0o711 } else { 0o700 });
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(format!("cannot set the mode of {}", path.display()), e))
}

/// Makes `path` the user's, with `mode`. Needs CAP_CHOWN (root).
fn give(path: &Path, user: &AgentUser, mode: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(|e| {
        Error::io(
            format!(
                "cannot hand {} to runtime.user `{}` (the host agent needs CAP_CHOWN)",
                path.display(),
                user.name
            ),
            e,
        )
    })?;
    set_mode(path, mode)
}
