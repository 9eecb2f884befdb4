//! Serving an axum app on a bound listener, over TLS (rustls) when given a certificate: the one
//! way both the host agent and the console listen.

use std::net::SocketAddr;
use std::path::PathBuf;

use voicefleet_core::{Error, Result};

/// A server running in the background.
pub type ServerTask = tokio::task::JoinHandle<std::io::Result<()>>;

/// Who may reach a server and how: both servers take these flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Serve plain HTTP on a non-loopback address (a proxy in front terminates TLS); warned about
    /// at every start.
    pub insecure_plaintext: bool,
    /// Only clients from these networks (`--allow-cidr`); anyone when empty.
    pub allow: Vec<ipnet::IpNet>,
}

/// Serves `app` on `listener` (with client addresses for rate limits), over TLS when `tls` names
/// a certificate and key (PEM), to the clients `exposure` allows. Plain HTTP on a non-loopback
/// address is refused unless `exposure` says otherwise (core's transport rule). Returns the
/// handle for a graceful shutdown and the task.
pub async fn spawn_server(
    listener: std::net::TcpListener,
    tls: Option<&(PathBuf, PathBuf)>,
    exposure: &Exposure,
    app: axum::Router,
) -> Result<(axum_server::Handle, ServerTask)> {
    let address = listener.local_addr().map_err(|error| Error::io("cannot listen", error))?;
    // The servers check (and warn) before they change anything; this is the backstop.
    voicefleet_core::transport::plaintext_verdict(address, tls.is_some(), exposure.insecure_plaintext)?;
    let app = if exposure.allow.is_empty() {
        app
    } else {
        app.layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(exposure.allow.clone()),
            allow_list,
        ))
    };
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

/// Refuses a client outside the allowed networks (403, before anything else runs).
async fn allow_list(
    axum::extract::State(allowed): axum::extract::State<std::sync::Arc<Vec<ipnet::IpNet>>>,
    axum::extract::ConnectInfo(client): axum::extract::ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if voicefleet_core::transport::is_allowed(&allowed, client.ip()) {
        return next.run(request).await;
    }
    crate::error::ApiError::new(
        voicefleet_core::ErrorKind::Forbidden,
        format!("{} is not in this server's allowed networks (--allow-cidr)", client.ip()),
    )
    .into_response()
}
