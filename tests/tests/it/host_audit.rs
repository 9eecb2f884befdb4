//! The console reads a customer's host audit file (admins only), in process and over HTTP: the
//! host names the console as the caller of each change the console made.

use std::time::Duration;

use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, Fleet};
use voicefleet_tests::live::LiveConsole;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_reads_a_hosts_audit_file_and_its_verification() {
    let live = LiveConsole::start("acme-audit", Duration::from_secs(60)).await;
    let admin = Actor::new("audit-test", Role::Admin);
    let console = live.server.embedded().console.clone();

    let page = console.host_audit(&admin, "acme-audit", 0, 1000).await.unwrap();
    let changes: Vec<(&str, &str, &str)> =
        page.entries.iter().map(|e| (e.actor.as_str(), e.action.as_str(), e.outcome.as_str())).collect();
    for wanted in [
        ("voicefleet-console", "secret.set", "ok"),
        ("voicefleet-console", "config.apply", "ok"),
        ("voicefleet-console", "agent.start", "ok"),
    ] {
        assert!(changes.contains(&wanted), "{wanted:?} not in {changes:?}");
    }
    assert_eq!(page.next_after, page.entries.last().unwrap().seq);

    // Over HTTP: the same page, and the chain intact up to its last entry.
    let over_http = live.client.host_audit(&admin, "acme-audit", 0, 1000).await.unwrap();
    assert_eq!(over_http.entries[..page.entries.len()], page.entries[..]);
    let verification = live.client.verify_host_audit(&admin, "acme-audit").await.unwrap();
    assert!(verification.intact, "{verification:?}");
    assert!(verification.last_seq >= page.next_after);
    let later = live.client.host_audit(&admin, "acme-audit", 1, 2).await.unwrap();
    assert_eq!(later.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);

    // Admins only.
    let operator = Actor::new("audit-test", Role::Operator);
    let refused = console.host_audit(&operator, "acme-audit", 0, 10).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    let refused = console.verify_host_audit(&operator, "acme-audit").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    live.shutdown().await;
}
