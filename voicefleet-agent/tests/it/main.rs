//! The host agent end to end: real daemons on loopback, real voice-agent processes, real tokens.

mod adoption;
mod agent_user;
mod contract;
mod disk_full;
mod e2e;
mod host_audit;
mod hostinfo;
mod isolation;
mod systemd_unit;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use voicefleet_agent::{Daemon, Settings};
use voicefleet_core::auth::{Claims, Role};
use voicefleet_core::config::{ConfigDocument, template};
use voicefleet_core::customer::CustomerId;
use voicefleet_core::supervisor::ShimCommand;
use voicefleet_tests::{AgentCleanup, TempDir};

pub(crate) const AGENT: &str = env!("CARGO_BIN_EXE_voicefleet-agent");
pub(crate) const SECRETS: [&str; 3] = ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"];

/// The console's signing key for these tests, and its public half as PEM.
pub(crate) fn console_keys() -> &'static (EncodingKey, String) {
    static KEYS: OnceLock<(EncodingKey, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let signing = SigningKey::generate(&mut rand_core::OsRng);
        let private = signing.to_pkcs8_pem(Default::default()).unwrap();
        let public = signing.verifying_key().to_public_key_pem(Default::default()).unwrap();
        (EncodingKey::from_ed_pem(private.as_bytes()).unwrap(), public)
    })
}

pub(crate) fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A token signed by the test console.
pub(crate) fn token(audience: &str, role: Role, expires_in: i64) -> String {
    let now = now_seconds();
    let claims = Claims {
        sub: format!("test-{role}"),
        aud: audience.to_owned(),
        role,
        exp: (now as i64 + expires_in) as u64,
        iat: now,
        iss: "voicefleet-console".to_owned(),
        kind: voicefleet_core::auth::TokenKind::Host,
    };
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &console_keys().0).unwrap()
}

/// A configuration that runs the simulated agent (this crate's binary, `__simulate`).
pub(crate) fn simulated_config(simulator: Value) -> ConfigDocument {
    let mut document = template("default").unwrap();
    document.set("runtime.command", json!([AGENT, "__simulate"])).unwrap();
    document.set("runtime.start_seconds", json!(5)).unwrap();
    document.set("extensions.simulator", simulator).unwrap();
    document
}

/// A host agent on a free loopback port, in this process.
pub(crate) struct TestHost {
    pub(crate) daemon: Option<Daemon>,
    pub(crate) dir: TempDir,
    _cleanup: AgentCleanup,
}

impl TestHost {
    pub(crate) async fn start(customer: &str) -> TestHost {
        let dir = TempDir::new().unwrap();
        let cleanup = AgentCleanup(dir.path().join("state"));
        let daemon = Daemon::start(settings(dir.path(), customer, 0)).await.unwrap();
        TestHost { daemon: Some(daemon), dir, _cleanup: cleanup }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.daemon.as_ref().unwrap().local_addr())
    }

    pub(crate) fn admin_token(&self) -> String {
        self.daemon.as_ref().unwrap().admin_token().to_owned()
    }

    pub(crate) fn state(&self) -> std::path::PathBuf {
        self.dir.path().join("state")
    }
}

pub(crate) fn settings(dir: &Path, customer: &str, port: u16) -> Settings {
    let key_path = dir.join("console.pub.pem");
    std::fs::write(&key_path, &console_keys().1).unwrap();
    Settings {
        customer_id: CustomerId::parse(customer).unwrap(),
        state_dir: dir.join("state"),
        listen: ([127, 0, 0, 1], port).into(),
        config: None,
        secrets_file: None,
        console_public_key: Some(key_path),
        tls: None,
        exposure: Default::default(),
        stop_agent_on_exit: true,
        rate_limit: 5000,
        log_limits: Default::default(),
        provider_urls: Default::default(),
        shim: ShimCommand { program: AGENT.into(), args: vec!["__shim".into()] },
        agent_user: None,
    }
}

/// Polls `check` until it holds (deadline-bounded, never a bare sleep).
pub(crate) async fn eventually<T>(
    what: &str,
    deadline: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
