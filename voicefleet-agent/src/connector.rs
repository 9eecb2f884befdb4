//! The console's side of the host contract: short-lived tokens signed per customer, and a
//! [`HostConnector`] that hands the console an [`AgentClient`] for each customer's host.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use voicefleet_core::auth::{Claims, Role};
use voicefleet_core::console::{CustomerRecord, HostConnector};
use voicefleet_core::host::Host;
use voicefleet_core::{Error, Result};

use crate::client::{AgentClient, AgentClientOptions, TokenSource};

/// How long a token the console signs for a host lives.
pub const HOST_TOKEN_SECONDS: u64 = 60;

/// Signs host tokens with the console's Ed25519 key.
#[derive(Clone)]
pub struct HostTokenSigner {
    key: EncodingKey,
    public_pem: String,
    private_pem: String,
}

impl std::fmt::Debug for HostTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostTokenSigner(..)")
    }
}

impl HostTokenSigner {
    /// A new random key.
    pub fn generate() -> Result<Self> {
        let signing = SigningKey::generate(&mut rand_core::OsRng);
        Self::from_signing_key(&signing)
    }

    fn from_signing_key(signing: &SigningKey) -> Result<Self> {
        let internal = |e: &dyn std::fmt::Display| Error::Internal { message: format!("key encoding: {e}") };
        let private_pem = signing.to_pkcs8_pem(Default::default()).map_err(|e| internal(&e))?.to_string();
        let public_pem =
            signing.verifying_key().to_public_key_pem(Default::default()).map_err(|e| internal(&e))?;
        let key = EncodingKey::from_ed_pem(private_pem.as_bytes()).map_err(|e| internal(&e))?;
        Ok(Self { key, public_pem, private_pem })
    }

    /// Loads `DIR/console.key` (PKCS#8 PEM), creating it (mode 0600) and `DIR/console.pub.pem`
    /// when absent.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let private_path = dir.join("console.key");
        let public_path = dir.join("console.pub.pem");
        let signer = match std::fs::read_to_string(&private_path) {
            Ok(pem) => {
                let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| Error::Unavailable {
                    message: format!("{} is not an Ed25519 PKCS#8 PEM key: {e}", private_path.display()),
                })?;
                Self::from_signing_key(&signing)?
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let signer = Self::generate()?;
                voicefleet_core::fs::write_atomic(&private_path, signer.private_pem.as_bytes(), 0o600)
                    .map_err(|e| Error::io(format!("cannot write {}", private_path.display()), e))?;
                signer
            }
            Err(error) => return Err(Error::io(format!("cannot read {}", private_path.display()), error)),
        };
        voicefleet_core::fs::write_atomic(&public_path, signer.public_pem.as_bytes(), 0o644)
            .map_err(|e| Error::io(format!("cannot write {}", public_path.display()), e))?;
        Ok(signer)
    }

    /// The public key, PEM, for hosts' `--console-public-key`.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// A token for `audience` with `role`, living `seconds`.
    pub fn sign(&self, subject: &str, audience: &str, role: Role, seconds: u64) -> Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        self.sign_until(subject, audience, role, now + seconds)
    }

    /// A token expiring at `exp` (seconds since the Unix epoch; in the past for tests).
    pub fn sign_until(&self, subject: &str, audience: &str, role: Role, exp: u64) -> Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let claims = Claims {
            sub: subject.to_owned(),
            aud: audience.to_owned(),
            role,
            exp,
            iat: now.min(exp),
            iss: "voicefleet-console".to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)
            .map_err(|e| Error::Internal { message: format!("signing a token: {e}") })
    }

    /// The console's token for one host: admin, that customer only, 60 seconds.
    pub fn host_token(&self, customer_id: &str) -> String {
        self.sign("voicefleet-console", customer_id, Role::Admin, HOST_TOKEN_SECONDS).unwrap_or_default()
    }
}

/// Hands out one [`AgentClient`] per customer, each minting its own short-lived tokens.
pub struct AgentConnector {
    signer: HostTokenSigner,
    options: AgentClientOptions,
    clients: Mutex<HashMap<String, (String, Arc<AgentClient>)>>,
}

impl std::fmt::Debug for AgentConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentConnector(..)")
    }
}

impl AgentConnector {
    pub fn new(signer: HostTokenSigner, options: AgentClientOptions) -> Self {
        Self { signer, options, clients: Mutex::new(HashMap::new()) }
    }
}

impl HostConnector for AgentConnector {
    fn connect(&self, customer: &CustomerRecord) -> Result<Arc<dyn Host>> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((endpoint, client)) = clients.get(&customer.id) {
            if *endpoint == customer.endpoint {
                return Ok(client.clone());
            }
        }
        let signer = self.signer.clone();
        let audience = customer.id.clone();
        let token = TokenSource::Mint(Arc::new(move || signer.host_token(&audience)));
        let client = Arc::new(AgentClient::new(&customer.endpoint, token, self.options.clone())?);
        clients.insert(customer.id.clone(), (customer.endpoint.clone(), client.clone()));
        Ok(client)
    }
}
