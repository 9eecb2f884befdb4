//! The state directory: where each file lives, and the one way JSON is read and written there.
//!
//! ```text
//! STATE/config.json        the applied document (0600; secret references only)
//! STATE/config.meta.json   its revision, hash, author, message
//! STATE/secrets.json       secret values (0600), exported to the agent's environment
//! STATE/supervisor.json    whether the agent should run, restart count
//! STATE/launched.json      a digest of the secrets the running instance was started with
//! STATE/logs/agent.log*    numbered lines, rotated by rename
//! STATE/run/child.json     the running instance (written by the shim)
//! STATE/run/exit.json      how it ended (written by the shim)
//! STATE/run/shim.log       the shim's own messages
//! STATE/agent/             the agent's working directory unless `runtime.working_dir` names one
//! STATE/agent-config.json  the agent's copy of config.json when it runs as `runtime.user`
//! ```
//!
//! The state directory is 0700, or 0711 while the agent runs as another user (see
//! `agent_user.rs`); every file in it is 0600 and every directory but `agent/` 0700.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::spec::ProcessSpec;
use crate::config::ConfigDocument;
use crate::error::{Error, Result};
use crate::host::ConfigRevision;

/// Every path of the state directory.
#[derive(Debug)]
pub(super) struct Paths {
    pub(super) state: PathBuf,
    pub(super) config: PathBuf,
    pub(super) meta: PathBuf,
    pub(super) secrets: PathBuf,
    pub(super) supervisor: PathBuf,
    pub(super) launched: PathBuf,
    pub(super) logs: PathBuf,
    pub(super) run: PathBuf,
    /// The agent's own working directory (not the state directory, next to its secrets).
    pub(super) agent: PathBuf,
    /// The agent's copy of the configuration when it runs as another user.
    pub(super) agent_config: PathBuf,
}

impl Paths {
    pub(super) fn new(state: &Path) -> Self {
        Self {
            state: state.to_path_buf(),
            config: state.join("config.json"),
            meta: state.join("config.meta.json"),
            secrets: state.join("secrets.json"),
            supervisor: state.join("supervisor.json"),
            launched: state.join("launched.json"),
            logs: state.join("logs"),
            run: state.join("run"),
            agent: state.join("agent"),
            agent_config: state.join("agent-config.json"),
        }
    }

    pub(super) fn child(&self) -> PathBuf {
        self.run.join("child.json")
    }

    pub(super) fn exit(&self) -> PathBuf {
        self.run.join("exit.json")
    }

    pub(super) fn shim_log(&self) -> PathBuf {
        self.run.join("shim.log")
    }

