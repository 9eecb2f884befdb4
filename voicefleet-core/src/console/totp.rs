//! The second factor's arithmetic, pure: RFC 6238 TOTP codes (HMAC-SHA1, 30-second steps,
//! 6 digits, what every authenticator app computes from an `otpauth://` URI), the step a code
//! matches within one step of now, and recovery codes with their salted hashes. Who may enroll,
//! what is stored and the replay guard's storage are in `mfa.rs`.

use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::Result;

/// Seconds per time step (RFC 6238's default, and the only period authenticator apps all honour).
pub(crate) const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub(crate) const DIGITS: usize = 6;
/// Steps before and after now whose codes are still accepted (a clock off by up to 30 s, or a
/// code typed as it rolled over).
pub(crate) const WINDOW_STEPS: u64 = 1;
/// Bytes of a new secret: 160 bits, the HMAC-SHA1 output size RFC 4226 recommends.
pub(crate) const SECRET_BYTES: usize = 20;
/// Recovery codes handed out at enrollment.
pub(crate) const RECOVERY_CODES: usize = 10;

/// The RFC 4648 base32 alphabet (authenticator apps read secrets in it).
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `bytes` in RFC 4648 base32, without padding (as `otpauth://` URIs carry secrets).
pub(crate) fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The bytes of base32 `text` (case and spaces ignored, padding allowed); `None` when it is not
/// base32.
pub(crate) fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32.iter().position(|b| *b as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// RFC 4226 HOTP: the `DIGITS`-digit code of `secret` at `counter`.
pub(crate) fn hotp(secret: &[u8], counter: u64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary =
        u32::from_be_bytes([digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]])
            & 0x7fff_ffff;
    format!("{:0width$}", binary % 10u32.pow(DIGITS as u32), width = DIGITS)
}

/// The time step of `unix_seconds`.
pub(crate) fn step_of(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The code an authenticator app shows for `secret` at `unix_seconds`.
#[cfg(test)]
pub(crate) fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    hotp(secret, step_of(unix_seconds))
}

/// Whether `text` looks like a TOTP code (six digits) rather than a recovery code.
pub(crate) fn is_code(text: &str) -> bool {
    text.len() == DIGITS && text.bytes().all(|b| b.is_ascii_digit())
}

/// The step whose code is `code`, within [`WINDOW_STEPS`] of `unix_seconds`, and later than
/// `last_used_step` (a code, once accepted, is never accepted again, nor is any older one: RFC
/// 6238 section 5.2). Every candidate is compared in constant time.
pub(crate) fn matching_step(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_used_step: u64,
) -> Option<u64> {
    if !is_code(code) {
        return None;
    }
    let now = step_of(unix_seconds);
    let mut found = None;
    for step in now.saturating_sub(WINDOW_STEPS)..=now.saturating_add(WINDOW_STEPS) {
        let matches: bool = hotp(secret, step).as_bytes().ct_eq(code.as_bytes()).into();
        if matches && step > last_used_step && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Percent-encodes `text` for a URI's path or query (everything but unreserved characters).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `otpauth://totp/...` URI an authenticator app enrolls from (Google Authenticator's key
/// URI format: issuer in the label and as a parameter, SHA1, 6 digits, 30 s).
pub(crate) fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent(issuer),
        percent(account),
        percent(issuer)
    )
}

/// A new TOTP secret.
pub(crate) fn new_secret() -> Result<[u8; SECRET_BYTES]> {
    crate::random::bytes()
}

/// A recovery code as typed: lower case, without the dashes and spaces it is shown with.
pub(crate) fn normalize_recovery_code(text: &str) -> String {
    text.chars().filter(|c| *c != '-' && !c.is_whitespace()).map(|c| c.to_ascii_lowercase()).collect()
}

