//! [`Supervisor::builder`]: a supervisor set up one option at a time, for a program given
//! directly ([`SupervisorBuilder::command`]) or for the configuration documents applied to it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{ProcessSpec, ShimCommand, Supervisor, SupervisorOptions};
use crate::clock::SharedClock;
use crate::customer::CustomerId;
use crate::error::Result;
use crate::keycheck::{KeyProbe, ProviderUrls};
use crate::logs::LogLimits;

/// Builds a [`Supervisor`]; made by [`Supervisor::builder`].
///
/// ```no_run
/// use voicefleet_core::customer::CustomerId;
/// use voicefleet_core::host::Host as _;
/// use voicefleet_core::supervisor::Supervisor;
///
/// # async fn run() -> voicefleet_core::Result<()> {
/// let supervisor = Supervisor::builder(CustomerId::parse("acme")?, "/var/lib/acme")
///     .command(["sleep", "600"])
///     .open()
///     .await?;
/// supervisor.start().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `open` is called"]
pub struct SupervisorBuilder {
    /// The options so far; their shim is a placeholder until `open` unless `shim` is set.
    options: SupervisorOptions,
    shim: Option<ShimCommand>,
}

impl Supervisor {
    /// A builder for the supervisor of `customer_id`, keeping its state (applied document,
    /// secrets, logs, the running instance's records) in `state_dir`. Its shim is
    /// [`ShimCommand::current_exe`] unless [`SupervisorBuilder::shim`] names another.
    pub fn builder(customer_id: CustomerId, state_dir: impl Into<PathBuf>) -> SupervisorBuilder {
        let placeholder = ShimCommand { program: PathBuf::new(), args: Vec::new() };
        SupervisorBuilder { options: SupervisorOptions::new(customer_id, state_dir, placeholder), shim: None }
    }
}

impl SupervisorBuilder {
    /// Supervises this program (program first, then its arguments) with the defaults of
    /// [`ProcessSpec::new`]; no configuration document is needed, and none is accepted.
    pub fn command<I, S>(self, command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.process(ProcessSpec::new(command))
    }

    /// Supervises this process; no configuration document is needed, and none is accepted.
    pub fn process(mut self, spec: ProcessSpec) -> Self {
        self.options.process = Some(spec);
        self
    }

    /// Starts the shim this way (default: [`ShimCommand::current_exe`]).
    pub fn shim(mut self, shim: ShimCommand) -> Self {
        self.shim = Some(shim);
        self
    }

    /// Sets how large the log files grow and how many are kept.
    pub fn log_limits(mut self, limits: LogLimits) -> Self {
        self.options.log_limits = limits;
        self
    }

    /// Sets how long a stopped process may take to exit after its calls ended (default 1 s).
    pub fn stop_grace(mut self, grace: Duration) -> Self {
        self.options.stop_grace = grace;
        self
    }

    /// Sets how often resource metrics are sampled (default 1 s).
    pub fn metrics_interval(mut self, interval: Duration) -> Self {
        self.options.metrics_interval = interval;
        self
    }

    /// Sets the delay after the first failed start (default 1 s; it doubles up to the cap).
    pub fn backoff_initial(mut self, delay: Duration) -> Self {
        self.options.backoff_initial = delay;
        self
    }

    /// Sets where "now" comes from (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.options.clock = clock;
        self
    }

    /// Sets what sends live key checks (default: none; key checks are refused).
    pub fn key_probe(mut self, probe: Arc<dyn KeyProbe>) -> Self {
        self.options.key_probe = Some(probe);
        self
    }

    /// Sets each provider's API base URL for the key checks.
    pub fn provider_urls(mut self, urls: ProviderUrls) -> Self {
        self.options.provider_urls = urls;
        self
    }

    /// Sets the Unix user the process runs as when its spec or document names none.
    pub fn default_agent_user(mut self, user: impl Into<String>) -> Self {
        self.options.default_agent_user = Some(user.into());
        self
    }

    /// The options this builder describes.
    pub fn into_options(self) -> Result<SupervisorOptions> {
        let mut options = self.options;
        options.shim = match self.shim {
            Some(shim) => shim,
            None => ShimCommand::current_exe()?,
        };
        Ok(options)
    }

    /// Opens the supervisor (see [`Supervisor::open`]): the runtime, the spec and the state
    /// directory are checked here, and an error says what to change.
    pub async fn open(self) -> Result<Supervisor> {
        Supervisor::open(self.into_options()?).await
    }
}
