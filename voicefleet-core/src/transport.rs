//! What may cross a network in clear: the one place the rules live. Plain `http://` only to a
//! loopback host (webhooks, host endpoints); a server on a non-loopback address speaks TLS unless
//! its operator says `--insecure-plaintext` (a proxy in front terminates TLS); an allow-list of
//! client networks (`--allow-cidr`).

use std::net::{IpAddr, SocketAddr};

use crate::error::{Error, ErrorKind, Result};

/// A URL whose host is loopback: `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_loopback_url(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

/// `https`, or `http` to a loopback host: what may carry tokens, secrets and alerts.
pub fn is_secure_url(url: &url::Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback_url(url))
}

/// Whether a server may listen on `address` without TLS: always on loopback; elsewhere only with
/// `insecure_plaintext`, and then the answer is the warning to print at every start.
pub fn plaintext_verdict(address: SocketAddr, tls: bool, insecure_plaintext: bool) -> Result<Option<String>> {
    if tls || address.ip().is_loopback() {
        return Ok(None);
    }
    if insecure_plaintext {
        return Ok(Some(format!(
            "serving plain HTTP on {address}, as allowed explicitly: tokens and secrets cross the network in \
             clear unless a proxy in front of this server terminates TLS"
        )));
    }
    Err(Error::Remote {
        kind: ErrorKind::InvalidInput,
        message: format!("refusing to serve plain HTTP on {address}, which is not a loopback address"),
        hint: None,
        issues: Vec::new(),
        remedy: Some(crate::Remedy::ServeOverTls),
    })
}

/// A network clients may come from (`--allow-cidr 10.0.0.0/8`); a bare address is a /32 or /128.
pub fn parse_cidr(text: &str) -> Result<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().or_else(|_| text.parse::<IpAddr>().map(ipnet::IpNet::from)).map_err(|_| {
        Error::InvalidValue {
            value: text.to_owned(),
            reason: "a network is an address with a prefix length, as 10.0.0.0/8 or fd00::/8".to_owned(),
        }
    })
}

/// Whether a client at `address` may connect: anyone when `allowed` is empty, else only from
/// one of its networks (an IPv4 client reached over IPv6 counts as its IPv4 address).
pub fn is_allowed(allowed: &[ipnet::IpNet], address: IpAddr) -> bool {
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    allowed.is_empty() || allowed.iter().any(|network| network.contains(&address))
}

/// How the console checks a host's TLS certificate, recorded with the customer: the system's
/// roots when both are absent; else the given CA bundle, or the certificate's SHA-256 pin (for a
/// self-signed host certificate, without turning verification off).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct HostTrust {
    /// CA certificates (PEM) the host's certificate must chain to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
    /// The SHA-256 of the host's certificate (DER), as `sha256:` and 64 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_sha256: Option<String>,
}

impl HostTrust {
    /// True when neither a CA nor a pin is set: the system's roots check the host's certificate.
    pub fn is_default(&self) -> bool {
        self.ca_pem.is_none() && self.pin_sha256.is_none()
    }

    /// Checks both fields (one at most; a pin in any usual spelling, a PEM bundle of
    /// certificates) and returns them normalised.
    pub fn checked(self) -> Result<HostTrust> {
        if self.ca_pem.is_some() && self.pin_sha256.is_some() {
            return Err(Error::InvalidValue {
                value: "a CA bundle and a certificate pin".to_owned(),
                reason: "give a CA bundle or a certificate pin, not both".to_owned(),
            });
        }
        let pin_sha256 = self.pin_sha256.as_deref().map(parse_pin).transpose()?;
        if let Some(pem) = &self.ca_pem
            && !pem.contains("-----BEGIN CERTIFICATE-----")
        {
            return Err(Error::InvalidValue {
                value: "the CA bundle".to_owned(),
                reason: "a CA bundle is PEM with at least one `-----BEGIN CERTIFICATE-----` block".to_owned(),
            });
        }
        Ok(HostTrust { ca_pem: self.ca_pem, pin_sha256 })
    }
}

/// A certificate pin as `sha256:` and 64 lowercase hex digits, from any usual spelling: that one,
/// bare hex, or openssl's `AB:CD:…` (with or without `sha256 Fingerprint=` in front).
pub fn parse_pin(text: &str) -> Result<String> {
    let trimmed = text.trim();
    let body = trimmed.rsplit('=').next().unwrap_or(trimmed);
    let body = body.strip_prefix("sha256:").or_else(|| body.strip_prefix("SHA256:")).unwrap_or(body);
    let hex: String = body.chars().filter(|c| *c != ':').collect::<String>().to_ascii_lowercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::InvalidValue {
            value: text.to_owned(),
            reason:
                "a pin is the certificate's SHA-256: 64 hex digits, as `openssl x509 -noout -fingerprint \
                     -sha256 -in host.crt` prints them"
                    .to_owned(),
        });
    }
    Ok(format!("sha256:{hex}"))
}
