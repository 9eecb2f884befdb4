//! Backups and restores against real SQLite files and a real backup directory: what a restore
//! refuses (and that it then writes nothing), retention, and a snapshot taken while another
//! connection keeps writing.

use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use std::path::Path;
use std::sync::Arc;

use voicefleet_core::backup::{self, BackupKey, BackupOptions, DirTarget, RestoreOptions};
use voicefleet_core::clock::{SharedClock, system};
use voicefleet_core::console::{AuditRecord, SqliteStore, Store};

fn record(n: u64) -> AuditRecord {
    AuditRecord {
        actor: "test".into(),
        action: "customer.add".into(),
        target: format!("c{n}"),
        request_id: String::new(),
        outcome: "ok".into(),
        at_ms: 1_700_000_000_000 + n,
    }
}

/// A data directory with a store holding `entries` audit entries and a signing key pair.
async fn data_dir(dir: &Path, entries: u64) -> Arc<SqliteStore> {
    std::fs::create_dir_all(dir).unwrap();
    let store = Arc::new(SqliteStore::open(&dir.join("console.db")).unwrap());
    for n in 0..entries {
        store.append_audit(record(n)).await.unwrap();
    }
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    std::fs::write(dir.join("console.key"), signing.to_pkcs8_pem(Default::default()).unwrap().as_bytes())
        .unwrap();
    std::fs::write(dir.join("console.pub.pem"), "public").unwrap();
    std::fs::write(dir.join("master.key"), "ab".repeat(32)).unwrap();
    store
}

fn options(dir: &Path, store: Arc<SqliteStore>, target: &Path) -> BackupOptions {
    BackupOptions {
        data_dir: dir.to_path_buf(),
        store,
        from_store: false,
        target: Arc::new(DirTarget::new(target.to_path_buf())),
        key: BackupKey::from_bytes([3; 32]),
        keep_days: None,
        actor: "test".into(),
        checkpoints: None,
    }
}

fn restore_options(target: &Path, into: &Path) -> RestoreOptions {
    RestoreOptions {
        target: Arc::new(DirTarget::new(target.to_path_buf())),
        name: None,
        key: BackupKey::from_bytes([3; 32]),
        data_dir: into.to_path_buf(),
        master_key: None,
        checkpoints: None,
        actor: "test".into(),
        store: None,
    }
}

fn clock() -> SharedClock {
    system()
}

