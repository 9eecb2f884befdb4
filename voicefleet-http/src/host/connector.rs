//! The console's side of the host contract: a [`HostConnector`] that hands the console an
//! [`AgentClient`] for each customer's host, each minting its own short-lived tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use voicefleet_core::Result;
use voicefleet_core::console::{CustomerRecord, HostConnector};
use voicefleet_core::host::Host;

use super::client::{AgentClient, AgentClientOptions, TokenSource};
use crate::console::telemetry::HostRequestMetrics;
use crate::token::HostTokenSigner;

/// Hands out one [`AgentClient`] per customer, each minting its own short-lived tokens.
pub struct AgentConnector {
    signer: HostTokenSigner,
    options: AgentClientOptions,
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
        Self { signer, options, metrics: None, clients: Mutex::new(HashMap::new()) }
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
        if let Some((endpoint, client)) = clients.get(&customer.id)
            && *endpoint == customer.endpoint
        {
            return Ok(client.clone());
        }
        let signer = self.signer.clone();
        let audience = customer.id.clone();
        let token = TokenSource::Mint(Arc::new(move || signer.host_token(&audience)));
        let mut client = AgentClient::new(&customer.endpoint, token, self.options.clone())?;
        if let Some(metrics) = &self.metrics {
            client = client.with_metrics(metrics.clone());
        }
        let client = Arc::new(client);
        clients.insert(customer.id.clone(), (customer.endpoint.clone(), client.clone()));
        Ok(client)
    }
}
