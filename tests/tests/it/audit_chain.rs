//! The keyed audit chain and its signed checkpoints against a real SQLite file: what someone who
//! can write the database but holds neither the master key nor the console's signing key can do
//! (delete, rebuild with plain SHA-256, truncate, edit), and that `verify` catches each.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use voicefleet_core::auth::Role;
use voicefleet_core::console::audit::{GENESIS, entry_hash};
use voicefleet_core::console::{
    Actor, AuditRecord, AuditVerification, CheckpointLog, Console, ConsoleOptions, Fleet as _, SecretBox,
    SqliteStore, Store as _,
};
use voicefleet_http::HostTokenSigner;

const MASTER_KEY: [u8; 32] = [9; 32];

fn record(n: u64) -> AuditRecord {
    AuditRecord {
        actor: "ops".into(),
        action: "customer.add".into(),
        target: format!("c{n}"),
        request_id: format!("r{n}"),
        outcome: "ok".into(),
        at_ms: 1_700_000_000_000 + n,
    }
}

struct Setup {
    console: Arc<Console>,
    db: PathBuf,
    checkpoints: PathBuf,
}

/// A console over `dir/data/console.db`, keyed with the master key's audit key, its checkpoints in
/// `dir/checkpoints` signed with `signer`.
fn console(dir: &Path, signer: &HostTokenSigner) -> Setup {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let db = dir.join("data/console.db");
    let secrets = SecretBox::new(&MASTER_KEY);
    let store = SqliteStore::open(&db).unwrap().with_audit_key(secrets.audit_key().clone());
    let checkpoints = dir.join("checkpoints");
    let log = CheckpointLog::new(&checkpoints, signer.signing_key(), Vec::new());
    let options = ConsoleOptions::default().checkpoints(Arc::new(log));
    let console = Console::new(Arc::new(store), voicefleet_tests::hosts::connector(signer), secrets, options);
    Setup { console, db, checkpoints }
}

/// Appends entries `from..=to`, with a checkpoint after every fifth.
async fn history(console: &Console, from: u64, to: u64) {
    for n in from..=to {
        console.store().append_audit(record(n)).await.unwrap();
        if n % 5 == 0 {
            assert_eq!(console.checkpoint_audit("periodic").await.unwrap(), Some(n));
        }
    }
}

async fn verify(console: &Console) -> AuditVerification {
    console.verify_audit(&Actor::new("auditor", Role::Admin)).await.unwrap()
}

/// The rows as an attacker reads them: (seq, at_ms, actor, action, target, request_id, outcome).
type Row = (u64, u64, String, String, String, String, String);

