//! `RawConsole`: the fleet trait for Python, over the embedded console or a console server.
//! Each method is one call on core's `Fleet` (or the accounts) through [`crate::runtime::block_on`]
//! (GIL released, Ctrl-C honoured); results cross as JSON text that the pure-Python wrapper
//! (`voicefleet/_console.py`) turns into value classes.

mod backend;
mod instances;
mod requests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use serde::Serialize;
use serde_json::json;
use voicefleet_core::console::{
    Actor, ControlAction, Fleet, InstanceControl, NewCustomer, RevisionInput, Selector,
};
use voicefleet_core::host::LogQuery;
use voicefleet_core::logs::LogLine;
use voicefleet_http::{ConsoleClient, open_embedded};

use self::backend::Backend;
use crate::exceptions::to_py_err;
use crate::runtime::{block_on, ensure_same_process};

/// How long the embedded console waits for one host.
const HOST_TIMEOUT: Duration = Duration::from_secs(3);

fn to_json(value: &impl Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|error| {
        to_py_err(voicefleet_core::Error::Internal { message: format!("cannot encode an answer: {error}") })
    })
}

fn lines_json(lines: &[LogLine]) -> PyResult<String> {
    let lines: Vec<_> = lines
        .iter()
        .map(|line| json!({"seq": line.seq, "ts_ms": line.ts_ms, "stream": line.stream.as_str(), "text": line.text}))
        .collect();
    to_json(&lines)
}

fn selector(text: &str) -> PyResult<Selector> {
    Selector::parse(text).map_err(to_py_err)
}

/// The fleet; use `voicefleet.Console`, which wraps this.
#[pyclass(module = "voicefleet._voicefleet", frozen)]
pub(crate) struct RawConsole {
    backend: Backend,
    fleet: Arc<dyn Fleet>,
    actor: Actor,
    /// The process that opened it (a forked child must open its own).
    pid: u32,
    first_admin: Option<(String, String)>,
}

impl RawConsole {
    fn new(backend: Backend, first_admin: Option<(String, String)>) -> Self {
        let (fleet, actor) = (backend.fleet(), backend.actor());
        Self { backend, fleet, actor, pid: std::process::id(), first_admin }
    }

    /// The fleet and the actor, in the process that opened them.
    fn parts(&self) -> PyResult<(Arc<dyn Fleet>, Actor)> {
        ensure_same_process(self.pid)?;
        Ok((self.fleet.clone(), self.actor.clone()))
    }
}

#[pymethods]
impl RawConsole {
    #[staticmethod]
    fn open(py: Python<'_>, data_dir: PathBuf) -> PyResult<Self> {
        let embedded = block_on(py, open_embedded(data_dir, None, HOST_TIMEOUT))?;
        let first_admin = embedded.first_admin.clone();
        Ok(Self::new(Backend::Local(Box::new(embedded)), first_admin))
    }

    #[staticmethod]
    #[pyo3(signature = (url, token=None))]
    fn connect(url: &str, token: Option<String>) -> PyResult<Self> {
        let client = ConsoleClient::new(url, token).map_err(to_py_err)?;
        Ok(Self::new(Backend::Remote(client), None))
    }

    /// `("embedded", data_dir)` or `("remote", url)`.
    fn location(&self) -> (String, String) {
        match &self.backend {
            Backend::Remote(client) => ("remote".to_owned(), client.base_url()),
            Backend::Local(embedded) => ("embedded".to_owned(), embedded.data_dir.display().to_string()),
        }
    }

    /// The first admin's name and password when this open created them (shown once).
    fn first_admin(&self) -> Option<(String, String)> {
        self.first_admin.clone()
    }

    fn whoami(&self, py: Python<'_>) -> PyResult<String> {
        ensure_same_process(self.pid)?;
        to_json(&block_on(py, self.backend.whoami())?)
    }

    // Customers.

    fn customers(&self, py: Python<'_>, selector_text: &str) -> PyResult<String> {
        let ((fleet, actor), selector) = (self.parts()?, selector(selector_text)?);
        to_json(&block_on(py, async move { fleet.customers(&actor, &selector).await })?)
    }

