//! Sessions and administration: `login`, `users`, `tokens`.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(after_long_help = "\
The password is read from standard input when it is not a terminal, else asked for.

Examples:
  voicefleet login --console http://127.0.0.1:9000 --user admin
  printf '%s' \"$PASSWORD\" | voicefleet login --console https://console.example.com --user ops")]
pub(crate) struct LoginArgs {
    /// The user to log in as
    #[arg(long, default_value = "admin")]
    pub(crate) user: String,
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