fn rows(db: &Path) -> Vec<Row> {
    let raw = rusqlite::Connection::open(db).unwrap();
    let mut statement = raw
        .prepare("SELECT seq, at_ms, actor, action, target, request_id, outcome FROM audit ORDER BY seq")
        .unwrap();
    statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Rewrites the table from `rows`, renumbered from 1, every hash from entry `from` on recomputed
/// with plain SHA-256: what someone without the audit key can do.
fn rebuild(db: &Path, rows: &[Row], from: u64) {
    let raw = rusqlite::Connection::open(db).unwrap();
    let kept: Vec<(String, String)> = {
        let mut statement = raw.prepare("SELECT prev_hash, hash FROM audit ORDER BY seq").unwrap();
        statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    raw.execute("DELETE FROM audit", []).unwrap();
    let mut prev = GENESIS.to_owned();
    for (seq, row) in (1u64..).zip(rows) {
        let record = AuditRecord {
            actor: row.2.clone(),
            action: row.3.clone(),
            target: row.4.clone(),
            request_id: row.5.clone(),
            outcome: row.6.clone(),
            at_ms: row.1,
        };
        let hash = if seq < from {
            kept[seq as usize - 1].1.clone()
        } else {
            entry_hash(seq, row.1, &record, &prev, None)
        };
        raw.execute(
            "INSERT INTO audit (seq, at_ms, actor, action, target, request_id, outcome, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![seq, row.1, row.2, row.3, row.4, row.5, row.6, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
}

#[tokio::test]
async fn an_intact_log_verifies_with_its_checkpoints_counted() {
    let dir = voicefleet_tests::scratch();
    let setup = console(dir.path(), &HostTokenSigner::generate().unwrap());
    history(&setup.console, 1, 20).await;
    let verification = verify(&setup.console).await;
    assert!(verification.ok, "{verification:?}");
    assert_eq!(verification.entries, 20);
    assert_eq!(verification.checkpoints, 4);
    assert_eq!(verification.latest_checkpoint.as_ref().map(|c| c.seq), Some(20));
    // Keyed entries, and a checkpoint file outside the database's directory, private.
    let entries = setup.console.store().audit(0, 100).await.unwrap();
    assert!(entries.iter().all(|e| e.hash.starts_with("hmac-sha256:")));
    let file = setup.checkpoints.join("audit-checkpoints.jsonl");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 4);
    // Nothing new: no new checkpoint.
    assert_eq!(setup.console.checkpoint_audit("periodic").await.unwrap(), None);
}

#[tokio::test]
async fn a_deleted_row_with_the_chain_rebuilt_in_plain_sha256_is_caught() {
    let dir = voicefleet_tests::scratch();
    let setup = console(dir.path(), &HostTokenSigner::generate().unwrap());
    history(&setup.console, 1, 20).await;
    let mut all = rows(&setup.db);
    all.remove(7); // entry 8

    // Rebuilt from the deleted row on: the keyed entries before it stay, plain ones follow.
    rebuild(&setup.db, &all, 8);
    let verification = verify(&setup.console).await;
    assert!(!verification.ok);
    assert_eq!(verification.first_broken_seq, Some(8), "{verification:?}");
    assert!(verification.reason.unwrap().contains("rebuilt without the audit key"));

    // Rebuilt whole, from the first entry: a consistent plain chain, which the first signed
    // checkpoint (entry 5) refutes.
    rebuild(&setup.db, &all, 1);
    let verification = verify(&setup.console).await;
    assert!(!verification.ok, "{verification:?}");
    assert_eq!(verification.first_broken_seq, Some(1), "{verification:?}");
    let reason = verification.reason.unwrap();
    assert!(reason.contains("entry 5 does not match the signed checkpoint"), "{reason}");
}

#[tokio::test]
async fn a_truncated_log_is_caught_against_the_checkpoint() {
    let dir = voicefleet_tests::scratch();
    let setup = console(dir.path(), &HostTokenSigner::generate().unwrap());
    history(&setup.console, 1, 20).await;
    let raw = rusqlite::Connection::open(&setup.db).unwrap();
    assert_eq!(raw.execute("DELETE FROM audit WHERE seq > 15", []).unwrap(), 5);
    let verification = verify(&setup.console).await;
    assert!(!verification.ok, "{verification:?}");
    assert_eq!(verification.entries, 15);
    assert_eq!(verification.first_broken_seq, Some(16));
    let reason = verification.reason.unwrap();
    assert!(reason.contains("the log ends at entry 15"), "{reason}");
    assert!(reason.contains("vouches for entry 20"), "{reason}");
    assert!(reason.contains("truncated"), "{reason}");
}

#[tokio::test]
async fn an_edited_outcome_breaks_the_mac() {
    let dir = voicefleet_tests::scratch();
    let setup = console(dir.path(), &HostTokenSigner::generate().unwrap());
    history(&setup.console, 1, 20).await;
    let raw = rusqlite::Connection::open(&setup.db).unwrap();
    raw.execute("UPDATE audit SET outcome = 'denied' WHERE seq = 12", []).unwrap();
    let verification = verify(&setup.console).await;
    assert!(!verification.ok);
    assert_eq!(verification.first_broken_seq, Some(12));
    assert!(verification.reason.unwrap().contains("does not match its MAC"));
}

#[tokio::test]
async fn old_plain_entries_followed_by_keyed_ones_verify_and_a_plain_writer_is_refused_after() {
    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::generate().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    // A console from before the keyed chain wrote these.
    let old = SqliteStore::open(&dir.path().join("data/console.db")).unwrap();
    for n in 1..=5 {
        old.append_audit(record(n)).await.unwrap();
    }
    let setup = console(dir.path(), &signer);
    history(&setup.console, 6, 12).await;
    let entries = setup.console.store().audit(0, 100).await.unwrap();
    assert!(entries[..5].iter().all(|e| e.hash.starts_with("sha256:")));
    assert!(entries[5..].iter().all(|e| e.hash.starts_with("hmac-sha256:")));
    let verification = verify(&setup.console).await;
    assert!(verification.ok, "{verification:?}");
    assert_eq!(verification.checkpoints, 1);

    // Without the key, nothing can be appended after keyed entries.
    let error = old.append_audit(record(13)).await.unwrap_err();
    assert!(error.to_string().contains("give the master key"), "{error}");
    // And a console with another master key sees the MACs fail.
    let other = Console::new(
        setup.console.store().clone(),
        voicefleet_tests::hosts::connector(&signer),
        SecretBox::new(&[1; 32]),
        ConsoleOptions::default(),
    );
    let verification = verify(&other).await;
    assert_eq!(verification.first_broken_seq, Some(6), "{verification:?}");
}

#[tokio::test]
async fn a_forged_or_missing_checkpoint_file_is_reported() {
    let dir = voicefleet_tests::scratch();
    let setup = console(dir.path(), &HostTokenSigner::generate().unwrap());
    history(&setup.console, 1, 10).await;
    let file = setup.checkpoints.join("audit-checkpoints.jsonl");
    let genuine = std::fs::read_to_string(&file).unwrap();

    // A checkpoint signed by another key (someone who truncated and re-signed the head).
    let forger = CheckpointLog::new(
        &dir.path().join("forged"),
        HostTokenSigner::generate().unwrap().signing_key(),
        vec![],
    );
    let forged = forger.write((7, "hmac-sha256:00"), 1, "periodic", None).unwrap();
    let line = std::fs::read_to_string(forger.path()).unwrap();
    assert_eq!(forged.seq, 7);
    std::fs::write(&file, format!("{genuine}{line}")).unwrap();
    let verification = verify(&setup.console).await;
    assert!(!verification.ok);
    assert!(verification.reason.unwrap().contains("does not trust (forged)"));

    // An altered seq in a genuine line.
    std::fs::write(&file, genuine.replacen("\"seq\":10", "\"seq\":9", 1)).unwrap();
    let verification = verify(&setup.console).await;
    assert!(verification.reason.unwrap().contains("does not match its signature"));

    std::fs::remove_file(&file).unwrap();
    let verification = verify(&setup.console).await;
    assert!(!verification.ok);
    assert!(verification.reason.unwrap().contains("is missing"));
}

#[tokio::test]
async fn checkpoints_signed_before_a_key_rotation_stay_trusted_through_the_previous_keys() {
    let dir = voicefleet_tests::scratch();
    let old = HostTokenSigner::generate().unwrap();
    let setup = console(dir.path(), &old);
    history(&setup.console, 1, 10).await;
    let new = HostTokenSigner::generate().unwrap();
    let reopen = |previous| {
        let log = CheckpointLog::new(&setup.checkpoints, new.signing_key(), previous);
        let options = ConsoleOptions::default().checkpoints(Arc::new(log));
        Console::new(
            setup.console.store().clone(),
            voicefleet_tests::hosts::connector(&new),
            SecretBox::new(&MASTER_KEY),
            options,
        )
    };
    // Without the old public key, its checkpoints are not trusted.
    let verification = verify(&reopen(Vec::new())).await;
    assert!(verification.reason.unwrap().contains("does not trust"));
    // With it (what `console.previous.pub.pem` gives after a rotation), they are; new ones are
    // signed with the new key.
    let rotated = reopen(vec![old.signing_key().verifying_key()]);
    history(&rotated, 11, 15).await;
    let verification = verify(&rotated).await;
    assert!(verification.ok, "{verification:?}");
    assert_eq!(verification.checkpoints, 3);
}

/// The checkpoint file's (seq, note) lines.
fn checkpoint_lines(file: &Path) -> Vec<(u64, String)> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            (value["seq"].as_u64().unwrap(), value["note"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_console_checkpoints_every_n_entries_and_at_shutdown() {
    let dir = voicefleet_tests::scratch();
    let mut options = voicefleet_http::ServeOptions::new(dir.path().join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("correct horse battery staple".to_owned());
    options.audit_checkpoints = Some(dir.path().join("elsewhere"));
    options.checkpoint_entries = 3;
    options.checkpoint_every = std::time::Duration::from_secs(3600);
    let server = voicefleet_http::ConsoleServer::start(options).await.unwrap();
    let file = server.embedded().checkpoint_file.clone();
    assert_eq!(file, dir.path().join("elsewhere/audit-checkpoints.jsonl"));
    let opened = checkpoint_lines(&file);
    assert_eq!(opened.last().map(|(_, note)| note.as_str()), Some("open"), "{opened:?}");
    let store = server.embedded().console.store().clone();
    let head = opened.last().unwrap().0;
    for n in 1..=3 {
        store.append_audit(record(n)).await.unwrap();
    }
    // Three new entries: a periodic checkpoint within a few ticks.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !checkpoint_lines(&file).contains(&(head + 3, "periodic".to_owned())) {
        assert!(std::time::Instant::now() < deadline, "{:?}", checkpoint_lines(&file));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // One more (under the count, far from the time): only the clean shutdown vouches for it.
    store.append_audit(record(4)).await.unwrap();
    server.shutdown().await;
    assert_eq!(checkpoint_lines(&file).last(), Some(&(head + 4, "shutdown".to_owned())));
}
