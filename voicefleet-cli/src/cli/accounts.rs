//! Sessions and administration: `login`, `users`, `tokens`.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(after_long_help = "\
The password is read from standard input when it is not a terminal, else asked for. A user
with a second factor gives the code from their authenticator app (or a recovery code) with
--otp; on a terminal it is asked for when the console needs it.

Examples:
  voicefleet login --console http://127.0.0.1:9000 --user admin
  printf '%s' \"$PASSWORD\" | voicefleet login --console https://console.example.com --user ops
  voicefleet login --console https://console.example.com --user dana --otp 123456")]
pub(crate) struct LoginArgs {
    /// The user to log in as
    #[arg(long, default_value = "admin")]
    pub(crate) user: String,
    /// The second-factor code from your authenticator app, or one of your recovery codes
    #[arg(long, value_name = "CODE")]
    pub(crate) otp: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Add a user; the password comes from standard input, or a hidden prompt asked twice
    #[command(
        after_long_help = "Example:\n  printf '%s' \"$PASSWORD\" | voicefleet users add alice --role operator"
    )]
    Add {
        /// The new user's name
        name: String,
        /// What they may do: viewer (read), operator (control agents), admin (everything)
        #[arg(long, value_parser = ["viewer", "operator", "admin"])]
        role: String,
    },
    /// List users
    List,
    /// Remove a user (their API tokens die with them; asks first)
    Rm {
        /// The user's name
        name: String,
        /// Do not ask (required when standard input is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Set a user's password (yours, or anyone's as admin)
    #[command(after_long_help = "\
Changing your own password asks for the current one first. Off a terminal, give the current
password on the first line of standard input and the new one on the second; an admin setting
another user's password gives only the new one. The user's earlier logins end.

Examples:
  voicefleet users passwd dana
  printf '%s\\n%s\\n' \"$OLD\" \"$NEW\" | voicefleet users passwd me")]
    Passwd {
        /// The user's name
        name: String,
    },
    /// A user's second factor (TOTP): enable, confirm, disable; which roles require one
    #[command(subcommand)]
    Mfa(MfaCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum MfaCommand {
    /// Give a user a new second factor: prints its otpauth:// URI and recovery codes, once
    #[command(after_long_help = "\
Admins enable anyone's; others their own. Add the URI to an authenticator app (most read it
from a QR code, e.g. `qrencode -t ansiutf8 URI`), keep the recovery codes offline, then confirm
with a first code: until then logins do not ask for one. An enabled, confirmed factor is not
replaced: disable it first.

Example:
  voicefleet users mfa enable dana
  voicefleet users mfa confirm dana --otp 123456")]
    Enable {
        /// The user's name
        name: String,
    },
    /// Confirm a pending second factor with a first code; logins need a code from then on
    Confirm {
        /// The user's name
        name: String,
        /// The code the authenticator app shows now
        #[arg(long, value_name = "CODE")]
        otp: String,
    },
    /// Remove a user's second factor (admins: anyone's; your own needs --otp)
    Disable {
        /// The user's name
        name: String,
        /// A current code or a recovery code (needed to remove your own)
        #[arg(long, value_name = "CODE")]
        otp: Option<String>,
    },
    /// Require a second factor at login for a role (or stop, with --no-require)
    #[command(after_long_help = "\
Users of that role without a confirmed second factor are refused at login, with a message that
says how to enroll; `voicefleet users list` shows who. Requiring it for your own role needs your
own factor first. API tokens are not concerned (they are for automation).

Examples:
  voicefleet users mfa require --role admin
  voicefleet users mfa require --role viewer --no-require")]
    Require {
        /// The role: viewer, operator or admin
        #[arg(long, value_parser = ["viewer", "operator", "admin"])]
        role: String,
        /// Stop requiring it for that role
        #[arg(long)]
        no_require: bool,
    },
    /// Show which roles require a second factor, and who of them has none
    Policy,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokensCommand {
    /// Create an API token; it is printed once (field `token` with --output json)
    #[command(after_long_help = "Example:\n  voicefleet tokens create ci --role operator --expires 30d")]
    Create {
        /// The token's name (what uses it: ci, grafana…)
        name: String,
        /// What it may do: viewer (read), operator (control agents), admin (everything)
        #[arg(long, value_parser = ["viewer", "operator", "admin"])]
        role: String,
        /// Lifetime: 3600s, 90m, 12h, 30d (default: no expiry)
        #[arg(long)]
        expires: Option<String>,
    },
    /// List API tokens (never their values)
    List,
    /// Revoke an API token (whatever uses it is refused from now on; asks first)
    Revoke {
        /// The token's id (from `voicefleet tokens list`)
        id: String,
        /// Do not ask (required when standard input is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
}
