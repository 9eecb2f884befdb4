//! Which cloud the console reads customer hosts from: EC2 when `VOICEFLEET_EC2=1` (a build with
//! the `aws` feature: the packages), none otherwise.

use std::sync::Arc;

use voicefleet_core::ErrorKind;
use voicefleet_core::console::Console;

use crate::exit::Refusal;

/// `VOICEFLEET_EC2` is set to 1, true or yes.
fn wanted() -> bool {
    std::env::var("VOICEFLEET_EC2").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// Gives `console` its instance provider when one is asked for.
pub(crate) async fn install(console: &Arc<Console>) -> anyhow::Result<()> {
    if !wanted() {
        return Ok(());
    }
    install_ec2(console).await
}

#[cfg(feature = "aws")]
async fn install_ec2(console: &Arc<Console>) -> anyhow::Result<()> {
    use voicefleet_core::instances::ec2::{Ec2Options, Ec2Provider};
    let endpoint = match std::env::var("VOICEFLEET_EC2_ENDPOINT") {
        Ok(text) if !text.trim().is_empty() => Some(text.trim().parse().map_err(|_| {
            Refusal::new(
                ErrorKind::InvalidInput,
                format!("VOICEFLEET_EC2_ENDPOINT `{text}` is not a URL"),
                "give the endpoint's base URL, for example https://ec2.eu-west-1.amazonaws.com",
            )
        })?),
        _ => None,
    };
    let provider = Ec2Provider::connect(Ec2Options { endpoint, ..Ec2Options::default() }).await?;
    console.set_instance_provider(Arc::new(provider));
    Ok(())
}

#[cfg(not(feature = "aws"))]
async fn install_ec2(_: &Arc<Console>) -> anyhow::Result<()> {
    Err(Refusal::new(
        ErrorKind::InvalidInput,
        "VOICEFLEET_EC2 is set, but this voicefleet was built without EC2 support",
        "install the voicefleet package (built with the aws feature), or build with `cargo build --features aws`",
    )
    .into())
}
