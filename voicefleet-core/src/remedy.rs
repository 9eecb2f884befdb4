//! What the caller can do about an error, as data.
//!
//! Core says what to do in library terms ([`Remedy`]'s `Display`, which is what
//! [`Error::hint`](crate::Error::hint) returns); each frontend says it in its own: the CLI names
//! its command, the HTTP API puts the remedy in its error body (`remedy.action` and
//! `remedy.subject`) so that a client on the other side of the wire can name its own command
//! again. Every remedy has at most one subject (a user, a customer, a backup location), so the
//! wire form is two strings.

use std::fmt;

/// What the caller can do about an error; carried by [`crate::Error::remedy`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Remedy {
    /// Log in again with the current one-time code from the authenticator app, or a recovery
    /// code.
    LoginWithOtp,
    /// Give the current one-time code (or a recovery code) with the request, as `otp`.
    GiveOtp,
    /// An admin enrolls `user` in a second factor; the user adds it to an authenticator app and
    /// logs in with a code from it.
    EnrollSecondFactor {
        /// The user to enroll.
        user: String,
    },
    /// Enable a second factor for `user` first.
    EnableSecondFactor {
        /// The user without one.
        user: String,
    },
    /// Enroll and confirm your own second factor (`user` is you) before requiring one.
    ConfirmOwnSecondFactor {
        /// The user asking.
        user: String,
    },
    /// Remove `user`'s second factor first, then enable a new one.
    ReplaceSecondFactor {
        /// The user whose factor to replace.
        user: String,
    },
    /// Without the admin role, manage only your own second factor.
    ManageOwnSecondFactor,
    /// List the backups at `target` (a directory or an `s3://` prefix) and pick one.
    ListBackups {
        /// Where the backups are.
        target: String,
    },
    /// Read the cloud's instances again, or tag the customer's instance
    /// `voicefleet:customer=ID`.
    SyncInstances,
    /// Wait until the instance is done changing state, then try again.
    WaitForInstance,
    /// Act on the customer's existing instance, or terminate it before onboarding a new host.
    UseExistingInstance {
        /// The customer.
        customer: String,
    },
    /// Onboard the customer onto a new instance, which records its launch spec.
    OnboardCustomer {
        /// The customer.
        customer: String,
    },
    /// Give the customer's first configuration document with the request (a template is a
    /// starting point).
    GiveFirstConfig,
    /// Give the host agent's URL, or read the cloud again so that the instance has an address.
    GiveEndpoint,
    /// Open the console with a public key for its hosts (a console over a data directory has
    /// one).
    GiveHostPublicKey,
    /// Look at the instance's console output (cloud-init); once its host answers, deploy the
    /// latest revision and start the agent.
    FinishOnboarding {
        /// The customer being onboarded.
        customer: String,
    },
    /// Read the agent's logs and status to see why.
    InspectAgent {
        /// The customer whose agent it is.
        customer: String,
    },
    /// Give the backup key file the backups were sealed with.
    GiveBackupKey,
    /// Give the master key's own backup file (the one kept beside the backups).
    GiveMasterKey,
    /// Serve over TLS with a certificate and key; or, when a proxy in front terminates TLS,
    /// allow plain HTTP explicitly.
    ServeOverTls,
    /// Give the console an instance provider (a cloud, with its credentials and region).
    ConfigureCloud,
    /// Give a launch spec an image and an instance type, or a launch template.
    GiveLaunchSpec,
}

impl Remedy {
    /// Every action name, for the HTTP API's schema.
    pub const ACTIONS: [&'static str; 22] = [
        "login_with_otp",
        "enroll_second_factor",
        "enable_second_factor",
        "confirm_own_second_factor",
        "replace_second_factor",
        "manage_own_second_factor",
        "list_backups",
        "sync_instances",
        "wait_for_instance",
        "use_existing_instance",
        "onboard_customer",
        "give_first_config",
        "give_endpoint",
        "give_host_public_key",
        "finish_onboarding",
        "inspect_agent",
        "give_otp",
        "give_backup_key",
        "give_master_key",
        "serve_over_tls",
        "configure_cloud",
        "give_launch_spec",
    ];

