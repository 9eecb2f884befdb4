//! Tokens: the console's Ed25519 key that signs them ([`HostTokenSigner`]: login tokens for
//! users, short-lived host tokens for each customer's host) and their verification on both ends
//! (the console checks its own, a host checks the console's), plus random tokens.

use std::path::Path;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
#[cfg(feature = "server")]
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
#[cfg(feature = "server")]
use jsonwebtoken::{DecodingKey, Validation};
use voicefleet_core::auth::{Claims, ISSUER, Role, TokenKind};
use voicefleet_core::clock::{Clock as _, SystemClock};
use voicefleet_core::{Error, Result};

/// How long a token the console signs for a host lives.
pub const HOST_TOKEN_SECONDS: u64 = 60;

/// Signs host tokens with the console's Ed25519 key.
#[derive(Clone)]
pub struct HostTokenSigner {
    key: EncodingKey,
    signing: std::sync::Arc<SigningKey>,
    public_pem: String,
}

impl std::fmt::Debug for HostTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostTokenSigner(..)")
    }
}

impl HostTokenSigner {
    /// A new random key.
    pub fn generate() -> Result<Self> {
        let signing = SigningKey::from_bytes(&voicefleet_core::random::bytes::<32>()?);
        Self::from_signing_key(&signing)
    }

    fn from_signing_key(signing: &SigningKey) -> Result<Self> {
        let internal = |e: &dyn std::fmt::Display| Error::Internal { message: format!("key encoding: {e}") };
        let private_pem = signing.to_pkcs8_pem(Default::default()).map_err(|e| internal(&e))?;
        let public_pem =
            signing.verifying_key().to_public_key_pem(Default::default()).map_err(|e| internal(&e))?;
        let key = EncodingKey::from_ed_pem(private_pem.as_bytes()).map_err(|e| internal(&e))?;
        Ok(Self { key, signing: std::sync::Arc::new(signing.clone()), public_pem })
    }

    /// Loads `DIR/console.key` (PKCS#8 PEM), creating it (mode 0600) and `DIR/console.pub.pem`
    /// when absent.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        Self::from_signing_key(&voicefleet_core::console::keyfile::load_or_create_signing_key(dir)?)
    }

    /// The Ed25519 key itself (it also signs the audit checkpoints).
    pub fn signing_key(&self) -> SigningKey {
        (*self.signing).clone()
    }

    /// Writes this key pair as `DIR/console.key` (0600) and `DIR/console.pub.pem`, replacing them.
    pub fn save(&self, dir: &Path) -> Result<()> {
        voicefleet_core::console::keyfile::save_signing_key(dir, &self.signing)
    }

    /// The public key, PEM, for hosts' `--console-public-key`.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// A `kind` token for `audience` with `role`, living `seconds`.
    pub fn sign(
        &self,
        kind: TokenKind,
        subject: &str,
        audience: &str,
        role: Role,
        seconds: u64,
    ) -> Result<String> {
        let now = SystemClock.now_seconds();
        self.sign_until(kind, subject, audience, role, now.saturating_add(seconds))
    }

    /// A token expiring at `exp` (seconds since the Unix epoch; in the past for tests).
    pub fn sign_until(
        &self,
        kind: TokenKind,
        subject: &str,
        audience: &str,
        role: Role,
        exp: u64,
    ) -> Result<String> {
        let now = SystemClock.now_seconds();
        let claims = Claims {
            sub: subject.to_owned(),
            aud: audience.to_owned(),
            role,
            exp,
            iat: now.min(exp),
            iss: ISSUER.to_owned(),
            kind,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)
            .map_err(|e| Error::Internal { message: format!("signing a token: {e}") })
    }

    /// The console's token for one host: admin, that customer only, 60 seconds.
    pub fn host_token(&self, customer_id: &str) -> String {
        self.sign(TokenKind::Host, ISSUER, customer_id, Role::Admin, HOST_TOKEN_SECONDS).unwrap_or_default()
    }
}

#[cfg(feature = "server")]
/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Expired,
    /// Signed by the right key for another audience (another customer, or the console).
    OtherAudience,
    Invalid,
}

#[cfg(feature = "server")]
/// Checks a token's signature (with `key`, by `algorithm` only: `none` and HS algorithms are never
/// accepted for an asymmetric key), its issuer, expiry, audience and kind (a console login token
/// is no host token, whatever its audience).
pub(crate) fn verify(
    token: &str,
    key: &DecodingKey,
    algorithm: Algorithm,
    expected: (TokenKind, &str),
    leeway_seconds: u64,
) -> std::result::Result<Claims, Refusal> {
    let (kind, audience) = expected;
    let mut validation = Validation::new(algorithm);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "aud", "sub", "iss"]);
    validation.leeway = leeway_seconds;
    let claims =
        jsonwebtoken::decode::<Claims>(token, key, &validation).map(|data| data.claims).map_err(|error| {
            match error.kind() {
                JwtErrorKind::ExpiredSignature => Refusal::Expired,
                JwtErrorKind::InvalidAudience => Refusal::OtherAudience,
                _ => Refusal::Invalid,
            }
        })?;
    if claims.kind != kind {
        return Err(Refusal::Invalid);
    }
    Ok(claims)
}

#[cfg(feature = "server")]
/// The bearer token of an `Authorization` header, when there is a non-empty one.
pub(crate) fn bearer(header: Option<&str>) -> Option<&str> {
    header.and_then(|value| value.strip_prefix("Bearer ")).map(str::trim).filter(|token| !token.is_empty())
}
