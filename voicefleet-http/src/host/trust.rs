//! How the console checks a host's certificate: the system's roots (the shared client), a CA
//! bundle recorded with the customer, or a pin of the certificate itself, so a self-signed host
//! certificate works without turning verification off. The rule of what a customer may record
//! is core's (`transport::HostTrust`); this builds the HTTP client that applies it.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest as _, Sha256};
use voicefleet_core::transport::HostTrust;
use voicefleet_core::{Error, Result};

/// The client for a host whose customer records `trust`; `None` for the system's roots (the
/// connector's shared client).
pub(crate) fn client_for(trust: &HostTrust) -> Result<Option<reqwest::Client>> {
    let builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .pool_idle_timeout(Duration::from_secs(30));
    let builder = match (&trust.ca_pem, &trust.pin_sha256) {
        (Some(pem), _) => {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|error| invalid(format!("the customer's CA bundle does not parse: {error}")))?;
            builder.tls_certs_only(certs)
        }
        (None, Some(pin)) => builder.tls_backend_preconfigured(pinned_config(pin)?),
        (None, None) => return Ok(None),
    };
    builder
        .build()
        .map(Some)
        .map_err(|error| Error::Internal { message: format!("cannot build the HTTP client: {error}") })
}

fn invalid(reason: String) -> Error {
    Error::InvalidValue { value: "the host's trust".to_owned(), reason }
}

/// A TLS configuration that accepts exactly the certificate whose SHA-256 is `pin` (and checks
/// the handshake's signatures with it, as any verifier does).
fn pinned_config(pin: &str) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Pinned { pin: pin.trim_start_matches("sha256:").to_owned(), provider: provider.clone() };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::Internal { message: format!("TLS configuration: {error}") })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug)]
struct Pinned {
    /// 64 lowercase hex digits.
    pin: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let digest: String = Sha256::digest(end_entity.as_ref()).iter().map(|b| format!("{b:02x}")).collect();
        if digest == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the host's certificate is sha256:{digest}, not the pinned sha256:{}",
                self.pin
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
