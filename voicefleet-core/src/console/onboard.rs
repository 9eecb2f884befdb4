//! Onboarding: a customer's host launched and brought to a running voice agent. The console
//! makes the host's TLS key and certificate (and pins the certificate), renders the host's
//! cloud-init user data from the shipped template, launches the instance, records the customer
//! (endpoint, pin) and the launch spec (so recovery can launch a replacement), creates the first
//! revision when one is given, then waits for the host agent to answer, deploys the latest
//! revision with its secrets, starts the agent, and finishes when the agent is `running`.
//!
//! The customer is recorded as soon as its instance is launched, not when the host answers: a
//! host that never answers leaves a customer the operator can look at (`voicefleet status`,
//! the instance's console output) and finish by hand (`config deploy`, `start`), and recovery
//! has the launch spec.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Actor, Console, CustomerRecord, RevisionInput};
use crate::auth::Role;
use crate::customer::{CustomerId, parse_endpoint, parse_tag};
use crate::error::{Error, Result};
use crate::instances::{
    HostUserData, Instance, LaunchSpec, derived_endpoint, render_host_user_data, self_signed,
};
use crate::lifecycle::ProcessState;
use crate::transport::HostTrust;

/// Days the bootstrap certificate is valid (as the template's self-signed one).
const CERTIFICATE_DAYS: u32 = 825;

/// A customer's host to launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Onboarding {
    /// The customer the host is for: an existing one, or a new one recorded when the instance
    /// launches.
    pub customer_id: String,
    /// For a new customer (default: its id); an existing customer keeps its own.
    pub name: String,
    /// `key=value` tags for a new customer.
    pub tags: Vec<String>,
    /// How to launch it; its user data is onboarding's to render (give none).
    pub spec: LaunchSpec,
    /// Where the host downloads the `voicefleet-agent` package (https).
    pub package_url: String,
    /// The host agent's URL, when set by hand; `None`: `https://ADDRESS:PORT` of the instance.
    pub endpoint: Option<String>,
    /// The first configuration document, for a customer without a revision.
    pub config: Option<serde_json::Value>,
    /// How long to wait for the host agent to answer, and then for the agent to run.
    pub timeout: Duration,
}

/// One step done, as it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardProgress {
    /// `launched`, `registered`, `revision`, `answered`, `deployed`, `running`.
    pub step: &'static str,
    /// What was done, in words (the instance id, the endpoint, the revision).
    pub detail: String,
    /// When it was done, in milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// What onboarding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardReport {
    /// The customer onboarded.
    pub customer_id: String,
    /// Its instance, as the cloud reported it after the launch.
    pub instance: Instance,
    /// The host agent's URL the console registered.
    pub endpoint: String,
    /// The pin of the host's certificate (`sha256:…`).
    pub pin_sha256: String,
    /// The revision deployed.
    pub revision: u64,
    /// Every step, in the order done.
    pub steps: Vec<OnboardProgress>,
}

/// Receives each step as it is done.
pub type Progress<'a> = &'a (dyn Fn(&OnboardProgress) + Send + Sync);

pub(super) async fn onboard(
    console: &Console,
    actor: &Actor,
    request: Onboarding,
    progress: Progress<'_>,
) -> Result<OnboardReport> {
    let id = request.customer_id.clone();
    console.require(actor, Role::Admin, "customer.onboard", &id).await?;
    let result = run(console, actor, request, progress).await;
    console.audit_outcome(actor, "customer.onboard", &id, &result).await;
    result
}

