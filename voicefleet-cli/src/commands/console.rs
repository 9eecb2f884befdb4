//! `console serve`.

use std::process::ExitCode;
use std::time::Duration;

use voicefleet_http::{ConsoleServer, ServeOptions};

use crate::backend::default_data_dir;
use crate::cli::{ConsoleCommand, Global};

pub(crate) async fn run(global: &Global, command: ConsoleCommand) -> anyhow::Result<ExitCode> {
    let ConsoleCommand::Serve { listen, tls_cert, tls_key, cors_origins, admin_password, alert_webhook } =
        command;
    let data = global.data.clone().unwrap_or_else(default_data_dir);
    let mut options = ServeOptions::new(data.clone());
    options.listen = listen;
    options.tls = tls_cert.zip(tls_key);
    let options_tls = options.tls.is_some();
    options.cors_origins = cors_origins;
    options.admin_password = admin_password;
    options.alert_webhook = alert_webhook;
    options.refresh_interval = Duration::from_secs(5);
    let server = ConsoleServer::start(options).await?;
    let embedded = server.embedded();
    let scheme = if options_tls { "https" } else { "http" };
    eprintln!("voicefleet console on {scheme}://{} (data in {})", server.local_addr(), data.display());
    if let Some((name, password)) = &embedded.first_admin
        && !password.is_empty()
    {
        eprintln!(
            "first admin: {name} / {password}  (shown once; change it with `voicefleet users passwd {name}`)"
        );
    }
    match &embedded.key_source {
        voicefleet_core::console::KeySource::Generated(path) => {
            eprintln!(
                "generated the master key for secrets at {} — back it up; without it secrets cannot be read",
                path.display()
            )
        }
        voicefleet_core::console::KeySource::File(path) => eprintln!("master key: {}", path.display()),
        voicefleet_core::console::KeySource::Environment => {
            eprintln!("master key: from VOICEFLEET_MASTER_KEY")
        }
    }
    eprintln!("hosts must trust {}", data.join("console.pub.pem").display());
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
