//! `voicefleet console rotate-signing-key` against real host agents on loopback: the new key is
//! pushed to every host over the authenticated channel, a host that cannot be reached is
//! reported, the console's new tokens are accepted, and an old-key token works within the grace
//! period and is refused after it.

use std::time::{Duration, Instant};

use serde_json::Value;
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::{Role, TokenKind};
use voicefleet_core::clock::{Clock as _, SystemClock};
use voicefleet_core::console::{AuditRecord, CustomerRecord, SecretBox, SqliteStore, Store as _};
use voicefleet_core::host::Host as _;
use voicefleet_http::{AgentClient, AgentClientOptions, HostTokenSigner, TokenSource};
use voicefleet_tests::drill::voicefleet;
use voicefleet_tests::hosts::{TestHost, down_endpoint};
use voicefleet_tests::workspace_binary;

fn customer(id: &str, endpoint: &str) -> (CustomerRecord, AuditRecord) {
    let record = CustomerRecord {
        id: id.into(),
        name: id.into(),
        endpoint: endpoint.into(),
        tags: Default::default(),
        created_at_ms: 1,
        deployed_revision: None,
        trust: Default::default(),
    };
    let audit = AuditRecord {
        actor: "admin".into(),
        action: "customer.add".into(),
        target: id.into(),
        request_id: String::new(),
        outcome: "ok".into(),
        at_ms: 1,
    };
    (record, audit)
}

/// A host token for acme signed by `signer`, expiring at `exp` (distinct `exp`, distinct token).
fn token(signer: &HostTokenSigner, exp: u64) -> String {
    signer.sign_until(TokenKind::Host, "voicefleet-console", "acme", Role::Admin, exp).unwrap()
}

fn client(endpoint: &str, token: String) -> AgentClient {
    let options = AgentClientOptions { retries: 0, ..AgentClientOptions::default() };
    AgentClient::new(endpoint, TokenSource::Static(token), options).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_trusted_by_hosts_and_the_old_one_only_within_the_grace() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let old = HostTokenSigner::load_or_create(&data).unwrap();
    let host = TestHost::start("acme", &old).await;
    std::fs::write(data.join("master.key"), "ab".repeat(32)).unwrap();
    let store = SqliteStore::open(&data.join("console.db"))
        .unwrap()
        .with_audit_key(SecretBox::new(&[0xab; 32]).audit_key().clone());
    for (id, endpoint) in [("acme", host.endpoint.clone()), ("globex", down_endpoint())] {
        let (record, audit) = customer(id, &endpoint);
        store.insert_customer(record, audit).await.unwrap();
    }

    let run = tokio::task::block_in_place(|| {
        voicefleet(
            &workspace_binary("voicefleet"),
            &[
                "--data",
                data.to_str().unwrap(),
                "console",
                "rotate-signing-key",
                "--grace",
                "3s",
                "-o",
                "json",
            ],
            &[],
            "",
        )
    });
    // globex's host is down: reported, and the command says so with its exit code.
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["taken"], serde_json::json!(["acme"]), "{report}");
    assert_eq!(report["not_taken"][0]["customer_id"], "globex", "{report}");
    assert!(!report["not_taken"][0]["error"].as_str().unwrap().is_empty());

    // The console's key files now hold the new pair; the old public key is kept aside.
    let new = HostTokenSigner::load_or_create(&data).unwrap();
    assert_ne!(new.public_pem(), old.public_pem());
    let previous = std::fs::read_to_string(data.join("console.previous.pub.pem")).unwrap();
    assert!(previous.contains(old.public_pem().trim()));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(data.join("console.key")).unwrap().permissions().mode() & 0o777, 0o600);

    // The host takes tokens signed with either key, and says until when it trusts the old one.
    let now = SystemClock.now_seconds();
    client(&host.endpoint, token(&new, now + 50)).status().await.unwrap();
    client(&host.endpoint, token(&old, now + 50)).status().await.unwrap();
    let keys = client(&host.endpoint, token(&new, now + 51)).console_keys().await.unwrap();
    assert_eq!(keys.keys.len(), 2, "{keys:?}");
    let expiry =
        keys.keys.iter().find(|k| k.configured).and_then(|k| k.expires_at).expect("the old key expires");
    assert!(keys.keys.iter().any(|k| !k.configured && k.expires_at.is_none()), "{keys:?}");

    // After the grace, the old key's tokens are refused; the new key's still work.
    let deadline = Instant::now() + Duration::from_secs(10);
    while SystemClock.now_seconds() < expiry {
        assert!(Instant::now() < deadline, "the grace ends within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let now = SystemClock.now_seconds();
    let error = client(&host.endpoint, token(&old, now + 55)).status().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized, "{error}");
    client(&host.endpoint, token(&new, now + 55)).status().await.unwrap();

    // The rotation is audited, naming the host that did not take the key, in the keyed chain.
    let entries = store.audit(0, 100).await.unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.action, "console.rotate-signing-key");
    assert!(last.outcome.contains("not taken by globex"), "{}", last.outcome);
    assert!(
        voicefleet_core::console::audit::verify(&entries, Some(SecretBox::new(&[0xab; 32]).audit_key())).ok
    );
    drop(host);
}