    /// The remedy's stable snake_case name (one of [`Remedy::ACTIONS`]).
    pub fn action(&self) -> &'static str {
        Self::ACTIONS[self.index()]
    }

    fn index(&self) -> usize {
        match self {
            Remedy::LoginWithOtp => 0,
            Remedy::EnrollSecondFactor { .. } => 1,
            Remedy::EnableSecondFactor { .. } => 2,
            Remedy::ConfirmOwnSecondFactor { .. } => 3,
            Remedy::ReplaceSecondFactor { .. } => 4,
            Remedy::ManageOwnSecondFactor => 5,
            Remedy::ListBackups { .. } => 6,
            Remedy::SyncInstances => 7,
            Remedy::WaitForInstance => 8,
            Remedy::UseExistingInstance { .. } => 9,
            Remedy::OnboardCustomer { .. } => 10,
            Remedy::GiveFirstConfig => 11,
            Remedy::GiveEndpoint => 12,
            Remedy::GiveHostPublicKey => 13,
            Remedy::FinishOnboarding { .. } => 14,
            Remedy::InspectAgent { .. } => 15,
            Remedy::GiveOtp => 16,
            Remedy::GiveBackupKey => 17,
            Remedy::GiveMasterKey => 18,
            Remedy::ServeOverTls => 19,
            Remedy::ConfigureCloud => 20,
            Remedy::GiveLaunchSpec => 21,
        }
    }

    /// The user, customer or backup location the remedy is about, if any.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Remedy::EnrollSecondFactor { user }
            | Remedy::EnableSecondFactor { user }
            | Remedy::ConfirmOwnSecondFactor { user }
            | Remedy::ReplaceSecondFactor { user } => Some(user),
            Remedy::ListBackups { target } => Some(target),
            Remedy::UseExistingInstance { customer }
            | Remedy::OnboardCustomer { customer }
            | Remedy::FinishOnboarding { customer }
            | Remedy::InspectAgent { customer } => Some(customer),
            Remedy::LoginWithOtp
            | Remedy::GiveOtp
            | Remedy::ManageOwnSecondFactor
            | Remedy::SyncInstances
            | Remedy::WaitForInstance
            | Remedy::GiveFirstConfig
            | Remedy::GiveEndpoint
            | Remedy::GiveHostPublicKey
            | Remedy::GiveBackupKey
            | Remedy::GiveMasterKey
            | Remedy::ServeOverTls
            | Remedy::ConfigureCloud
            | Remedy::GiveLaunchSpec => None,
        }
    }

    /// Rebuilds a remedy from its [`Remedy::action`] and [`Remedy::subject`] (as an error body
    /// carries them); `None` for an unknown action, or a subject missing where one is needed.
    pub fn from_parts(action: &str, subject: Option<&str>) -> Option<Remedy> {
        let subject = || subject.map(str::to_owned);
        Some(match action {
            "login_with_otp" => Remedy::LoginWithOtp,
            "enroll_second_factor" => Remedy::EnrollSecondFactor { user: subject()? },
            "enable_second_factor" => Remedy::EnableSecondFactor { user: subject()? },
            "confirm_own_second_factor" => Remedy::ConfirmOwnSecondFactor { user: subject()? },
            "replace_second_factor" => Remedy::ReplaceSecondFactor { user: subject()? },
            "manage_own_second_factor" => Remedy::ManageOwnSecondFactor,
            "list_backups" => Remedy::ListBackups { target: subject()? },
            "sync_instances" => Remedy::SyncInstances,
            "wait_for_instance" => Remedy::WaitForInstance,
            "use_existing_instance" => Remedy::UseExistingInstance { customer: subject()? },
            "onboard_customer" => Remedy::OnboardCustomer { customer: subject()? },
            "give_first_config" => Remedy::GiveFirstConfig,
            "give_endpoint" => Remedy::GiveEndpoint,
            "give_host_public_key" => Remedy::GiveHostPublicKey,
            "finish_onboarding" => Remedy::FinishOnboarding { customer: subject()? },
            "inspect_agent" => Remedy::InspectAgent { customer: subject()? },
            "give_otp" => Remedy::GiveOtp,
            "give_backup_key" => Remedy::GiveBackupKey,
            "give_master_key" => Remedy::GiveMasterKey,
            "serve_over_tls" => Remedy::ServeOverTls,
            "configure_cloud" => Remedy::ConfigureCloud,
            "give_launch_spec" => Remedy::GiveLaunchSpec,
            _ => return None,
        })
    }
}

