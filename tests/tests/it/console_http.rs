//! The fleet contract suite, unchanged, through `ConsoleClient` against a real console server
//! with real host agents.

use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::console::Fleet;
use voicefleet_http::ConsoleClient;
use voicefleet_tests::fleet_contract::{ContractHosts, RoleFleets, run};
use voicefleet_tests::hosts::{TestHost, down_endpoint, slow_endpoint};

fn anonymous_url(client: &ConsoleClient) -> String {
    client.base_url()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_contract_over_http() {
    let dir = voicefleet_tests::scratch();
    let mut options = voicefleet_http::ServeOptions::new(dir.path().join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("correct horse battery staple".to_owned());
    options.host_timeout = Duration::from_millis(800);
    options.refresh_interval = Duration::from_millis(500);
    let server = voicefleet_http::ConsoleServer::start(options).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let signer = server.embedded().signer.clone();
    let mut hosts = vec![TestHost::start("acme", &signer).await, TestHost::start("globex", &signer).await];
    let (slow, slow_task) = slow_endpoint().await;
    let anonymous = ConsoleClient::new(&url, None).unwrap();
    let login = anonymous.login("admin", "correct horse battery staple").await.unwrap();
    let admin = ConsoleClient::new(&url, Some(login.token)).unwrap();
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
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_over_http() {
    use voicefleet_core::auth::Role;
    use voicefleet_tests::cloud::{FakeCloud, instance};
    let dir = voicefleet_tests::scratch();
    let mut options = voicefleet_http::ServeOptions::new(dir.path().join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("correct horse battery staple".to_owned());
    options.host_timeout = Duration::from_millis(800);
    let server = voicefleet_http::ConsoleServer::start(options).await.unwrap();
    let cloud =
        Arc::new(FakeCloud::with(vec![instance("i-acme", Some("acme")), instance("i-stray", Some("zulu"))]));
    assert!(server.embedded().console.set_instance_provider(cloud.clone()));
    let url = format!("http://{}", server.local_addr());
    let signer = server.embedded().signer.clone();
    let mut host = TestHost::start("acme", &signer).await;
    let anonymous = ConsoleClient::new(&url, None).unwrap();
    let login = anonymous.login("admin", "correct horse battery staple").await.unwrap();
    let admin = ConsoleClient::new(&url, Some(login.token)).unwrap();
    let role_client = |name: &'static str, role| {
        let (admin, anonymous) = (admin.clone(), anonymous.clone());
        async move {
            admin.add_user(name, role, "a long enough password").await.unwrap();
            let token = anonymous.login(name, "a long enough password").await.unwrap().token;
            Arc::new(ConsoleClient::new(&anonymous_url(&anonymous), Some(token)).unwrap()) as Arc<dyn Fleet>
        }
    };
    let fleets = RoleFleets {
        admin: Arc::new(admin.clone()),
        operator: role_client("instances-operator", Role::Operator).await,
        viewer: role_client("instances-viewer", Role::Viewer).await,
    };
    let customers = [("acme".to_owned(), host.endpoint.clone()), ("globex".to_owned(), down_endpoint())];
    voicefleet_tests::instances_contract::run(fleets, cloud, customers).await;
    host.stop().await;
    server.shutdown().await;
}
