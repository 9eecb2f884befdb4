//! Who is calling the console: a user JWT from `POST /v1/auth/login` (EdDSA, audience
//! `voicefleet-console`), or an API token (`vft_...`, stored hashed).

use jsonwebtoken::{Algorithm, DecodingKey};
use voicefleet_core::auth::TokenKind;
use voicefleet_core::console::{Accounts, Actor};
use voicefleet_core::{Error, ErrorKind, Result};

use crate::error::ApiError;
use crate::token::{HostTokenSigner, Refusal, bearer, verify};

/// The audience of console user tokens (host tokens carry the customer id instead).
pub(crate) const CONSOLE_AUDIENCE: &str = voicefleet_core::auth::ISSUER;
/// How long a login token lives.
pub(crate) const LOGIN_SECONDS: u64 = 3600;

pub(crate) struct TokenVerifier {
    key: DecodingKey,
}

impl TokenVerifier {
    pub(crate) fn new(signer: &HostTokenSigner) -> Result<Self> {
        let key = DecodingKey::from_ed_pem(signer.public_pem().as_bytes())
            .map_err(|error| Error::Internal { message: format!("the console's public key: {error}") })?;
        Ok(Self { key })
    }

    pub(crate) async fn authenticate(
        &self,
        accounts: &Accounts,
        header: Option<&str>,
    ) -> std::result::Result<Actor, ApiError> {
        let unauthorized = |message: &str| {
            ApiError::new(ErrorKind::Unauthorized, message)
                .with_hint("log in (POST /v1/auth/login, or `voicefleet login`) and send `Authorization: Bearer <token>`")
        };
        let token = bearer(header).ok_or_else(|| unauthorized("missing bearer token"))?;
        if token.starts_with(voicefleet_core::console::TOKEN_PREFIX) {
            return accounts
                .authenticate_token(token)
                .await?
                .ok_or_else(|| unauthorized("invalid, expired or revoked API token"));
        }
        // The console checks its own tokens: no clock skew to allow for.
        let claims = verify(token, &self.key, Algorithm::EdDSA, (TokenKind::Login, CONSOLE_AUDIENCE), 0)
            .map_err(|refusal| match refusal {
                Refusal::Expired => unauthorized("token expired"),
                Refusal::OtherAudience | Refusal::Invalid => unauthorized("invalid token"),
            })?;
        // The user may have been removed, demoted or given a new password since the token was
        // signed.
        let role = accounts.login_session(&claims.sub, claims.iat).await?.ok_or_else(|| {
            unauthorized("this login has ended: the user no longer exists or changed their password")
        })?;
        Ok(Actor { name: claims.sub, role: role.min(claims.role), request_id: String::new() })
    }
}
