//! Opening a pool on a `postgres://` URL: the URL read (the password from it, else
//! `VOICEFLEET_STORE_PASSWORD`, which a server takes out of its environment at start, else
//! `PGPASSWORD`), TLS through rustls with the platform's roots unless `sslmode=disable`, and
//! errors that say what to change.

use std::str::FromStr as _;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::{Host, SslMode};

use crate::console::StoreLocation;
use crate::error::{Error, Result};

/// Where the password comes from when the URL has none (kept out of the URL, so out of `ps`).
const PASSWORD_VARIABLE: &str = "VOICEFLEET_STORE_PASSWORD";

/// How many connections one console keeps open at most.
const POOL_SIZE: usize = 16;

/// A URL's parsed form and its description without the password.
pub(super) struct Target {
    pub(super) config: tokio_postgres::Config,
    pub(super) shown: String,
}

/// Reads `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…`).
pub(super) fn target(url: &str) -> Result<Target> {
    let invalid = |reason: String| Error::InvalidValue {
        value: StoreLocation::Postgres(url.to_owned()).describe(),
        reason,
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(invalid(
            "a PostgreSQL store is a URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE".to_owned(),
        ));
    }
    let mut config = tokio_postgres::Config::from_str(url).map_err(|error| {
        invalid(format!("cannot read it ({error}); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"))
    })?;
    if config.get_user().is_none() {
        return Err(invalid("it names no user: postgres://USER:PASSWORD@HOST:PORT/DATABASE".to_owned()));
    }
    if config.get_password().is_none()
        && let Some(password) =
            crate::secret_env::var(PASSWORD_VARIABLE).or_else(|| std::env::var("PGPASSWORD").ok())
    {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.application_name("voicefleet-console");
    let shown = describe(&config);
    Ok(Target { config, shown })
}

/// `postgres://USER@HOST:PORT/DATABASE`, never the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or_default(),
        config.get_dbname().or(config.get_user()).unwrap_or_default()
    )
}

/// A pool of connections to `target`, with TLS unless the URL says `sslmode=disable`.
pub(super) fn pool(target: &Target) -> Result<Pool> {
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = if target.config.get_ssl_mode() == SslMode::Disable {
        Manager::from_config(target.config.clone(), tokio_postgres::NoTls, manager_config)
    } else {
        Manager::from_config(target.config.clone(), tls()?, manager_config)
    };
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        .map_err(|error| Error::Internal { message: format!("cannot build the PostgreSQL pool: {error}") })
}

/// rustls with the platform's certificate roots (a managed database's CA among them).
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|error| Error::Internal { message: format!("TLS for PostgreSQL: {error}") })?
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// What a failure to reach or log in to the database means, and what to do.
pub(super) fn connect_error(shown: &str, error: &tokio_postgres::Error) -> Error {
    let code = error.code().map(|code| code.code().to_owned());
    let detail = error.as_db_error().map(|db| db.message().to_owned()).unwrap_or_else(|| {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            text.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        text
    });
    let hint = match code.as_deref() {
        Some("28P01") | Some("28000") => {
            "check the user and password in the store URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE, \
             or the password in VOICEFLEET_STORE_PASSWORD)"
        }
        Some("3D000") => {
            "create the database first (createdb, or CREATE DATABASE), or name another in the store URL"
        }
        _ if detail.contains("certificate") => {
            "the server's TLS certificate is not trusted: add its CA to the system's certificate roots \
             (Debian: /usr/local/share/ca-certificates/, then update-ca-certificates), or, on a private \
             network only, add sslmode=disable to the URL"
        }
        _ if detail.contains("password missing") => {
            "the server asks for a password and the URL has none: set VOICEFLEET_STORE_PASSWORD \
             (or PGPASSWORD), or give postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        }
        _ => "check the store URL's host and port, and that the PostgreSQL server is running and reachable",
    };
    Error::Unavailable { message: format!("cannot use the PostgreSQL store {shown}: {detail}; {hint}") }
}
