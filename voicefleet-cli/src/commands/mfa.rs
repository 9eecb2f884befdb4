//! `users mfa enable|confirm|disable|require|policy`: a console user's second factor.

use std::process::ExitCode;

use voicefleet_core::auth::Role;

use crate::backend::Backend;
use crate::cli::MfaCommand;
use crate::output::{OutputFormat, print_json};

pub(crate) async fn mfa(
    backend: &Backend,
    output: OutputFormat,
    command: MfaCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        MfaCommand::Enable { name } => {
            let enrollment = backend.enable_mfa(&name).await?;
            if output == OutputFormat::Json {
                print_json(&enrollment)?;
            } else {
                println!("{}", enrollment.otpauth_uri);
                println!();
                println!("recovery codes (each works once in place of a code; keep them offline):");
                for code in &enrollment.recovery_codes {
                    println!("  {code}");
                }
                eprintln!(
                    "second factor of {name} enabled, pending: add the otpauth:// URI above to an authenticator \
                     app (it is shown only now), then confirm with `voicefleet users mfa confirm {name} --otp CODE`"
                );
            }
        }
        MfaCommand::Confirm { name, otp } => {
            backend.confirm_mfa(&name, &otp).await?;
            eprintln!(
                "second factor of {name} confirmed: logging in needs a code from now on (`voicefleet login --otp CODE`)"
            );
        }
        MfaCommand::Disable { name, otp } => {
            backend.disable_mfa(&name, otp.as_deref()).await?;
            eprintln!("second factor of {name} removed");
        }
        MfaCommand::Require { role, no_require } => {
            let role = Role::parse(&role).unwrap_or(Role::Viewer);
            let policy = if no_require {
                backend.unrequire_mfa(role).await?
            } else {
                backend.require_mfa(role).await?
            };
            if output == OutputFormat::Json {
                print_json(&policy)?;
            } else {
                let verb = if no_require { "no longer required" } else { "now required" };
                eprintln!("a second factor is {verb} for {role} users");
                print_policy(&policy);
            }
        }
        MfaCommand::Policy => {
            let policy = backend.mfa_policy().await?;
            if output == OutputFormat::Json {
                print_json(&policy)?;
            } else {
                print_policy(&policy);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_policy(policy: &voicefleet_core::console::MfaPolicy) {
    let roles: Vec<&str> = policy.required_roles.iter().map(|r| r.as_str()).collect();
    println!("required for  {}", if roles.is_empty() { "no role".to_owned() } else { roles.join(", ") });
    if !policy.unenrolled.is_empty() {
        println!("refused until enrolled  {}", policy.unenrolled.join(", "));
    }
}
