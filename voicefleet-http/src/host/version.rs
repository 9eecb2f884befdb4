//! Which host API a host agent speaks. [`AgentClient`](super::client::AgentClient) reads the
//! host's `GET /v1/health` (a body whose shape every API version keeps) before anything else, at
//! most once a minute and again after a request failed, and reads no other answer from a host
//! whose `api_version` is not [`crate::HOST_API_VERSION`]: it is reported as
//! [`Error::IncompatibleHost`], never parsed as if it were ours.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use voicefleet_core::{Error, Result};

/// How long a host's answer about its version is trusted: an upgraded host agent restarts, and a
/// request that fails on the way makes the client ask again at once.
const RECHECK_AFTER: Duration = Duration::from_secs(60);

/// What the client reads of a host's `GET /v1/health`, leniently: a host from before API
/// versions answered no `api_version`, and spoke version 1.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HealthAnswer {
    #[serde(default)]
    pub(crate) version: Option<String>,
    #[serde(default)]
    pub(crate) api_version: Option<u32>,
}

/// A host's version as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    agent_version: String,
    api_version: u32,
}

/// What one client knows of its host's version; shared by the client's clones.
#[derive(Debug, Clone, Default)]
pub(crate) struct VersionCheck {
    known: Arc<Mutex<Option<(Instant, Known)>>>,
}

impl VersionCheck {
    /// The verdict on the host's version when it was read less than a minute ago.
    pub(crate) fn fresh(&self) -> Option<Result<String>> {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.as_ref().filter(|(at, _)| at.elapsed() < RECHECK_AFTER).map(|(_, known)| verdict(known))
    }

    /// Keeps what `answer` says and judges it: the host agent's version, or why it is not read.
    pub(crate) fn record(&self, answer: HealthAnswer) -> Result<String> {
        let known = Known {
            agent_version: answer.version.unwrap_or_else(|| "unknown".to_owned()),
            api_version: answer.api_version.unwrap_or(1),
        };
        let verdict = verdict(&known);
        *self.known.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), known));
        verdict
    }

    /// Forgets the host's version: the next request reads it again (after a failure, the host
    /// agent may have been replaced by another release).
    pub(crate) fn forget(&self) {
        *self.known.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

fn verdict(known: &Known) -> Result<String> {
    if known.api_version == crate::HOST_API_VERSION {
        Ok(known.agent_version.clone())
    } else {
        Err(Error::IncompatibleHost {
            agent_version: known.agent_version.clone(),
            host_api: known.api_version,
            supported: crate::HOST_API_VERSION,
        })
    }
}
