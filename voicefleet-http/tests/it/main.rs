//! `voicefleet-http` in process and on loopback: both routers' role matrices through
//! `Router::oneshot`, `AgentClient` against a mock host, and the console server (login, lockout,
//! tokens, the OpenAPI document, webhooks, live updates). Tests with real host agents are in the
//! workspace's `tests` crate (this crate does not depend on the host daemon).

mod host_client;
mod manners;
mod mfa;
mod openapi;
mod roles;
mod routes;

use std::time::Duration;

use voicefleet_http::{ConsoleServer, ServeOptions};

pub(crate) struct TestConsole {
    pub(crate) server: Option<ConsoleServer>,
    pub(crate) url: String,
    pub(crate) admin_password: String,
    _dir: tempfile::TempDir,
}

pub(crate) const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A scratch directory, removed when dropped.
pub(crate) fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("voicefleet-http-test").tempdir().unwrap()
}

/// A loopback endpoint where nothing listens.
pub(crate) fn down_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

impl TestConsole {
    pub(crate) async fn start() -> TestConsole {
        let dir = scratch();
        let mut options = ServeOptions::new(dir.path().join("data"));
        options.listen = ([127, 0, 0, 1], 0).into();
        options.admin_password = Some(ADMIN_PASSWORD.to_owned());
        options.host_timeout = Duration::from_millis(800);
        options.refresh_interval = Duration::from_millis(500);
        let server = ConsoleServer::start(options).await.unwrap();
        let url = format!("http://{}", server.local_addr());
        TestConsole { server: Some(server), url, admin_password: ADMIN_PASSWORD.to_owned(), _dir: dir }
    }

    pub(crate) async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}
