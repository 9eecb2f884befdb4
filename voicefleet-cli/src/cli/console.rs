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
        /// Address to serve on; anything but loopback needs TLS
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        /// TLS certificate chain (PEM)
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM)
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Allowed CORS origin, repeatable
        #[arg(long = "cors-origin")]
        cors_origins: Vec<String>,
        /// The first admin's password, on the first start of a data directory [default: generated]
        #[arg(long, env = "VOICEFLEET_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Post alerts (firing and resolved) to this URL, with retries
        #[arg(long, value_name = "URL")]
        alert_webhook: Option<String>,
    },
}
