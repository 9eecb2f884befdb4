//! The cloud-init user data of a customer host, rendered from the template the deployment ships
//! (`deploy/cloud-init/host.yaml.tftpl`, the same file Terraform renders): onboarding launches
//! with it, and a replacement is launched with what its launch spec recorded. Pure.

use crate::customer::CustomerId;
use crate::error::{Error, Result};

/// The template, as shipped.
pub const HOST_TEMPLATE: &str = include_str!("../../../deploy/cloud-init/host.yaml.tftpl");

/// What a host's user data is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostUserData<'a> {
    /// The customer the host serves: its host agent is set up for this customer.
    pub customer_id: &'a CustomerId,
    /// Where the host downloads the `voicefleet-agent` package (https only).
    pub package_url: &'a str,
    /// The console's public key (PEM), which the host agent trusts for the console's tokens.
    pub console_public_key_pem: &'a str,
    /// The host's TLS key and certificate (onboarding makes them and pins the certificate);
    /// `None` lets the host make a self-signed one, to be pinned by hand.
    pub tls: Option<&'a super::HostTls>,
}

/// Renders [`HOST_TEMPLATE`] with `values`.
pub fn render_host_user_data(values: &HostUserData<'_>) -> Result<String> {
    let url = url::Url::parse(values.package_url).ok().filter(|url| url.scheme() == "https");
    if url.is_none() || values.package_url.contains(['"', '\n', ' ']) {
        return Err(Error::InvalidValue {
            value: values.package_url.to_owned(),
            reason:
                "the package URL must be an https URL (the host downloads the voicefleet-agent .deb from it)"
                    .to_owned(),
        });
    }
    let key = values.console_public_key_pem.trim();
    if !key.starts_with("-----BEGIN PUBLIC KEY-----") || !key.ends_with("-----END PUBLIC KEY-----") {
        return Err(Error::InvalidValue {
            value: "console public key".to_owned(),
            reason: "give the console's public key in PEM (DATA/console.pub.pem)".to_owned(),
        });
    }
    let indent = |text: &str| text.trim().lines().collect::<Vec<_>>().join("\n      ");
    let (cert, tls_key) = values
        .tls
        .map_or((String::new(), String::new()), |tls| (indent(&tls.cert_pem), indent(&tls.key_pem)));
    Ok(HOST_TEMPLATE
        .replace("${customer_id}", values.customer_id.as_str())
        .replace("${package_url}", values.package_url)
        .replace("${indent(6, console_public_key)}", &indent(key))
        .replace("${indent(6, tls_cert)}", &cert)
        .replace("${indent(6, tls_key)}", &tls_key))
}
