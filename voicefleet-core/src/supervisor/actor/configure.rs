//! Applying a configuration and keeping secrets: validate, write atomically, then reload or
//! drain-restart as `lifecycle::apply_action` says.

use std::collections::BTreeSet;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{Actor, restart_settings};
use crate::config::{ConfigDocument, ReloadMode, ValidateOptions};
use crate::error::{Error, Result};
use crate::host::{AppliedConfig, ApplyAction, ConfigRevision, HostEvent, RevisionMeta};
use crate::lifecycle::{ConfigChange, Event, ProcessState, apply_action};
use crate::supervisor::agent_user;
use crate::supervisor::launch::{self, host_warnings};
use crate::supervisor::spec::ProcessSpec;
use crate::supervisor::state_dir::Loaded;

impl Actor {
    pub(super) async fn apply(
        &mut self,
        document: ConfigDocument,
        meta: RevisionMeta,
    ) -> Result<AppliedConfig> {
        if self.options.process.is_some() {
            return Err(Error::conflict(
                "this supervisor runs a process given without a configuration document; it takes none",
                Some("open it without a process spec to supervise a configuration document"),
            ));
        }
        let secret_names: BTreeSet<String> = self.shared.paths.read_secrets().into_keys().collect();
        let validation = document.validate_with(&ValidateOptions { secret_names: Some(secret_names) });
        let mut warnings: Vec<_> = validation.warnings().cloned().collect();
        validation.into_result()?;
        let typed = document.typed()?;
        agent_user::check(typed.runtime.user.as_deref())?;
        warnings.extend(host_warnings(&typed.runtime.command, typed.runtime.working_dir.as_deref()));
        let hash = document.content_hash();
        let previous = self.config.as_ref();
        let revision = ConfigRevision {
            revision: meta.revision.unwrap_or_else(|| {
                previous.and_then(|p| p.revision.as_ref()).map(|r| r.revision + 1).unwrap_or(1)
            }),
            hash: hash.clone(),
            applied_at_ms: self.options.clock.now_ms(),
            author: meta.author,
            message: meta.message,
        };
        let launched = self.shared.paths.read_launched_secrets();
        let spec = ProcessSpec::from_runtime(&typed.runtime);
        let reload_by_signal = typed.runtime.reload == ReloadMode::Signal;
        let loaded = Loaded { document: Some(document), spec, revision: Some(revision.clone()) };
        let secrets_now = launch::secrets_fingerprint(&loaded, &self.shared.paths.read_secrets());
        let document = loaded.document.as_ref().expect("just set");
        let action = apply_action(ConfigChange {
            // Unknown (an instance from before this digest existed): not a reason to restart.
            secrets_changed: launched.is_some_and(|launched| launched != secrets_now),
            agent_running: matches!(self.state, ProcessState::Starting | ProcessState::Running),
            unchanged: previous.and_then(|p| p.revision.as_ref()).is_some_and(|r| r.hash == hash),
            reload_by_signal,
            runtime_changed: previous.is_none_or(|p| {
                p.document.as_ref().and_then(|d| d.get("runtime").ok()) != document.get("runtime").ok()
            }),
        });
        if action == ApplyAction::Restarted {
            self.check_can_control()?;
        }
        self.shared.paths.write_config(document, &revision)?;
        self.config = Some(loaded);
        let settings = restart_settings(&self.options, self.config.as_ref());
        self.restarts.set_settings(settings);
        match action {
            ApplyAction::Reloaded => {
                let default = self.options.default_agent_user.as_deref();
                if let Some(loaded) = &self.config
                    && let Ok(user) = agent_user::resolve(agent_user::configured(loaded, default))
                {
                    // The agent run as another user rereads its own copy.
                    agent_user::prepare(&self.shared.paths, loaded, user.as_ref())?;
                }
                if let Some(instance) = &self.instance {
                    let _ = kill(Pid::from_raw(instance.info.pid), Signal::SIGHUP);
                }
            }
            ApplyAction::Restarted => {
                self.start_after_stop = true;
                self.pending_drain = Some((self.drain_timeout(), Some(self.options.stop_grace)));
                self.fire(Event::StopRequested).await;
            }
            ApplyAction::Stored => {}
        }
        self.emit(HostEvent::ConfigApplied {
            at_ms: self.options.clock.now_ms(),
            revision: revision.revision,
            hash,
            action,
        });
        Ok(AppliedConfig { revision, action, warnings })
    }

    pub(super) fn set_secret(&mut self, name: String, value: String) -> Result<()> {
        if !crate::config::is_valid_secret_name(&name) {
            return Err(Error::InvalidSecretName { name });
        }
        let mut secrets = self.shared.paths.read_secrets();
        secrets.insert(name, value);
        self.shared.paths.write_secrets(&secrets)
    }

    pub(super) fn delete_secret(&mut self, name: &str) -> Result<()> {
        let mut secrets = self.shared.paths.read_secrets();
        if secrets.remove(name).is_none() {
            return Err(Error::SecretNotFound { name: name.to_owned() });
        }
        if let Some(loaded) = &self.config
            && (loaded.document.as_ref().is_some_and(|d| d.secret_references().contains(name))
                || loaded.spec.secret_env.values().any(|secret| secret == name))
        {
            return Err(Error::conflict(
                format!("secret `{name}` is referenced by the current configuration"),
                Some("apply a configuration that no longer references it first"),
            ));
        }
        self.shared.paths.write_secrets(&secrets)
    }
}
