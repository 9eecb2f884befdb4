//! Core's remedies said as this CLI's commands and flags (core says them in library terms).

use voicefleet_core::Remedy;

/// What to run about `remedy`.
pub(crate) fn command(remedy: &Remedy) -> String {
    match remedy {
        Remedy::LoginWithOtp => {
            "give the code from your authenticator app: `voicefleet login --otp CODE` (a recovery code works too)"
                .to_owned()
        }
        Remedy::GiveOtp => {
            "give --otp CODE (the code your authenticator app shows now, or an unused recovery code)".to_owned()
        }
        Remedy::EnrollSecondFactor { user } => format!(
            "ask an admin to run `voicefleet users mfa enable {user}`, add the otpauth:// URI it prints to your \
             authenticator app, then log in with `voicefleet login --otp CODE`"
        ),
        Remedy::EnableSecondFactor { user } => format!("enable one with `voicefleet users mfa enable {user}`"),
        Remedy::ConfirmOwnSecondFactor { user } => format!(
            "enroll first: `voicefleet users mfa enable {user}`, then `voicefleet users mfa confirm {user} --otp CODE`"
        ),
        Remedy::ReplaceSecondFactor { user } => format!(
            "to replace it, disable it first (`voicefleet users mfa disable {user}`), then enable again"
        ),
        Remedy::ManageOwnSecondFactor => "manage your own with `voicefleet users mfa enable YOUR-NAME`".to_owned(),
        Remedy::ListBackups { target } => {
            format!("list the backups with `voicefleet console backups list --from {target}`")
        }
        Remedy::SyncInstances => {
            "run `voicefleet instances sync` to read the cloud, or tag its instance voicefleet:customer=ID".to_owned()
        }
        Remedy::WaitForInstance => {
            "wait until the instance is done changing state (`voicefleet instances list`), then try again".to_owned()
        }
        Remedy::UseExistingInstance { customer } => format!(
            "act on it with `voicefleet instances start|stop|reboot|resize {customer}`, or \
             `voicefleet instances terminate {customer}` first to onboard a new host"
        ),
        Remedy::OnboardCustomer { customer } => format!(
            "onboard it with `voicefleet customers onboard {customer} --instance-type … --image … --subnet …`, \
             which records its launch spec"
        ),
        Remedy::GiveFirstConfig => {
            "give the first configuration with --config FILE (`voicefleet config template` writes one)".to_owned()
        }
        Remedy::GiveEndpoint => "give the host agent's URL with --endpoint, or run `voicefleet instances sync` \
             once the instance has an address"
            .to_owned(),
        Remedy::GiveHostPublicKey => {
            "run onboarding through `voicefleet console serve`, or the embedded console of a data directory".to_owned()
        }
        Remedy::FinishOnboarding { customer } => format!(
            "look at the instance's console output (cloud-init), then finish with `voicefleet config deploy \
             {customer}` and `voicefleet start {customer}` once `voicefleet status {customer}` shows it answering"
        ),
        Remedy::InspectAgent { customer } => {
            format!("see why with `voicefleet logs {customer}` and `voicefleet status {customer}`")
        }
        Remedy::GiveBackupKey => "give the backup key file these backups were made with (--key FILE)".to_owned(),
        Remedy::GiveMasterKey => "give the master key's own backup (--master-key FILE)".to_owned(),
        Remedy::ServeOverTls => {
            "give --tls-cert and --tls-key; or, when a proxy in front terminates TLS, --insecure-plaintext".to_owned()
        }
        Remedy::GiveLaunchSpec => {
            "give --image ami-… --instance-type t3.medium, or --launch-template lt-…".to_owned()
        }
        Remedy::ConfigureCloud => "set VOICEFLEET_EC2=1 (with AWS credentials and region) where the console runs, \
             in a build with the aws feature (the packages)"
            .to_owned(),
        // A remedy newer than this CLI: core's own words.
        other => other.to_string(),
    }
}