/// The remedy in library terms: what to do, not which command does it.
impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remedy::LoginWithOtp => f.write_str(
                "log in again with the 6-digit code from your authenticator app (or a recovery code) as `otp`",
            ),
            Remedy::GiveOtp => f.write_str(
                "give the code your authenticator app shows now (or an unused recovery code) as `otp`",
            ),
            Remedy::EnrollSecondFactor { user } => write!(
                f,
                "an admin enables a second factor for `{user}`; add the otpauth:// URI it gives to your \
                 authenticator app, then log in with a code from it"
            ),
            Remedy::EnableSecondFactor { user } => write!(f, "enable a second factor for `{user}` first"),
            Remedy::ConfirmOwnSecondFactor { user } => write!(
                f,
                "enable a second factor for yourself (`{user}`) and confirm it with a first code before \
                 requiring one"
            ),
            Remedy::ReplaceSecondFactor { user } => {
                write!(f, "to replace it, remove `{user}`'s second factor first, then enable a new one")
            }
            Remedy::ManageOwnSecondFactor => f.write_str("manage your own second factor instead"),
            Remedy::ListBackups { target } => write!(f, "list the backups at {target} and pick one"),
            Remedy::SyncInstances => f.write_str(
                "read the cloud's instances again, or tag the customer's instance voicefleet:customer=ID",
            ),
            Remedy::WaitForInstance => {
                f.write_str("wait until the instance is done changing state, then try again")
            }
            Remedy::UseExistingInstance { customer } => write!(
                f,
                "act on `{customer}`'s instance, or terminate it first to onboard a new host"
            ),
            Remedy::OnboardCustomer { customer } => write!(
                f,
                "onboard `{customer}` onto a new instance, which records its launch spec"
            ),
            Remedy::GiveFirstConfig => f.write_str(
                "give the first configuration document with the request (a configuration template is a \
                 starting point)",
            ),
            Remedy::GiveEndpoint => f.write_str(
                "give the host agent's URL, or read the cloud's instances again once the instance has an address",
            ),
            Remedy::GiveHostPublicKey => f.write_str(
                "open the console with its hosts' public key (a console over a data directory has one)",
            ),
            Remedy::FinishOnboarding { customer } => write!(
                f,
                "look at the instance's console output (cloud-init); once its host answers, deploy \
                 `{customer}`'s latest revision and start the agent"
            ),
            Remedy::InspectAgent { customer } => {
                write!(f, "read `{customer}`'s agent logs and status to see why")
            }
            Remedy::GiveBackupKey => f.write_str("give the backup key file these backups were made with"),
            Remedy::GiveMasterKey => f.write_str("give the master key's own backup file"),
            Remedy::ServeOverTls => f.write_str(
                "give a TLS certificate and key; or, when a proxy in front terminates TLS, allow plain HTTP explicitly",
            ),
            Remedy::GiveLaunchSpec => f.write_str(
                "give an image id and an instance type (ami-… and t3.medium, for example), or a launch template id (lt-…)",
            ),
            Remedy::ConfigureCloud => f.write_str(
                "give the console an instance provider (EC2, with credentials and a region) where it runs",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Remedy;

    fn every() -> Vec<Remedy> {
        let subject = || "acme".to_owned();
        vec![
            Remedy::LoginWithOtp,
            Remedy::EnrollSecondFactor { user: subject() },
            Remedy::EnableSecondFactor { user: subject() },
            Remedy::ConfirmOwnSecondFactor { user: subject() },
            Remedy::ReplaceSecondFactor { user: subject() },
            Remedy::ManageOwnSecondFactor,
            Remedy::ListBackups { target: subject() },
            Remedy::SyncInstances,
            Remedy::WaitForInstance,
            Remedy::UseExistingInstance { customer: subject() },
            Remedy::OnboardCustomer { customer: subject() },
            Remedy::GiveFirstConfig,
            Remedy::GiveEndpoint,
            Remedy::GiveHostPublicKey,
            Remedy::FinishOnboarding { customer: subject() },
            Remedy::InspectAgent { customer: subject() },
            Remedy::GiveOtp,
            Remedy::GiveBackupKey,
            Remedy::GiveMasterKey,
            Remedy::ServeOverTls,
            Remedy::ConfigureCloud,
            Remedy::GiveLaunchSpec,
        ]
    }

    #[test]
    fn every_remedy_survives_its_wire_form_and_names_no_command() {
        let all = every();
        assert_eq!(all.len(), Remedy::ACTIONS.len());
        for (index, remedy) in all.iter().enumerate() {
            assert_eq!(remedy.action(), Remedy::ACTIONS[index]);
            assert_eq!(Remedy::from_parts(remedy.action(), remedy.subject()).as_ref(), Some(remedy));
            let text = remedy.to_string();
            assert!(
                !text.contains("voicefleet ") && !text.contains("--") && !text.contains("/v1/"),
                "{text}"
            );
        }
    }

    #[test]
    fn an_unknown_action_or_a_missing_subject_is_no_remedy() {
        assert_eq!(Remedy::from_parts("reboot_the_moon", None), None);
        assert_eq!(Remedy::from_parts("list_backups", None), None);
        assert_eq!(Remedy::from_parts("sync_instances", Some("ignored")), Some(Remedy::SyncInstances));
    }
}
