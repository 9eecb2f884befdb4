//! The fleet contract suite against the in-process console, on SQLite and on PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::console::{
    Console, ConsoleOptions, Fleet, PostgresStore, SecretBox, SqliteStore, Store,
};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::fleet_contract::{ContractHosts, RoleFleets, run};
use voicefleet_tests::hosts::{TestHost, down_endpoint, slow_endpoint};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_contract_in_process() {
    let dir = voicefleet_tests::scratch();
    let store = Arc::new(SqliteStore::open(&dir.path().join("console.db")).unwrap());
    fleet_contract_on(store).await;
}

/// The same console with its data in PostgreSQL (a real server, started for this test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_contract_on_postgres() {
    let server = voicefleet_tests::postgres::PostgresServer::start();
    let url = server.create_database("fleet");
    let store = Arc::new(PostgresStore::connect(&url).await.unwrap());
    fleet_contract_on(store).await;
}

async fn fleet_contract_on(store: Arc<dyn Store>) {
    let signer = HostTokenSigner::generate().unwrap();
    let mut hosts = vec![TestHost::start("acme", &signer).await, TestHost::start("globex", &signer).await];
    let (slow, slow_task) = slow_endpoint().await;
    let timeout = Duration::from_millis(800);
    let options = ConsoleOptions::default().host_timeout(timeout);
    let console =
        Console::new(store, voicefleet_tests::hosts::connector(&signer), SecretBox::new(&[9; 32]), options);
    let fleet: Arc<dyn Fleet> = console.clone();
    run(
        RoleFleets::same(fleet),
        ContractHosts {
            up: hosts.iter().map(|h| (h.customer_id.clone(), h.endpoint.clone())).collect(),
            down: down_endpoint(),
            slow,
            host_timeout: timeout,
        },
    )
    .await;
    for host in &mut hosts {
        host.stop().await;
    }
    slow_task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_in_process() {
    use voicefleet_tests::cloud::{FakeCloud, instance};
    let signer = HostTokenSigner::generate().unwrap();
    let mut host = TestHost::start("acme", &signer).await;
    let dir = voicefleet_tests::scratch();
    let console = crate::console(dir.path(), &signer, Duration::from_millis(800));
    let cloud =
        Arc::new(FakeCloud::with(vec![instance("i-acme", Some("acme")), instance("i-stray", Some("zulu"))]));
    assert!(console.set_instance_provider(cloud.clone()));
    let customers = [("acme".to_owned(), host.endpoint.clone()), ("globex".to_owned(), down_endpoint())];
    voicefleet_tests::instances_contract::run(RoleFleets::same(console.clone()), cloud, customers).await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_without_a_provider_say_how_to_get_one() {
    let signer = HostTokenSigner::generate().unwrap();
    let dir = voicefleet_tests::scratch();
    let console = crate::console(dir.path(), &signer, Duration::from_millis(800));
    let admin = voicefleet_core::console::Actor::new("admin", voicefleet_core::auth::Role::Admin);
    let report = console.instances(&admin).await.unwrap();
    assert_eq!((report.provider, report.synced_at_ms), (None, None));
    let error = console.sync_instances(&admin).await.unwrap_err();
    // Not a 503: no retry helps, the console's setup has to change.
    assert_eq!(error.kind(), voicefleet_core::ErrorKind::Conflict);
    assert!(error.to_string().contains("no instance provider"), "{error}");
    // Said in library terms by core; the CLI names VOICEFLEET_EC2=1 for it.
    assert_eq!(error.remedy(), Some(voicefleet_core::Remedy::ConfigureCloud), "{error:?}");
    assert!(error.hint().is_some_and(|hint| hint.contains("instance provider")), "{error}");
}