async fn run(
    console: &Console,
    actor: &Actor,
    request: Onboarding,
    progress: Progress<'_>,
) -> Result<OnboardReport> {
    // Everything is checked before anything is launched.
    let customer = CustomerId::parse(&request.customer_id)?;
    let id = customer.as_str().to_owned();
    request.spec.validate()?;
    if request.spec.user_data.is_some() {
        return Err(Error::InvalidValue {
            value: "user data".to_owned(),
            reason: "onboarding renders the host's cloud-init user data itself; give none".to_owned(),
        });
    }
    let explicit = request.endpoint.as_deref().map(parse_endpoint).transpose()?;
    let tags = request.tags.iter().map(|t| parse_tag(t)).collect::<Result<BTreeMap<_, _>>>()?;
    let provider = console.provider()?.clone();
    let public_key = console.options.host_public_key_pem.clone().ok_or_else(|| {
        Error::blocked("this console has no public key for its hosts", crate::Remedy::GiveHostPublicKey)
    })?;
    let existing = console.store.customer(&id).await?;
    if existing.is_some() {
        let report = console.report().await?;
        if let Some(linked) = report.mapping.linked.iter().find(|l| l.customer == customer)
            && !linked.instance.state.is_gone()
        {
            return Err(Error::blocked(
                format!(
                    "customer `{id}` already has instance {} ({})",
                    linked.instance.id, linked.instance.state
                ),
                crate::Remedy::UseExistingInstance { customer: id.to_string() },
            ));
        }
    }
    let has_revision = existing.is_some() && console.latest_revision(&id).await?.is_some();
    if !has_revision && request.config.is_none() {
        return Err(Error::blocked(
            format!("customer `{id}` has no configuration revision to deploy"),
            crate::Remedy::GiveFirstConfig,
        ));
    }
    if let Some(document) = &request.config {
        crate::config::ConfigDocument::from_value(document.clone())?;
    }
    let tls = self_signed(&id, console.options.clock.now_ms(), CERTIFICATE_DAYS)?;
    let user_data = render_host_user_data(&HostUserData {
        customer_id: &customer,
        package_url: &request.package_url,
        console_public_key_pem: &public_key,
        tls: Some(&tls),
    })?;
    let spec = LaunchSpec { user_data: Some(user_data.clone()), ..request.spec };

    let mut steps = Vec::new();
    let mut step = |name: &'static str, detail: String| {
        let done = OnboardProgress { step: name, detail, at_ms: console.options.clock.now_ms() };
        progress(&done);
        steps.push(done);
    };
    let instance = provider.launch(&customer, &spec, &user_data).await?;
    console.store_instance(&instance).await?;
    step("launched", format!("instance {} ({}) is {}", instance.id, instance.instance_type, instance.state));

    let endpoint = match explicit {
        Some(endpoint) => endpoint,
        None => derived_endpoint(&instance, console.options.instance_mapping).ok_or_else(|| {
            Error::blocked(
                format!("instance {} has no address yet to reach its host agent at", instance.id),
                crate::Remedy::GiveEndpoint,
            )
        })?,
    };
    let trust = HostTrust { ca_pem: None, pin_sha256: Some(tls.pin_sha256.clone()) };
    let record = match existing {
        Some(record) => CustomerRecord { endpoint: endpoint.to_string(), trust, ..record },
        None => CustomerRecord {
            id: id.clone(),
            name: if request.name.trim().is_empty() { id.clone() } else { request.name.trim().to_owned() },
            endpoint: endpoint.to_string(),
            tags,
            created_at_ms: console.options.clock.now_ms(),
            deployed_revision: None,
            trust,
        },
    };
    let audit = console.audit_record(actor, "customer.register", &id);
    if console.store.customer(&id).await?.is_some() {
        console.store.update_customer(record.clone(), audit).await?;
    } else {
        console.store.insert_customer(record.clone(), audit).await?;
    }
    console.statuses.remove(&id);
    let audit = console.audit_record(actor, "instance.launch_spec", &id);
    console.store.put_launch_spec(&id, spec, audit).await?;
    step("registered", format!("{endpoint}, certificate pinned {}", tls.pin_sha256));

    if let Some(document) = request.config {
        let input = RevisionInput::Full { document };
        let made = console.new_revision(actor, &id, None, input, "onboarding").await?;
        step("revision", format!("revision {} created", made.number));
    }
    let deadline = tokio::time::Instant::now() + request.timeout;
    let revision = console.bring_up(actor, &record, deadline, &instance, &mut step).await?;
    Ok(OnboardReport {
        customer_id: id,
        instance,
        endpoint: endpoint.to_string(),
        pin_sha256: tls.pin_sha256,
        revision,
        steps,
    })
}

impl Console {
    /// Waits (until `deadline`) for the customer's host agent to answer, deploys the latest
    /// revision with its secrets, starts the agent and waits for it to run; the revision.
    pub(super) async fn bring_up(
        &self,
        actor: &Actor,
        record: &CustomerRecord,
        deadline: tokio::time::Instant,
        instance: &Instance,
        step: &mut (dyn FnMut(&'static str, String) + Send),
    ) -> Result<u64> {
        let id = &record.id;
        let host = self.host(record)?;
        let started = tokio::time::Instant::now();
        let waited = |what: &str| {
            format!(
                "{what} within {}s (instance {}, endpoint {})",
                started.elapsed().as_secs(),
                instance.id,
                record.endpoint
            )
        };
        loop {
            let last_error = match tokio::time::timeout(self.options.host_timeout, host.status()).await {
                Ok(Ok(_)) => break,
                Ok(Err(error)) => error.to_string(),
                Err(_) => "no answer".to_owned(),
            };
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::NotReady {
                    message: format!(
                        "{} (last: {last_error}); the customer and its launch spec are recorded",
                        waited("the host agent did not answer")
                    ),
                    remedy: crate::Remedy::FinishOnboarding { customer: id.to_string() },
                });
            }
            tokio::time::sleep(self.options.health_poll).await;
        }
        step("answered", format!("the host agent at {} answers", record.endpoint));
        let revision = self
            .latest_revision(id)
            .await?
            .ok_or_else(|| Error::RevisionNotFound { customer: id.clone(), number: None })?;
        let fresh = self.record(id).await?;
        self.deploy_record(actor, &fresh, &revision).await?;
        step("deployed", format!("revision {} with its secrets", revision.number));
        let mut state = host.start().await?.state;
        while state != ProcessState::Running {
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::NotReady {
                    message: waited(&format!("the agent is {state}, not running,")),
                    remedy: crate::Remedy::InspectAgent { customer: id.to_string() },
                });
            }
            tokio::time::sleep(self.options.health_poll).await;
            state = host.status().await?.state;
        }
        self.statuses.remove(id);
        step("running", "the agent is running".to_owned());
        Ok(revision.number)
    }
}
