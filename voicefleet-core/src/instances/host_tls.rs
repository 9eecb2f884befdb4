//! A customer host's bootstrap TLS material, made by the console at onboarding: an Ed25519 key
//! and a self-signed certificate for it, whose SHA-256 the console pins for the customer. The
//! host receives both in its cloud-init user data; a replacement launched from the same user
//! data presents the same certificate, so the pin still holds. (An operator who wants a
//! certificate from their own CA replaces both files on the host and records `--ca`.)
//!
//! The certificate is written here in DER by hand: one fixed shape (X.509 v3, Ed25519, the
//! customer id as common name and DNS name), a few dozen bytes of structure.

use ed25519_dalek::Signer as _;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use ed25519_dalek::pkcs8::spki::der::pem::{LineEnding, encode_string};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// A host's key and certificate (PEM), and the pin of the certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct HostTls {
    /// The self-signed certificate, PEM.
    pub cert_pem: String,
    /// Its private key (PKCS#8), PEM: a secret, written only into the host's user data.
    pub key_pem: String,
    /// `sha256:` and 64 lower-case hex digits of the certificate's DER, as `--pin` records it.
    pub pin_sha256: String,
}

impl std::fmt::Debug for HostTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostTls").field("pin_sha256", &self.pin_sha256).finish_non_exhaustive()
    }
}

/// A new key and a certificate for `name`, valid from `now_ms` (a day earlier, for clocks that
/// lag) for `days`.
pub fn self_signed(name: &str, now_ms: u64, days: u32) -> Result<HostTls> {
    if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::InvalidValue {
            value: name.to_owned(),
            reason: "a host certificate's name is 1 to 64 letters, digits and dashes".to_owned(),
        });
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&crate::random::bytes::<32>()?);
    let mut serial = crate::random::bytes::<16>()?;
    serial[0] = (serial[0] & 0x7f) | 0x40; // positive, sixteen bytes
    let start = (now_ms / 1000).saturating_sub(86_400);
    let end = start + 86_400 + u64::from(days) * 86_400;
    let ed25519 = tlv(0x30, &tlv(0x06, &[0x2b, 0x65, 0x70]));
    let rdn = tlv(
        0x30,
        &tlv(0x31, &tlv(0x30, &[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, name.as_bytes())].concat())),
    );
    let validity = tlv(0x30, &[time(start)?, time(end)?].concat());
    let spki = tlv(
        0x30,
        &[ed25519.clone(), tlv(0x03, &[&[0u8][..], key.verifying_key().as_bytes()].concat())].concat(),
    );
    let san = tlv(0x30, &tlv(0x82, name.as_bytes()));
    let extension = tlv(0x30, &[tlv(0x06, &[0x55, 0x1d, 0x11]), tlv(0x04, &san)].concat());
    let tbs = tlv(
        0x30,
        &[
            tlv(0xa0, &tlv(0x02, &[2])),
            tlv(0x02, &serial),
            ed25519.clone(),
            rdn.clone(),
            validity,
            rdn,
            spki,
            tlv(0xa3, &tlv(0x30, &extension)),
        ]
        .concat(),
    );
    let signature = key.sign(&tbs).to_bytes();
    let cert = tlv(0x30, &[tbs, ed25519, tlv(0x03, &[&[0u8][..], &signature].concat())].concat());
    let internal = |error: &dyn std::fmt::Display| Error::Internal { message: format!("host TLS: {error}") };
    let cert_pem = encode_string("CERTIFICATE", LineEnding::LF, &cert).map_err(|e| internal(&e))?;
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| internal(&e))?.to_string();
    let digest: String = Sha256::digest(&cert).iter().map(|b| format!("{b:02x}")).collect();
    Ok(HostTls { cert_pem, key_pem, pin_sha256: format!("sha256:{digest}") })
}

/// One DER element (definite length).
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// UTCTime (before 2050) or GeneralizedTime, as X.509 wants them.
fn time(unix_seconds: u64) -> Result<Vec<u8>> {
    let days =
        i64::try_from(unix_seconds / 86_400).map_err(|_| Error::Internal { message: "time".into() })?;
    let seconds = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    let clock =
        format!("{month:02}{day:02}{:02}{:02}{:02}Z", seconds / 3600, seconds / 60 % 60, seconds % 60);
    Ok(if (1950..2050).contains(&year) {
        tlv(0x17, format!("{:02}{clock}", year % 100).as_bytes())
    } else {
        tlv(0x18, format!("{year:04}{clock}").as_bytes())
    })
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's method).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_lengths() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(time(0).unwrap(), tlv(0x17, b"700101000000Z"));
        assert_eq!(time(2_524_608_000).unwrap(), tlv(0x18, b"20500101000000Z"));
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn a_certificate_and_its_pin() {
        let tls = self_signed("acme-dental", 1_764_000_000_000, 825).unwrap();
        assert!(tls.cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{}", tls.cert_pem);
        assert!(tls.key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(tls.pin_sha256.len(), 7 + 64);
        assert_ne!(self_signed("acme-dental", 1_764_000_000_000, 825).unwrap().pin_sha256, tls.pin_sha256);
        assert!(self_signed("not a name", 0, 1).is_err());
    }
}