    /// Creates the directories (the state directory, its logs and its run records private to
    /// their owner).
    pub(super) fn create(&self) -> Result<()> {
        for dir in [&self.state, &self.logs, &self.run, &self.agent] {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        }
        use std::os::unix::fs::PermissionsExt as _;
        for private in [&self.state, &self.logs, &self.run] {
            let _ = std::fs::set_permissions(private, std::fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }

    pub(super) fn read_secrets(&self) -> BTreeMap<String, String> {
        read_json(&self.secrets).unwrap_or_default()
    }

    pub(super) fn write_secrets(&self, secrets: &BTreeMap<String, String>) -> Result<()> {
        write_json(&self.secrets, secrets)
    }

    /// The digest of the secrets the running instance was started with (see
    /// `launch::secrets_fingerprint`); `None` when unknown.
    pub(super) fn read_launched_secrets(&self) -> Option<String> {
        read_json::<Launched>(&self.launched).map(|launched| launched.secrets_sha256)
    }

    pub(super) fn write_launched_secrets(&self, secrets_sha256: String) -> Result<()> {
        write_json(&self.launched, &Launched { secrets_sha256 })
    }

    pub(super) fn read_persisted(&self) -> Persisted {
        read_json(&self.supervisor).unwrap_or_default()
    }

    pub(super) fn write_persisted(&self, persisted: &Persisted) -> Result<()> {
        write_json(&self.supervisor, persisted)
    }

    /// Like [`Paths::write_persisted`] without the flush to disk (a restart count on the way to
    /// a restart).
    pub(super) fn write_persisted_volatile(&self, persisted: &Persisted) -> Result<()> {
        let bytes =
            serde_json::to_vec_pretty(persisted).map_err(|e| Error::Internal { message: e.to_string() })?;
        crate::fs::write_atomic_volatile(&self.supervisor, &bytes, 0o600)
            .map_err(|e| write_error("supervisor.json", &self.state, e))
    }

    /// The applied configuration, if any. `now_ms` dates a document that has no metadata.
    pub(super) fn read_config(&self, now_ms: u64) -> Result<Option<Loaded>> {
        let text = match std::fs::read_to_string(&self.config) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(Error::io(format!("cannot read {}", self.config.display()), error)),
        };
        let document = ConfigDocument::parse(&text)?;
        let typed = document.typed()?;
        let revision =
            read_json::<StoredMeta>(&self.meta).map(ConfigRevision::from).unwrap_or_else(|| ConfigRevision {
                revision: 1,
                hash: document.content_hash(),
                applied_at_ms: now_ms,
                author: String::new(),
                message: String::new(),
            });
        let spec = ProcessSpec::from_runtime(&typed.runtime);
        Ok(Some(Loaded { document: Some(document), spec, revision: Some(revision) }))
    }

    /// Writes the document first, then its metadata: a crash in between leaves the new document
    /// with the old revision number, never a half-written file.
    pub(super) fn write_config(&self, document: &ConfigDocument, revision: &ConfigRevision) -> Result<()> {
        crate::fs::write_atomic(&self.config, document.to_json_pretty().as_bytes(), 0o600)
            .map_err(|e| write_error("the configuration", &self.state, e))?;
        write_json(&self.meta, &StoredMeta::from(revision))
    }
}

/// `STATE/launched.json`: what the running instance was started with.
#[derive(Debug, Serialize, Deserialize)]
struct Launched {
    secrets_sha256: String,
}

/// An error writing into the state directory, naming a full disk for what it is.
pub(super) fn write_error(what: &str, state: &Path, error: std::io::Error) -> Error {
    if Error::is_no_space(&error) {
        return Error::StorageFull {
            what: what.to_owned(),
            dir: format!("the state directory {}", state.display()),
        };
    }
    Error::io(format!("cannot write {what}"), error)
}

/// What the supervisor remembers across its own restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Persisted {
    pub(super) desired_running: bool,
    pub(super) restarts: u64,
}

/// What the supervisor runs: the applied configuration, parsed, or a process given without a
/// document (no document, no revision).
#[derive(Debug)]
pub(super) struct Loaded {
    pub(super) document: Option<ConfigDocument>,
    pub(super) spec: ProcessSpec,
    pub(super) revision: Option<ConfigRevision>,
}

impl Loaded {
    /// A process supervised without a configuration document.
    pub(super) fn process(spec: ProcessSpec) -> Self {
        Self { document: None, spec, revision: None }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMeta {
    revision: u64,
    hash: String,
    applied_at_ms: u64,
    author: String,
    message: String,
}

impl From<StoredMeta> for ConfigRevision {
    fn from(meta: StoredMeta) -> Self {
        ConfigRevision {
            revision: meta.revision,
            hash: meta.hash,
            applied_at_ms: meta.applied_at_ms,
            author: meta.author,
            message: meta.message,
        }
    }
}

impl From<&ConfigRevision> for StoredMeta {
    fn from(revision: &ConfigRevision) -> Self {
        StoredMeta {
            revision: revision.revision,
            hash: revision.hash.clone(),
            applied_at_ms: revision.applied_at_ms,
            author: revision.author.clone(),
            message: revision.message.clone(),
        }
    }
}

/// Reads a JSON file; `None` when it is missing or unreadable.
pub(super) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

/// Writes a JSON file atomically, private to its owner.
pub(super) fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Internal { message: e.to_string() })?;
    let what = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let state = path.parent().unwrap_or(path);
    crate::fs::write_atomic(path, &bytes, 0o600).map_err(|e| write_error(&what, state, e))
}
