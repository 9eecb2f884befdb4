//! TOTP codes computed the way an authenticator app does, written apart from voicefleet's own
//! (`voicefleet_core::console::totp`) so tests check it against an independent computation:
//! the secret is read from the `otpauth://` URI, decoded from base32 here, and the code is
//! RFC 6238's HMAC-SHA1 dynamic truncation.

use hmac::{Hmac, Mac as _};

/// The `secret` parameter of an `otpauth://` URI, decoded from base32.
pub fn secret_of(uri: &str) -> Vec<u8> {
    let query = uri.split_once('?').expect("an otpauth URI has a query").1;
    let secret =
        query.split('&').find_map(|pair| pair.strip_prefix("secret=")).expect("an otpauth URI has a secret");
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits: String = secret
        .trim_end_matches('=')
        .chars()
        .map(|c| format!("{:05b}", alphabet.find(c.to_ascii_uppercase()).expect("base32")))
        .collect();
    bits.as_bytes()
        .chunks_exact(8)
        .map(|byte| u8::from_str_radix(std::str::from_utf8(byte).unwrap(), 2).unwrap())
        .collect()
}

/// The 6-digit code of `secret` at `unix_seconds` (30-second steps).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(unix_seconds / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[hash.len() - 1] & 0xf) as usize;
    let value = (u32::from(hash[offset] & 0x7f) << 24)
        | (u32::from(hash[offset + 1]) << 16)
        | (u32::from(hash[offset + 2]) << 8)
        | u32::from(hash[offset + 3]);
    format!("{:06}", value % 1_000_000)
}

/// The code of the `otpauth://` URI's secret now.
pub fn code_now(uri: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    code_at(&secret_of(uri), now)
}

/// The code of the step after now (a code not used yet, still within the accepted window).
pub fn next_code(uri: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    code_at(&secret_of(uri), now + 30)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_6238_appendix_b_sha1() {
        // Secret "12345678901234567890" in base32; the appendix's 8-digit codes' last six.
        let uri = "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let secret = super::secret_of(uri);
        assert_eq!(secret, b"12345678901234567890");
        assert_eq!(super::code_at(&secret, 59), "287082");
        assert_eq!(super::code_at(&secret, 1_111_111_109), "081804");
        assert_eq!(super::code_at(&secret, 2_000_000_000), "279037");
    }
}
