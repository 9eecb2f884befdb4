//! Who is calling a host: a JWT signed by the console (EdDSA or RS256; `none` and HS algorithms are
//! refused) whose audience is this host's customer, or the break-glass admin token.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use subtle::ConstantTimeEq as _;
use voicefleet_core::auth::TokenKind;
use voicefleet_core::clock::{Clock as _, SystemClock};
use voicefleet_core::console::Actor;
use voicefleet_core::{Error, ErrorKind, Result};

use super::keys::TrustedKeys;
use crate::error::ApiError;
use crate::token::{Refusal, bearer, verify};

/// The name the break-glass admin token's caller goes by.
pub(crate) const BREAK_GLASS: &str = "break-glass admin token";
/// Seconds of clock skew allowed past a token's expiry.
const LEEWAY_SECONDS: u64 = 5;
/// Tokens whose signature was checked, kept until they expire (the console reuses one token per
/// host for half its life, so a handful covers every caller).
const VERIFIED_KEPT: usize = 16;

/// A token whose signature and audience were checked: who it is, and until when.
#[derive(Debug)]
struct Verified {
    token: String,
    actor: Actor,
    exp: u64,
}

/// Checks the callers of one host. A console token's signature is checked once: the token is
/// then remembered until it expires, so a host is not made to verify an Ed25519 signature for
/// every status poll and stream reconnect (with a thousand hosts on one machine, those checks
/// were nearly all its work).
pub(crate) struct Authenticator {
    customer_id: String,
    admin_token: String,
    /// The console keys trusted (the configured one, and any a rotation added).
    pub(crate) keys: TrustedKeys,
    verified: Mutex<VecDeque<Verified>>,
    /// Signatures checked so far.
    verifications: AtomicU64,
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
    /// `public_key_pem`: the console's key (Ed25519 or RSA); `keys_file`: where keys the console
    /// pushes are kept. Without any key only the admin token works.
    pub(crate) fn new(
        customer_id: &str,
        admin_token: String,
        public_key_pem: Option<&[u8]>,
        keys_file: Option<PathBuf>,
    ) -> Result<Self> {
        Ok(Self {
            customer_id: customer_id.to_owned(),
            admin_token,
            keys: TrustedKeys::load(public_key_pem, keys_file)?,
            verified: Mutex::new(VecDeque::new()),
            verifications: AtomicU64::new(0),
        })
    }

    /// Signatures checked so far (a token seen before is not checked again until it expires).
    #[cfg(test)]
    fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// A token verified before, when it has not expired at `now` (seconds); an expired one is
    /// forgotten.
    fn remembered(&self, token: &str, now: u64) -> Option<std::result::Result<Actor, Refusal>> {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        let index = verified.iter().position(|v| v.token == token)?;
        if verified[index].exp.saturating_add(LEEWAY_SECONDS) < now {
            verified.remove(index);
            return Some(Err(Refusal::Expired));
        }
        Some(Ok(verified[index].actor.clone()))
    }

    fn remember(&self, token: &str, actor: &Actor, exp: u64, now: u64) {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        verified.retain(|v| v.exp.saturating_add(LEEWAY_SECONDS) >= now);
        if verified.len() >= VERIFIED_KEPT {
            verified.pop_front();
        }
        verified.push_back(Verified { token: token.to_owned(), actor: actor.clone(), exp });
    }

    /// Checks an `Authorization` header value.
    pub(crate) fn authenticate(&self, header: Option<&str>) -> std::result::Result<Actor, ApiError> {
        self.authenticate_at(header, SystemClock.now_seconds())
    }

    /// [`Authenticator::authenticate`] at `now` (seconds since the Unix epoch).
    fn authenticate_at(&self, header: Option<&str>, now: u64) -> std::result::Result<Actor, ApiError> {
        let unauthorized = |message: &str| {
            ApiError::new(ErrorKind::Unauthorized, message)
                .with_hint("send `Authorization: Bearer <token>` with a token from the console, or the host's admin token")
        };
        let token = bearer(header).ok_or_else(|| unauthorized("missing bearer token"))?;
        if bool::from(token.as_bytes().ct_eq(self.admin_token.as_bytes())) {
            return Ok(Actor::new(BREAK_GLASS, voicefleet_core::auth::Role::Admin));
        }
        let keys = self.keys.active(now);
        if keys.is_empty() {
            return Err(unauthorized(
                "invalid token (this host has no console public key; only its admin token works)",
            ));
        }
        let checked = match self.remembered(token, now) {
            Some(remembered) => remembered,
            None => {
                self.verifications.fetch_add(1, Ordering::Relaxed);
                // Any trusted key will do; a refusal from a key whose signature matched (another
                // audience, expired) says more than "invalid".
                let mut refusal = Refusal::Invalid;
                let mut accepted = None;
                for (key, algorithm) in &keys {
                    match verify(token, key, *algorithm, (TokenKind::Host, &self.customer_id), LEEWAY_SECONDS)
                    {
                        Ok(claims) => {
                            accepted = Some(claims);
                            break;
                        }
                        Err(Refusal::Invalid) => {}
                        Err(other) => refusal = other,
                    }
                }
                match accepted {
                    Some(claims) => {
                        let actor = Actor::new(&claims.sub, claims.role);
                        self.remember(token, &actor, claims.exp, now);
                        Ok(actor)
                    }
                    None => Err(refusal),
                }
            }
        };
        match checked {
            Ok(actor) => Ok(actor),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::HostTokenSigner;
    use voicefleet_core::auth::Role;

    fn authenticator(signer: &HostTokenSigner) -> Authenticator {
        Authenticator::new("acme", "admin".into(), Some(signer.public_pem().as_bytes()), None).unwrap()
    }

    #[test]
    fn a_console_token_is_verified_once_then_remembered_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let signer = HostTokenSigner::load_or_create(dir.path()).unwrap();
        let auth = authenticator(&signer);
        let token = signer.host_token("acme");
        let header = format!("Bearer {token}");
        for _ in 0..100 {
            let actor = auth.authenticate(Some(&header)).unwrap();
            assert_eq!(actor.role, Role::Admin);
        }
        assert_eq!(auth.verifications(), 1, "one signature check for one token used 100 times");

        // Past its expiry (and the leeway) the remembered token is refused, as a new one would be.
        let now = SystemClock.now_seconds();
        let late = now + crate::token::HOST_TOKEN_SECONDS + LEEWAY_SECONDS + 1;
        let error = auth.authenticate_at(Some(&header), late).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unauthorized);

        // Other tokens are each checked: another customer's is refused (never remembered), a
        // forged one too.
        let other = format!("Bearer {}", signer.host_token("globex"));
        for _ in 0..3 {
            assert_eq!(auth.authenticate(Some(&other)).unwrap_err().kind(), ErrorKind::Forbidden);
        }
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        let forged = format!("Bearer {forged}");
        assert_eq!(auth.authenticate(Some(&forged)).unwrap_err().kind(), ErrorKind::Unauthorized);
        assert_eq!(auth.verifications(), 1 + 3 + 1);
    }
}
