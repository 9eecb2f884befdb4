//! Random bytes from the operating system (`getrandom` through `rand_core`'s `OsRng`): the one
//! place keys, tokens and ids get their randomness.

use rand_core::RngCore as _;

use crate::error::{Error, Result};

/// `N` random bytes.
pub fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    rand_core::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|error| Error::Internal { message: format!("no random bytes from the system: {error}") })?;
    Ok(bytes)
}

/// `N` random bytes as `2 * N` lower-case hex digits.
pub fn hex<const N: usize>() -> Result<String> {
    Ok(bytes::<N>()?.iter().map(|byte| format!("{byte:02x}")).collect())
}
