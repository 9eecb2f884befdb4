//! Who is calling the console: a user JWT from `POST /v1/auth/login` (EdDSA, audience
//! `voicefleet-console`), or an API token (`vft_...`, stored hashed).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use voicefleet_agent::HostTokenSigner;
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Claims;
use voicefleet_core::console::{Accounts, Actor};

use crate::error::ApiError;

/// The audience of console user tokens (host tokens carry the customer id instead).
pub(crate) const CONSOLE_AUDIENCE: &str = "voicefleet-console";
/// How long a login token lives.
pub(crate) const LOGIN_SECONDS: u64 = 3600;

pub(crate) struct TokenVerifier {
    key: DecodingKey,
}

impl TokenVerifier {
    pub(crate) fn new(signer: &HostTokenSigner) -> anyhow::Result<Self> {
        Ok(Self { key: DecodingKey::from_ed_pem(signer.public_pem().as_bytes())? })
    }

    pub(crate) async fn authenticate(
        &self,
        accounts: &Accounts,
        header: Option<&str>,
    ) -> Result<Actor, ApiError> {
        let unauthorized = |message: &str| {
            ApiError::new(ErrorKind::Unauthorized, message)
                .with_hint("log in (POST /v1/auth/login, or `voicefleet login`) and send `Authorization: Bearer <token>`")
        };
        let token = header
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| unauthorized("missing bearer token"))?;
        if token.starts_with(voicefleet_core::console::TOKEN_PREFIX) {
            return accounts
                .authenticate_token(token)
                .await?
                .ok_or_else(|| unauthorized("invalid, expired or revoked API token"));
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[CONSOLE_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        // The console checks its own tokens: no clock skew to allow for.
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &validation)
            .map_err(|error| match error.kind() {
                JwtErrorKind::ExpiredSignature => unauthorized("token expired"),
                _ => unauthorized("invalid token"),
            })?
            .claims;
        // The user may have been removed or demoted since the token was signed.
        let role = accounts
            .user_role(&claims.sub)
            .await?
            .ok_or_else(|| unauthorized("this user no longer exists"))?;
        Ok(Actor { name: claims.sub, role: role.min(claims.role), request_id: String::new() })
    }
}

/// Login attempts per client address: 20 a minute.
pub(crate) struct LoginLimiter {
    attempts: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl LoginLimiter {
    pub(crate) fn new() -> Self {
        Self { attempts: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn allow(&self, address: IpAddr) -> bool {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if attempts.len() > 10_000 {
            attempts.retain(|_, (_, since)| now.duration_since(*since).as_secs() < 60);
        }
        let entry = attempts.entry(address).or_insert((0, now));
        if now.duration_since(entry.1).as_secs() >= 60 {
            *entry = (0, now);
        }
        entry.0 += 1;
        entry.0 <= 20
    }
}
