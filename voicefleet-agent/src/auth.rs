//! Who is calling: a JWT signed by the console (EdDSA or RS256; `none` and HS algorithms are
//! refused) whose audience is this host's customer, or the break-glass admin token.

use std::path::Path;

use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::{Claims, Role};

use crate::error::ApiError;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) name: String,
    pub(crate) role: Role,
}

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
pub(crate) fn load_or_create_admin_token(state_dir: &Path) -> anyhow::Result<String> {
    let path = state_dir.join("admin.token");
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => return Ok(token.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(anyhow::anyhow!("cannot read {}: {error}", path.display())),
    }
    let token = random_hex(32)?;
    voicefleet_core::fs::write_atomic(&path, format!("{token}\n").as_bytes(), 0o600)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(token)
}

pub(crate) fn random_hex(bytes: usize) -> anyhow::Result<String> {
    use std::io::Read as _;
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// Equal-length comparison whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Authenticator {
    pub(crate) fn new(
        customer_id: &str,
        admin_token: String,
        public_key_pem: Option<&[u8]>,
    ) -> anyhow::Result<Self> {
        let key = match public_key_pem {
            None => None,
            Some(pem) => Some(
                DecodingKey::from_ed_pem(pem)
                    .map(|key| (key, Algorithm::EdDSA))
                    .or_else(|_| DecodingKey::from_rsa_pem(pem).map(|key| (key, Algorithm::RS256)))
                    .map_err(|_| {
                        anyhow::anyhow!("the console public key is neither an Ed25519 nor an RSA PEM key")
                    })?,
            ),
        };
        Ok(Self { customer_id: customer_id.to_owned(), admin_token, key })
    }

    /// Checks an `Authorization` header value.
    pub(crate) fn authenticate(&self, header: Option<&str>) -> Result<Caller, ApiError> {
        let unauthorized = |message: &str| {
            ApiError::new(ErrorKind::Unauthorized, message)
                .with_hint("send `Authorization: Bearer <token>` with a token from the console, or the host's admin token")
        };
        let token = header
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| unauthorized("missing bearer token"))?;
        if constant_time_eq(token.as_bytes(), self.admin_token.as_bytes()) {
            return Ok(Caller { name: "break-glass admin token".to_owned(), role: Role::Admin });
        }
        let Some((key, algorithm)) = &self.key else {
            return Err(unauthorized(
                "invalid token (this host has no console public key; only its admin token works)",
            ));
        };
        let mut validation = Validation::new(*algorithm);
        validation.set_audience(&[&self.customer_id]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.leeway = 5;
        match decode::<Claims>(token, key, &validation) {
            Ok(data) => Ok(Caller { name: data.claims.sub, role: data.claims.role }),
            Err(error) => Err(match error.kind() {
                JwtErrorKind::InvalidAudience => {
                    ApiError::new(ErrorKind::Forbidden, "this token is for another customer").with_hint(
                        format!("ask the console for a token whose audience is `{}`", self.customer_id),
                    )
                }
                JwtErrorKind::ExpiredSignature => unauthorized("token expired"),
                _ => unauthorized("invalid token"),
            }),
        }
    }
}

/// Refuses a caller whose role is below `required`.
pub(crate) fn require(caller: &Caller, required: Role) -> Result<(), ApiError> {
    if caller.role.allows(required) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorKind::Forbidden,
            format!("this needs the {required} role; {} has {}", caller.name, caller.role),
        ))
    }
}
