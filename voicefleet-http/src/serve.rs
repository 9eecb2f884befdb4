//! Serving an axum app on a bound listener, over TLS (rustls) when given a certificate: the one
//! way both the host agent and the console listen.

use std::net::SocketAddr;
use std::path::PathBuf;

use voicefleet_core::{Error, Result};

/// A server running in the background.
pub type ServerTask = tokio::task::JoinHandle<std::io::Result<()>>;

/// Serves `app` on `listener` (with client addresses for rate limits), over TLS when `tls` names
/// a certificate and key (PEM). Returns the handle for a graceful shutdown and the task.
pub async fn spawn_server(
    listener: std::net::TcpListener,
    tls: Option<&(PathBuf, PathBuf)>,
    app: axum::Router,
) -> Result<(axum_server::Handle, ServerTask)> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let task = match tls {
        Some((cert, key)) => {
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await.map_err(|error| {
                    Error::io(
                        format!(
                            "cannot load the TLS certificate {} and key {}",
                            cert.display(),
                            key.display()
                        ),
                        error,
                    )
                })?;
            let server = axum_server::from_tcp_rustls(listener, config).handle(handle.clone());
            tokio::spawn(async move { server.serve(app).await })
        }
        None => {
            let server = axum_server::from_tcp(listener).handle(handle.clone());
            tokio::spawn(async move { server.serve(app).await })
        }
    };
    Ok((handle, task))
}

/// Binds `address` for [`spawn_server`], naming the address when it cannot.
pub fn bind(address: SocketAddr) -> Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(address)
        .map_err(|error| Error::io(format!("cannot listen on {address}"), error))?;
    listener
        .set_nonblocking(true)
        .map_err(|error| Error::io(format!("cannot listen on {address}"), error))?;
    Ok(listener)
}
