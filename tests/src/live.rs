//! A console server with a real host agent running the simulated voice agent, for the live
//! path's tests and its crash-to-event benchmark; and waiting for the console's live events.

use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{
    Actor, ControlAction, Fleet, FleetEvent, NewCustomer, RevisionInput, Selector,
};
use voicefleet_http::{ConsoleClient, ConsoleServer, ServeOptions};

use crate::TempDir;
use crate::events::next_event;
use crate::hosts::{TestHost, simulated_config};

/// A console server on loopback with one customer whose host agent runs a voice agent.
#[derive(Debug)]
pub struct LiveConsole {
    pub server: ConsoleServer,
    pub host: TestHost,
    pub customer_id: String,
    /// A ConsoleClient holding an admin user token.
    pub client: ConsoleClient,
    _dir: TempDir,
}

impl LiveConsole {
    /// Starts it all; the console polls every `refresh` (make it long to see the live path
    /// alone). The agent is `running` when this returns.
    pub async fn start(customer_id: &str, refresh: Duration) -> LiveConsole {
        let dir = crate::scratch();
        let mut options = ServeOptions::new(dir.path().join("data"));
        options.listen = ([127, 0, 0, 1], 0).into();
        options.admin_password = Some("correct horse battery staple".to_owned());
        options.refresh_interval = refresh;
        options.host_timeout = Duration::from_secs(2);
        let embedded = voicefleet_http::open_embedded(
            options.data_dir.clone(),
            options.admin_password.clone(),
            options.host_timeout,
        )
        .await
        .expect("open the console");
        let host = TestHost::start(customer_id, &embedded.signer).await;
        let console = embedded.console.clone();
        let admin = Actor::new("live-test", Role::Admin);
        let customer = NewCustomer {
            id: customer_id.to_owned(),
            name: String::new(),
            endpoint: host.endpoint.clone(),
            tags: Vec::new(),
            trust: Default::default(),
        };
        console.add_customer(&admin, customer).await.expect("add the customer");
        for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
            console.set_secret(&admin, customer_id, name, "value").await.expect("set a secret");
        }
        let config = simulated_config(serde_json::json!({"ready_delay_ms": 20, "call_interval_ms": 60000}));
        let input = RevisionInput::Full { document: config.as_value() };
        console.create_revision(&admin, customer_id, input, "live").await.expect("a revision");
        console.deploy(&admin, customer_id, None).await.expect("deploy");
        let started = console.control(&admin, customer_id, ControlAction::Start, None).await.expect("start");
        assert_eq!(started.state, "running");
        let token = embedded.user_token("admin", Role::Admin, 3600).expect("a user token");
        let server = ConsoleServer::serve(embedded, &options).await.expect("serve the console");
        let client =
            ConsoleClient::new(&format!("http://{}", server.local_addr()), Some(token)).expect("a client");
        LiveConsole { server, host, customer_id: customer_id.to_owned(), client, _dir: dir }
    }

    /// The agent's status as the host says now (a fresh poll through the console).
    pub async fn agent_status(&self) -> voicefleet_core::host::HostStatus {
        let admin = Actor::new("live-test", Role::Admin);
        let all = self.server.embedded().console.status(&admin, &Selector::All).await.expect("status");
        all.into_iter().find(|s| s.customer_id == self.customer_id).and_then(|s| s.status).expect("reachable")
    }

    /// Restarts the agent through the console until the console's event stream (`events`)
    /// reports it running again — proof that both the host's stream and the console's are
    /// connected. At most `tries` restarts, each waited for 3 s.
    pub async fn wait_until_live(&self, events: &mut broadcast::Receiver<FleetEvent>, tries: usize) {
        let admin = Actor::new("live-test", Role::Admin);
        for _ in 0..tries {
            let restarted = self
                .client
                .control(&admin, &self.customer_id, ControlAction::Restart, Some(Duration::from_millis(200)))
                .await
                .expect("restart");
            let deadline = Instant::now() + Duration::from_secs(3);
            while let Ok(Ok(event)) =
                tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), events.recv()).await
            {
                if matches!(&event, FleetEvent::StatusChanged { to, pid, .. } if to == "running" && *pid == restarted.pid)
                {
                    return;
                }
            }
        }
        panic!("the console's live events never reported a restart");
    }

    pub async fn shutdown(mut self) {
        self.server.shutdown().await;
        self.host.stop().await;
    }
}

/// kill -9 of `pid`.
pub fn kill9(pid: i32) {
    let killed =
        std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().expect("run kill");
    assert!(killed.success(), "kill -9 {pid} failed");
}

/// The console's `status_changed` to `running` for `customer_id` with a PID other than `old`,
/// within `within`.
pub async fn back_running(
    events: &mut broadcast::Receiver<FleetEvent>,
    customer_id: &str,
    old: i32,
    within: Duration,
) -> (FleetEvent, Vec<FleetEvent>) {
    next_event(events, within, "status_changed to running with a new pid", |event| {
        matches!(event, FleetEvent::StatusChanged { customer_id: id, to, pid: Some(pid), .. }
            if id == customer_id && to == "running" && *pid != old)
    })
    .await
}
