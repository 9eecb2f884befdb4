//! `voicefleet console`: the console server.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(crate) enum ConsoleCommand {
    /// Serve the console API
    #[command(after_long_help = "\
Examples:
  voicefleet console serve
  voicefleet console serve --data /var/lib/voicefleet --listen 10.0.0.5:9000 --tls-cert c.pem --tls-key k.pem
  VOICEFLEET_ADMIN_PASSWORD=... voicefleet console serve --cors-origin http://localhost:5173

On first start the admin user is created with a generated password, shown once (or with
VOICEFLEET_ADMIN_PASSWORD). Hosts must trust DATA/console.pub.pem (--console-public-key).")]
    Serve {
        #[arg(long, env = "VOICEFLEET_CONSOLE_LISTEN", default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        #[arg(long, env = "VOICEFLEET_CONSOLE_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, env = "VOICEFLEET_CONSOLE_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Allowed CORS origin, repeatable
        #[arg(long = "cors-origin")]
        cors_origins: Vec<String>,
        #[arg(long, env = "VOICEFLEET_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Post alerts (firing and resolved) to this URL, with retries
        #[arg(long, env = "VOICEFLEET_ALERT_WEBHOOK", value_name = "URL")]
        alert_webhook: Option<String>,
    },
}
