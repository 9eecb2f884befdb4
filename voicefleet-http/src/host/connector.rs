//! The console's side of the host contract: a [`HostConnector`] that hands the console an
//! [`AgentClient`] for each customer's host, each minting its own short-lived tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use voicefleet_core::Result;
use voicefleet_core::console::{CustomerRecord, HostConnector};
use voicefleet_core::host::Host;

use super::client::{AgentClient, AgentClientOptions, TokenSource};
use crate::console::telemetry::HostRequestMetrics;
use crate::token::{HOST_TOKEN_SECONDS, HostTokenSigner};

/// A token is used for this long, half its life, then a new one is signed: the host checks each
/// token's signature once (see `host/auth.rs`), so a console polling a thousand hosts makes them
/// verify a signature twice a minute rather than at every poll and reconnect.
const TOKEN_REUSE: Duration = Duration::from_secs(HOST_TOKEN_SECONDS / 2);

/// How long `audience`'s tokens are reused: between three quarters of [`TOKEN_REUSE`] and all
/// of it, spread by the audience's name, so a thousand hosts' tokens signed together at start
/// are not all renewed in the same second after that.
fn reuse_period(audience: &str) -> Duration {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    audience.hash(&mut hasher);
    let spread = TOKEN_REUSE.as_millis() as u64 / 4;
    TOKEN_REUSE - Duration::from_millis(hasher.finish() % spread.max(1))
}

/// Host tokens for `audience`, each reused for its [`reuse_period`].
fn reused_token(signer: HostTokenSigner, audience: String) -> impl Fn() -> String + Send + Sync + 'static {
    let current: Mutex<Option<(String, Instant)>> = Mutex::new(None);
    let period = reuse_period(&audience);
    move || {
        let mut current = current.lock().unwrap_or_else(|p| p.into_inner());
        match &*current {
            Some((token, signed)) if signed.elapsed() < period => token.clone(),
            _ => {
                let token = signer.host_token(&audience);
                *current = Some((token.clone(), Instant::now()));
                token
            }
        }
    }
}

/// Hands out one [`AgentClient`] per customer, each minting its own short-lived tokens.
pub struct AgentConnector {
    signer: HostTokenSigner,
    options: AgentClientOptions,
    /// One HTTP client for every host: a client per host would hold its own TLS configuration
    /// and pool bookkeeping, a thousand times over.
    http: Option<reqwest::Client>,
    metrics: Option<HostRequestMetrics>,
    clients: Mutex<HashMap<String, (String, Arc<AgentClient>)>>,
}

impl std::fmt::Debug for AgentConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentConnector(..)")
    }
}

impl AgentConnector {
    pub fn new(signer: HostTokenSigner, options: AgentClientOptions) -> Self {
        let http = super::client::http_client().ok();
        Self { signer, options, http, metrics: None, clients: Mutex::new(HashMap::new()) }
    }

    /// Every client it hands out records its requests in `metrics`.
    pub fn with_metrics(mut self, metrics: HostRequestMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }
}

impl HostConnector for AgentConnector {
    fn connect(&self, customer: &CustomerRecord) -> Result<Arc<dyn Host>> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        // A client is reused while the endpoint and the way its certificate is checked stay.
        let key = format!("{}\n{:?}", customer.endpoint, customer.trust);
        if let Some((known, client)) = clients.get(&customer.id)
            && *known == key
        {
            return Ok(client.clone());
        }
        let token = TokenSource::Mint(Arc::new(reused_token(self.signer.clone(), customer.id.clone())));
        let own = super::trust::client_for(&customer.trust)?;
        let mut client = match own.as_ref().or(self.http.as_ref()) {
            Some(http) => {
                AgentClient::with_http(&customer.endpoint, token, self.options.clone(), http.clone())?
            }
            None => AgentClient::new(&customer.endpoint, token, self.options.clone())?,
        };
        if let Some(metrics) = &self.metrics {
            client = client.with_metrics(metrics.clone());
        }
        let client = Arc::new(client);
        clients.insert(customer.id.clone(), (key, client.clone()));
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_token_is_reused_for_half_its_life() {
        let dir = tempfile::tempdir().unwrap();
        let signer = HostTokenSigner::load_or_create(dir.path()).unwrap();
        let mint = reused_token(signer.clone(), "acme".into());
        let first = mint();
        assert!(!first.is_empty());
        assert_eq!(mint(), first, "the same token while it is young");
        let other = reused_token(signer, "globex".into());
        assert_ne!(other(), first, "each host its own");
        assert!(TOKEN_REUSE.as_secs() * 2 <= HOST_TOKEN_SECONDS);
    }

    #[test]
    fn hosts_renew_their_tokens_at_different_moments() {
        let periods: std::collections::BTreeSet<Duration> =
            (0..100).map(|n| reuse_period(&format!("customer-{n}"))).collect();
        assert!(periods.len() > 90, "{} distinct periods of 100", periods.len());
        assert!(periods.iter().all(|p| *p <= TOKEN_REUSE && *p >= TOKEN_REUSE * 3 / 4));
    }
}