/// [`RECOVERY_CODES`] new recovery codes, each 80 random bits as 16 base32 characters shown in
/// four groups (`abcd-efgh-ijkl-mnop`).
pub(crate) fn new_recovery_codes() -> Result<Vec<String>> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let text = base32(&crate::random::bytes::<10>()?).to_ascii_lowercase();
            let groups: Vec<&str> = (0..4).map(|i| &text[i * 4..i * 4 + 4]).collect();
            Ok(groups.join("-"))
        })
        .collect()
}

/// The stored hash of a recovery code: SHA-256 over a per-code random salt and the normalized
/// code, in hex.
///
/// Why SHA-256 and not argon2 (as passwords are): a recovery code is 80 random bits, not a
/// human choice, so a stolen database gives nothing to guess from; 2^80 hashes are out of reach
/// however fast each is, and a slow hash would only slow every login that uses one. The salt
/// keeps equal codes (never expected) from having equal hashes and rules out precomputation.
pub(crate) fn recovery_code_hash(salt: &str, code: &str) -> String {
    let digest = Sha256::digest(format!("voicefleet-recovery:{salt}:{}", normalize_recovery_code(code)));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `code` hashes to `hash` under `salt`, compared in constant time.
pub(crate) fn recovery_code_matches(salt: &str, hash: &str, code: &str) -> bool {
    recovery_code_hash(salt, code).as_bytes().ct_eq(hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret ("12345678901234567890").
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_sha1_test_vectors() {
        // Appendix B gives 8 digits; these 6-digit codes are its last six.
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time), eight[2..], "at {time}");
        }
    }

    #[test]
    fn rfc_4226_hotp_test_vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64), *code, "counter {counter}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        for (bytes, text) in [(&b""[..], ""), (b"f", "MY"), (b"fo", "MZXQ"), (b"foobar", "MZXW6YTBOI")] {
            assert_eq!(base32(bytes), text);
            assert_eq!(base32_decode(text).unwrap(), bytes);
        }
        assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZ1"), None, "1 is not base32");
        let secret = new_secret().unwrap();
        assert_eq!(base32(&secret).len(), 32);
        assert_eq!(base32_decode(&base32(&secret)).unwrap(), secret);
    }

    #[test]
    fn a_code_matches_within_one_step_and_never_twice() {
        let now = 1_700_000_000;
        let step = step_of(now);
        let check = |code: &str, last_used: u64| matching_step(RFC_SECRET, code, now, last_used);
        assert_eq!(check(&hotp(RFC_SECRET, step), 0), Some(step));
        assert_eq!(check(&hotp(RFC_SECRET, step - 1), 0), Some(step - 1), "the step before");
        assert_eq!(check(&hotp(RFC_SECRET, step + 1), 0), Some(step + 1), "the step after");
        assert_eq!(check(&hotp(RFC_SECRET, step - 2), 0), None, "two steps old");
        assert_eq!(check(&hotp(RFC_SECRET, step + 2), 0), None, "two steps ahead");
        // Once a step is used, neither it nor an older one matches again.
        assert_eq!(check(&hotp(RFC_SECRET, step), step), None, "replayed");
        assert_eq!(check(&hotp(RFC_SECRET, step - 1), step), None, "older than the last used");
        assert_eq!(check(&hotp(RFC_SECRET, step + 1), step), Some(step + 1));
        for bad in ["", "12345", "1234567", "abcdef", " 12345"] {
            assert_eq!(check(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn the_uri_names_issuer_account_and_secret() {
        assert_eq!(
            otpauth_uri("voicefleet", "dana@ops", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/voicefleet:dana%40ops?secret=JBSWY3DPEHPK3PXP&issuer=voicefleet&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_distinct_high_entropy_and_match_only_their_hash() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert!(!is_code(code));
        }
        let hash = recovery_code_hash("salt", &codes[0]);
        assert!(recovery_code_matches("salt", &hash, &codes[0]));
        assert!(recovery_code_matches("salt", &hash, &codes[0].to_uppercase().replace('-', " ")));
        assert!(!recovery_code_matches("other salt", &hash, &codes[0]));
        assert!(!recovery_code_matches("salt", &hash, &codes[1]));
    }
}