#[tokio::test]
async fn a_restore_refuses_a_newer_schema_an_altered_archive_and_a_broken_chain_and_writes_nothing() {
    let scratch = voicefleet_tests::scratch();
    let (data, target) = (scratch.path().join("data"), scratch.path().join("backups"));
    let store = data_dir(&data, 20).await;
    let report = backup::backup(&options(&data, store.clone(), &target), &clock()).await.unwrap();
    assert_eq!(report.manifest.audit_entries, 20);
    let manifest_path = target.join(report.manifest.manifest_name());
    let archive_path = target.join(report.manifest.archive_name());
    let into = scratch.path().join("restored");
    let refused = |expected: &'static str| {
        let into = into.clone();
        let target = target.clone();
        async move {
            let error = backup::restore(&restore_options(&target, &into), &clock()).await.unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
            assert!(error.hint().is_some(), "{error} has a hint");
            assert!(!into.exists(), "nothing written after: {error}");
        }
    };

    // A newer schema.
    let original = std::fs::read(&manifest_path).unwrap();
    let mut edited: serde_json::Value = serde_json::from_slice(&original).unwrap();
    edited["schema_version"] = 99.into();
    std::fs::write(&manifest_path, serde_json::to_vec(&edited).unwrap()).unwrap();
    refused("newer than this voicefleet's").await;
    // A manifest whose audit head was changed no longer opens the archive.
    let mut edited: serde_json::Value = serde_json::from_slice(&original).unwrap();
    edited["audit_entries"] = 19.into();
    std::fs::write(&manifest_path, serde_json::to_vec(&edited).unwrap()).unwrap();
    refused("does not open").await;
    std::fs::write(&manifest_path, &original).unwrap();
    // An altered archive.
    let sealed = std::fs::read(&archive_path).unwrap();
    let mut flipped = sealed.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(&archive_path, &flipped).unwrap();
    refused("does not match its manifest's hash").await;
    std::fs::write(&archive_path, &sealed).unwrap();

    // A chain edited in the database before the backup: the backup is taken, the restore refuses.
    let connection = rusqlite::Connection::open(data.join("console.db")).unwrap();
    connection.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 7", []).unwrap();
    drop(connection);
    std::fs::remove_dir_all(&target).unwrap();
    backup::backup(&options(&data, store, &target), &clock()).await.unwrap();
    refused("audit chain is broken at entry 7").await;

    // The untouched first backup still restores.
    std::fs::remove_dir_all(&target).unwrap();
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(&manifest_path, &original).unwrap();
    std::fs::write(&archive_path, &sealed).unwrap();
    let restored = backup::restore(&restore_options(&target, &into), &clock()).await.unwrap();
    assert_eq!(restored.audit_entries, 21, "20 entries and the restore's own");
    assert!(!restored.master_key_restored);
    let store = SqliteStore::open(&into.join("console.db")).unwrap();
    let entries = store.audit(0, 100).await.unwrap();
    assert_eq!(entries.last().unwrap().action, "console.restore");
    assert!(voicefleet_core::console::audit::verify(&entries, None).ok);
    assert_eq!(
        std::fs::read_to_string(into.join("console.key")).unwrap(),
        std::fs::read_to_string(data.join("console.key")).unwrap()
    );
    // The restore anchored the audit checkpoints at its own entry.
    let anchor = std::fs::read_to_string(&restored.checkpoint_file).unwrap();
    assert!(anchor.contains("\"restored_from\":20"), "{anchor}");
    assert!(!into.join("master.key").exists(), "the master key is never in a backup");
    // No scratch directory left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(scratch.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn retention_removes_old_backups_and_always_keeps_the_newest() {
    let scratch = voicefleet_tests::scratch();
    let target = DirTarget::new(scratch.path().to_path_buf());
    let day = 86_400_000u64;
    let now = 1_795_714_419_123u64;
    let name = |at: u64| {
        let stamp =
            humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + std::time::Duration::from_millis(at))
                .to_string();
        format!("voicefleet-{}", stamp.replace(['-', ':', '.'], ""))
    };
    let ages = [40, 31, 29, 1];
    for age in ages {
        for suffix in [".manifest.json", ".backup"] {
            std::fs::write(scratch.path().join(format!("{}{suffix}", name(now - age * day))), "x").unwrap();
        }
    }
    std::fs::write(scratch.path().join("notes.txt"), "not a backup").unwrap();
    let pruned = backup::prune(&target, 30, now).await.unwrap();
    assert_eq!(pruned, vec![name(now - 40 * day), name(now - 31 * day)]);
    let mut left: Vec<String> = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(left.contains(&"notes.txt".to_owned()));
    // Everything older than the window, but the newest stays.
    let pruned = backup::prune(&target, 0, now + 10 * day).await.unwrap();
    assert_eq!(pruned, vec![name(now - 29 * day)]);
    assert!(scratch.path().join(format!("{}.backup", name(now - day))).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_is_consistent_while_another_connection_writes() {
    let scratch = voicefleet_tests::scratch();
    let (data, target) = (scratch.path().join("data"), scratch.path().join("backups"));
    let store = data_dir(&data, 100).await;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for n in 100..2_000 {
                store.append_audit(record(n)).await.unwrap();
            }
        })
    };
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.push(backup::backup(&options(&data, store.clone(), &target), &clock()).await.unwrap());
    }
    writer.await.unwrap();
    // Each snapshot restores with an intact chain, whatever point of the writes it caught.
    for (index, report) in reports.iter().enumerate() {
        let into = scratch.path().join(format!("restored-{index}"));
        let mut options = restore_options(&target, &into);
        options.name = Some(report.manifest.name.clone());
        let restored = backup::restore(&options, &clock()).await.unwrap();
        assert_eq!(restored.audit_entries, report.manifest.audit_entries + 1);
    }
}
