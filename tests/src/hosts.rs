//! Real host agents on loopback for console tests: each an in-process daemon supervising the
//! simulated voice agent; plus hosts that are down or never answer.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use voicefleet_agent::{Daemon, Settings};
use voicefleet_core::config::{ConfigDocument, template};
use voicefleet_core::customer::CustomerId;
use voicefleet_core::keycheck::ProviderUrls;
use voicefleet_core::supervisor::ShimCommand;
pub use voicefleet_http::HostTokenSigner;
use voicefleet_http::{AgentClientOptions, AgentConnector};

use crate::{AgentCleanup, TempDir, workspace_binary};

/// A configuration that runs the simulated agent.
pub fn simulated_config(simulator: Value) -> ConfigDocument {
    let agent = workspace_binary("voicefleet-agent");
    let mut document = template("default").expect("the default template");
    document.set("runtime.command", json!([agent, "__simulate"])).expect("a valid command");
    document.set("runtime.start_seconds", json!(5)).expect("valid");
    document.set("extensions.simulator", simulator).expect("free-form");
    document
}

/// A running host agent.
#[derive(Debug)]
pub struct TestHost {
    pub customer_id: String,
    pub daemon: Option<Daemon>,
    pub endpoint: String,
    _cleanup: AgentCleanup,
    _dir: TempDir,
}

impl TestHost {
    /// Starts a host agent for `customer_id` trusting `signer`'s public key.
    pub async fn start(customer_id: &str, signer: &HostTokenSigner) -> TestHost {
        Self::start_with(customer_id, signer, ProviderUrls::default()).await
    }

    /// [`TestHost::start`] with the providers' API base URLs for key checks (a mock provider).
    pub async fn start_with(
        customer_id: &str,
        signer: &HostTokenSigner,
        provider_urls: ProviderUrls,
    ) -> TestHost {
        Self::start_full(customer_id, signer, provider_urls, None).await
    }

    /// [`TestHost::start`] serving HTTPS with this certificate and key (PEM files); its endpoint
    /// is `https://127.0.0.1:PORT`.
    pub async fn start_tls(customer_id: &str, signer: &HostTokenSigner, cert: &Path, key: &Path) -> TestHost {
        let tls = Some((cert.to_owned(), key.to_owned()));
        Self::start_full(customer_id, signer, ProviderUrls::default(), tls).await
    }

    async fn start_full(
        customer_id: &str,
        signer: &HostTokenSigner,
        provider_urls: ProviderUrls,
        tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    ) -> TestHost {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let dir = crate::scratch();
        let key = dir.path().join("console.pub.pem");
        std::fs::write(&key, signer.public_pem()).expect("write the key");
        let agent = workspace_binary("voicefleet-agent");
        let settings = Settings {
            customer_id: CustomerId::parse(customer_id).expect("a valid id"),
            state_dir: dir.path().join("state"),
            listen: ([127, 0, 0, 1], 0).into(),
            config: None,
            secrets_file: None,
            console_public_key: Some(key),
            tls,
            exposure: Default::default(),
            stop_agent_on_exit: true,
            rate_limit: 10_000,
            log_limits: Default::default(),
            provider_urls,
            shim: ShimCommand { program: agent, args: vec!["__shim".into()] },
            agent_user: None,
        };
        let daemon = Daemon::start(settings).await.expect("start a host agent");
        let endpoint = format!("{scheme}://{}", daemon.local_addr());
        TestHost {
            customer_id: customer_id.to_owned(),
            daemon: Some(daemon),
            endpoint,
            _cleanup: AgentCleanup(dir.path().join("state")),
            _dir: dir,
        }
    }

    pub async fn stop(&mut self) {
        if let Some(daemon) = self.daemon.take() {
            let _ = daemon.shutdown().await;
        }
    }
}

/// An endpoint where nothing listens.
pub fn down_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    format!("http://127.0.0.1:{port}")
}

/// An endpoint that accepts connections and never answers.
pub async fn slow_endpoint() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
            if held.len() > 1000 {
                held.clear();
            }
        }
    });
    (format!("http://{address}"), task)
}

/// A connector with a short timeout, for tests.
pub fn connector(signer: &HostTokenSigner) -> Arc<AgentConnector> {
    let options = AgentClientOptions {
        timeout: Duration::from_secs(5),
        retries: 0,
        retry_backoff: Duration::from_millis(10),
    };
    Arc::new(AgentConnector::new(signer.clone(), options))
}
