//! The console server on loopback: the fleet contract through `ConsoleClient`, every route ×
//! every role, login, lockout, tokens, the OpenAPI document.

mod contract;
mod routes;

use std::time::Duration;

use voicefleet_http::{ConsoleServer, ServeOptions};
use voicefleet_tests::TempDir;

pub(crate) struct TestConsole {
    pub(crate) server: Option<ConsoleServer>,
    pub(crate) url: String,
    pub(crate) admin_password: String,
    _dir: TempDir,
}

pub(crate) const ADMIN_PASSWORD: &str = "correct horse battery staple";

impl TestConsole {
    pub(crate) async fn start() -> TestConsole {
        let dir = voicefleet_tests::scratch();
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
