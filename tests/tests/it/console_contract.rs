//! The fleet contract suite against the in-process console.

use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::console::Fleet;
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::fleet_contract::{ContractHosts, RoleFleets, run};
use voicefleet_tests::hosts::{TestHost, down_endpoint, slow_endpoint};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_contract_in_process() {
    let signer = HostTokenSigner::generate().unwrap();
    let mut hosts = vec![TestHost::start("acme", &signer).await, TestHost::start("globex", &signer).await];
    let (slow, slow_task) = slow_endpoint().await;
    let dir = voicefleet_tests::scratch();
    let timeout = Duration::from_millis(800);
    let console = crate::console(dir.path(), &signer, timeout);
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
