//! Who is calling a host: a JWT signed by the console (EdDSA or RS256; `none` and HS algorithms are
//! refused) whose audience is this host's customer, or the break-glass admin token.

use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey};
use subtle::ConstantTimeEq as _;
use voicefleet_core::console::Actor;
use voicefleet_core::{Error, ErrorKind, Result};

use crate::error::ApiError;
use crate::token::{Refusal, bearer, verify};

/// The name the break-glass admin token's caller goes by.
const BREAK_GLASS: &str = "break-glass admin token";

/// Checks the callers of one host.
pub(crate) struct Authenticator {
    customer_id: String,
    admin_token: String,
    key: Option<(DecodingKey, Algorithm)>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("customer_id", &self.customer_id).finish_non_exhaustive()
    }
}

/// Reads `STATE/admin.token`, creating it (mode 0600, 256 random bits) when absent.
pub fn load_or_create_admin_token(state_dir: &Path) -> Result<String> {
    let path = state_dir.join("admin.token");
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => return Ok(token.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(Error::io(format!("cannot read {}", path.display()), error)),
    }
    let token = voicefleet_core::random::hex::<32>()?;
    voicefleet_core::fs::write_atomic(&path, format!("{token}\n").as_bytes(), 0o600)
        .map_err(|error| Error::io(format!("cannot write {}", path.display()), error))?;
    Ok(token)
}

impl Authenticator {
    /// `public_key_pem`: the console's key (Ed25519 or RSA); without one only the admin token works.
    pub(crate) fn new(customer_id: &str, admin_token: String, public_key_pem: Option<&[u8]>) -> Result<Self> {
        let key = match public_key_pem {
            None => None,
            Some(pem) => Some(
                DecodingKey::from_ed_pem(pem)
                    .map(|key| (key, Algorithm::EdDSA))
                    .or_else(|_| DecodingKey::from_rsa_pem(pem).map(|key| (key, Algorithm::RS256)))
                    .map_err(|_| Error::InvalidValue {
                        value: "the console public key".to_owned(),
                        reason: "neither an Ed25519 nor an RSA PEM key".to_owned(),
                    })?,
            ),
        };
        Ok(Self { customer_id: customer_id.to_owned(), admin_token, key })
    }

    /// Checks an `Authorization` header value.
    pub(crate) fn authenticate(&self, header: Option<&str>) -> std::result::Result<Actor, ApiError> {
        let unauthorized = |message: &str| {
            ApiError::new(ErrorKind::Unauthorized, message)
                .with_hint("send `Authorization: Bearer <token>` with a token from the console, or the host's admin token")
        };
        let token = bearer(header).ok_or_else(|| unauthorized("missing bearer token"))?;
        if bool::from(token.as_bytes().ct_eq(self.admin_token.as_bytes())) {
            return Ok(Actor::new(BREAK_GLASS, voicefleet_core::auth::Role::Admin));
        }
        let Some((key, algorithm)) = &self.key else {
            return Err(unauthorized(
                "invalid token (this host has no console public key; only its admin token works)",
            ));
        };
        match verify(token, key, *algorithm, &self.customer_id, &["exp", "aud"], 5) {
            Ok(claims) => Ok(Actor::new(&claims.sub, claims.role)),
            Err(Refusal::OtherAudience) => {
                Err(ApiError::new(ErrorKind::Forbidden, "this token is for another customer").with_hint(
                    format!("ask the console for a token whose audience is `{}`", self.customer_id),
                ))
            }
            Err(Refusal::Expired) => Err(unauthorized("token expired")),
            Err(Refusal::Invalid) => Err(unauthorized("invalid token")),
        }
    }
}
