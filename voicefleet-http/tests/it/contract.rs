//! The fleet contract suite, unchanged, through `ConsoleClient` against a real server.

use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::console::Fleet;
use voicefleet_http::ConsoleClient;
use voicefleet_tests::fleet_contract::{ContractHosts, RoleFleets, run};
use voicefleet_tests::hosts::{TestHost, down_endpoint, slow_endpoint};

use crate::TestConsole;

fn anonymous_url(client: &ConsoleClient) -> String {
    client.base_url()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_contract_over_http() {
    let mut console = TestConsole::start().await;
    let signer = console.server.as_ref().unwrap().embedded().signer.clone();
    let mut hosts = vec![TestHost::start("acme", &signer).await, TestHost::start("globex", &signer).await];
    let (slow, slow_task) = slow_endpoint().await;
    let anonymous = ConsoleClient::new(&console.url, None).unwrap();
    let login = anonymous.login("admin", &console.admin_password).await.unwrap();
    let admin = ConsoleClient::new(&console.url, Some(login.token)).unwrap();
    // One client per role, each holding that role's token: the server decides, not the caller.
    let role_client = |name: &'static str, role| {
        let admin = admin.clone();
        let anonymous = anonymous.clone();
        async move {
            admin.add_user(name, role, "a long enough password").await.unwrap();
            let token = anonymous.login(name, "a long enough password").await.unwrap().token;
            Arc::new(ConsoleClient::new(&anonymous_url(&anonymous), Some(token)).unwrap()) as Arc<dyn Fleet>
        }
    };
    let operator = role_client("contract-operator", voicefleet_core::auth::Role::Operator).await;
    let viewer = role_client("contract-viewer", voicefleet_core::auth::Role::Viewer).await;
    run(
        RoleFleets { admin: Arc::new(admin.clone()), operator, viewer },
        ContractHosts {
            up: hosts.iter().map(|h| (h.customer_id.clone(), h.endpoint.clone())).collect(),
            down: down_endpoint(),
            slow,
            host_timeout: Duration::from_millis(800),
        },
    )
    .await;
    for host in &mut hosts {
        host.stop().await;
    }
    slow_task.abort();
    console.stop().await;
}