    fn customer(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.customer(&actor, &id).await })?)
    }

    #[pyo3(signature = (id, endpoint, name, tags, ca_pem=None, pin_sha256=None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments, one by one
    fn add_customer(
        &self,
        py: Python<'_>,
        id: String,
        endpoint: String,
        name: String,
        tags: Vec<String>,
        ca_pem: Option<String>,
        pin_sha256: Option<String>,
    ) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let trust = voicefleet_core::transport::HostTrust { ca_pem, pin_sha256 };
        let customer = NewCustomer { id, name, endpoint, tags, trust };
        to_json(&block_on(py, async move { fleet.add_customer(&actor, customer).await })?)
    }

    fn remove_customer(&self, py: Python<'_>, id: String) -> PyResult<()> {
        let (fleet, actor) = self.parts()?;
        block_on(py, async move { fleet.remove_customer(&actor, &id).await })
    }

    fn tag_customer(
        &self,
        py: Python<'_>,
        id: String,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.tag_customer(&actor, &id, add, remove).await })?)
    }

    // Status, control, logs, metrics, alerts.

    fn status(&self, py: Python<'_>, selector_text: &str) -> PyResult<String> {
        let ((fleet, actor), selector) = (self.parts()?, selector(selector_text)?);
        to_json(&block_on(py, async move { fleet.status(&actor, &selector).await })?)
    }

    #[pyo3(signature = (id, action, drain_timeout=None))]
    fn control(
        &self,
        py: Python<'_>,
        id: String,
        action: &str,
        drain_timeout: Option<f64>,
    ) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let action = ControlAction::parse(action).ok_or_else(|| {
            to_py_err(voicefleet_core::Error::InvalidValue {
                value: action.to_owned(),
                reason: "the action is start, stop, restart or drain".to_owned(),
            })
        })?;
        let timeout = requests::drain_timeout(drain_timeout).map_err(to_py_err)?;
        to_json(&block_on(py, async move { fleet.control(&actor, &id, action, timeout).await })?)
    }

    fn logs_tail(&self, py: Python<'_>, id: String, n: usize, stream: &str) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let query =
            LogQuery::Tail { n: n.clamp(1, 10_000), stream: requests::stream(stream).map_err(to_py_err)? };
        lines_json(&block_on(py, async move { fleet.logs(&actor, &id, query).await })?)
    }

    fn logs_after(
        &self,
        py: Python<'_>,
        id: String,
        cursor: u64,
        limit: usize,
        stream: &str,
    ) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let stream = requests::stream(stream).map_err(to_py_err)?;
        let query = LogQuery::After { cursor, limit: limit.clamp(1, 10_000), stream };
        lines_json(&block_on(py, async move { fleet.logs(&actor, &id, query).await })?)
    }

    fn metrics(&self, py: Python<'_>, id: String, since_ms: u64, until_ms: u64) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.metrics(&actor, &id, since_ms, until_ms).await })?)
    }

    fn alerts(&self, py: Python<'_>, include_resolved: bool) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.alerts(&actor, include_resolved).await })?)
    }

    // Configuration revisions.

    fn revisions(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.revisions(&actor, &id).await })?)
    }

    fn revision(&self, py: Python<'_>, id: String, number: u64) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.revision(&actor, &id, number).await })?)
    }

    fn push_document(
        &self,
        py: Python<'_>,
        id: String,
        document_json: &str,
        message: String,
    ) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let input = RevisionInput::Full { document: requests::document(document_json).map_err(to_py_err)? };
        to_json(&block_on(py, async move { fleet.create_revision(&actor, &id, input, &message).await })?)
    }

    fn patch(&self, py: Python<'_>, id: String, operations_json: &str, message: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let input =
            RevisionInput::Patch { operations: requests::operations(operations_json).map_err(to_py_err)? };
        to_json(&block_on(py, async move { fleet.create_revision(&actor, &id, input, &message).await })?)
    }

    fn diff(&self, py: Python<'_>, id: String, from: u64, to: u64) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.diff(&actor, &id, from, to).await })?)
    }

    fn rollback(&self, py: Python<'_>, id: String, number: u64, message: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.rollback(&actor, &id, number, &message).await })?)
    }

    #[pyo3(signature = (id, number=None))]
    fn deploy(&self, py: Python<'_>, id: String, number: Option<u64>) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.deploy(&actor, &id, number).await })?)
    }

    // Secrets (write-only).

    fn set_secret(&self, py: Python<'_>, id: String, name: String, value: String) -> PyResult<()> {
        let (fleet, actor) = self.parts()?;
        block_on(py, async move { fleet.set_secret(&actor, &id, &name, &value).await })
    }

    fn secrets(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.secrets(&actor, &id).await })?)
    }

    fn delete_secret(&self, py: Python<'_>, id: String, name: String) -> PyResult<()> {
        let (fleet, actor) = self.parts()?;
        block_on(py, async move { fleet.delete_secret(&actor, &id, &name).await })
    }

    #[pyo3(signature = (id, name=None))]
    fn check_secrets(&self, py: Python<'_>, id: String, name: Option<String>) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.check_secrets(&actor, &id, name.as_deref()).await })?)
    }

    // Bulk runs.

    fn start_bulk(&self, py: Python<'_>, request_json: &str) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let spec =
            requests::BulkRequest::parse(request_json).and_then(|r| r.into_spec()).map_err(to_py_err)?;
        to_json(&block_on(py, async move { fleet.start_bulk(&actor, spec).await })?)
    }

    fn bulk_run(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.bulk_run(&actor, &id).await })?)
    }

    fn bulk_runs(&self, py: Python<'_>, limit: usize) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.bulk_runs(&actor, limit.clamp(1, 1000)).await })?)
    }

    fn cancel_bulk(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.cancel_bulk(&actor, &id).await })?)
    }

    // Audit.

    fn audit(&self, py: Python<'_>, after: u64, limit: usize) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.audit(&actor, after, limit.clamp(1, 1000)).await })?)
    }

    fn verify_audit(&self, py: Python<'_>) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&block_on(py, async move { fleet.verify_audit(&actor).await })?)
    }

    // Users and tokens (admins).

    fn users(&self, py: Python<'_>) -> PyResult<String> {
        ensure_same_process(self.pid)?;
        to_json(&block_on(py, self.backend.users())?)
    }

    fn add_user(&self, py: Python<'_>, name: &str, role: &str, password: &str) -> PyResult<String> {
        ensure_same_process(self.pid)?;
        let role = requests::role(role).map_err(to_py_err)?;
        to_json(&block_on(py, self.backend.add_user(name, role, password))?)
    }

    fn remove_user(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        ensure_same_process(self.pid)?;
        block_on(py, self.backend.remove_user(name))
    }

    #[pyo3(signature = (name, password, current_password=None))]
    fn set_password(
        &self,
        py: Python<'_>,
        name: &str,
        password: &str,
        current_password: Option<&str>,
    ) -> PyResult<()> {
        ensure_same_process(self.pid)?;
        block_on(py, self.backend.set_password(name, password, current_password))
    }

    fn tokens(&self, py: Python<'_>) -> PyResult<String> {
        ensure_same_process(self.pid)?;
        to_json(&block_on(py, self.backend.tokens())?)
    }

    #[pyo3(signature = (name, role, expires_in_seconds=None))]
    fn create_token(
        &self,
        py: Python<'_>,
        name: &str,
        role: &str,
        expires_in_seconds: Option<u64>,
    ) -> PyResult<String> {
        ensure_same_process(self.pid)?;
        let role = requests::role(role).map_err(to_py_err)?;
        to_json(&block_on(py, self.backend.create_token(name, role, expires_in_seconds))?)
    }

    fn revoke_token(&self, py: Python<'_>, id: &str) -> PyResult<()> {
        ensure_same_process(self.pid)?;
        block_on(py, self.backend.revoke_token(id))
    }

    fn instances(&self, py: Python<'_>) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&instances::report(&block_on(py, async move { fleet.instances(&actor).await })?))
    }

    fn sync_instances(&self, py: Python<'_>) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        to_json(&instances::report(&block_on(py, async move { fleet.sync_instances(&actor).await })?))
    }

    fn instance_control(&self, py: Python<'_>, id: String, action: &str) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let control = InstanceControl::parse(action).ok_or_else(|| {
            to_py_err(voicefleet_core::Error::InvalidValue {
                value: action.to_owned(),
                reason: "an instance action is start, stop, reboot or terminate".to_owned(),
            })
        })?;
        let instance = block_on(py, async move { fleet.instance_control(&actor, &id, control).await })?;
        to_json(&instances::instance(&instance))
    }

    fn resize_instance(&self, py: Python<'_>, id: String, instance_type: String) -> PyResult<String> {
        let (fleet, actor) = self.parts()?;
        let instance = block_on(py, async move { fleet.resize_instance(&actor, &id, &instance_type).await })?;
        to_json(&instances::instance(&instance))
    }
}
