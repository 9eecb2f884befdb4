//! Backup and restore benchmark: a console store with 1,000 customers, 10 revisions each, 3
//! secrets each and 100,000 audit entries in all, backed up to a directory and restored.
//!
//! ```text
//! cargo run --release -p voicefleet-examples --example bench_backup -- [CUSTOMERS] [AUDIT_ENTRIES]
//! ```
//! Prints the store's size, the archive's size, and the wall time of the backup (online snapshot,
//! compression, encryption, write) and of the restore (read, hash, decryption, integrity and
//! audit-chain checks, the restore's audit entry), each the best of three runs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use voicefleet_core::backup::{self, BackupKey, BackupOptions, DirTarget, RestoreOptions};
use voicefleet_core::config::template;
use voicefleet_core::console::{
    AuditRecord, CustomerRecord, RevisionRecord, SecretBox, SecretRecord, SqliteStore, Store,
};

fn audit(n: u64, action: &str, target: &str) -> AuditRecord {
    AuditRecord {
        actor: "admin".into(),
        action: action.into(),
        target: target.into(),
        request_id: format!("req-{n}"),
        outcome: "ok".into(),
        at_ms: 1_790_000_000_000 + n,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let customers = args.first().copied().unwrap_or(1_000);
    let audit_entries = args.get(1).copied().unwrap_or(100_000);
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let store = Arc::new(SqliteStore::open(&data.join("console.db")).unwrap());
    voicefleet_http::HostTokenSigner::load_or_create(&data).unwrap();
    std::fs::write(data.join("master.key"), "ab".repeat(32)).unwrap();
    let secrets = SecretBox::new(&[0xab; 32]);
    let document = template("default").unwrap();

    let started = Instant::now();
    let mut n = 0u64;
    for c in 0..customers {
        let id = format!("customer-{c:04}");
        let record = CustomerRecord {
            id: id.clone(),
            name: format!("Customer {c}"),
            endpoint: format!("https://10.0.{}.{}:8000", c / 250, c % 250 + 1),
            tags: BTreeMap::from([(
                "tier".to_owned(),
                if c % 3 == 0 { "prod" } else { "staging" }.to_owned(),
            )]),
            created_at_ms: 1_790_000_000_000,
            deployed_revision: Some(10),
            trust: Default::default(),
        };
        n += 1;
        store.insert_customer(record, audit(n, "customer.add", &id)).await.unwrap();
        for number in 1..=10u64 {
            let mut revision = document.clone();
            revision.set("agent_settings.llm.temperature", serde_json::json!(number as f64 / 20.0)).unwrap();
            revision
                .set(
                    "agent_settings.llm.system_prompt",
                    serde_json::json!(format!("You are the front desk of customer {c}. Revision {number}.")),
                )
                .unwrap();
            n += 1;
            store
                .insert_revision(
                    RevisionRecord {
                        customer_id: id.clone(),
                        number: 0,
                        document: revision.to_json_pretty(),
                        hash: revision.content_hash(),
                        author: "admin".into(),
                        message: format!("revision {number}"),
                        created_at_ms: 1_790_000_000_000 + number,
                    },
                    audit(n, "config.push", &id),
                )
                .await
                .unwrap();
        }
        for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
            let (nonce, ciphertext) = secrets.seal(&id, name, "sk-bench-secret-value-0123456789").unwrap();
            n += 1;
            store
                .put_secret(
                    &id,
                    SecretRecord { name: name.into(), nonce, ciphertext, updated_at_ms: 0 },
                    audit(n, "secret.set", &id),
                )
                .await
                .unwrap();
        }
    }
    while n < audit_entries {
        n += 1;
        store
            .append_audit(audit(n, "agent.restart", &format!("customer-{:04}", n % customers.max(1))))
            .await
            .unwrap();
    }
    let store_bytes = std::fs::metadata(data.join("console.db")).unwrap().len()
        + std::fs::metadata(data.join("console.db-wal")).map(|m| m.len()).unwrap_or(0);
    println!(
        "store: {customers} customers, {} revisions, {} secrets, {n} audit entries, {:.1} MiB (built in {:.1} s)",
        customers * 10,
        customers * 3,
        store_bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );

    let clock = voicefleet_core::clock::system();
    let target_dir = dir.path().join("backups");
    let key = BackupKey::from_bytes([0x5a; 32]);
    let options = BackupOptions {
        data_dir: data.clone(),
        store: store.clone(),
        from_store: false,
        target: Arc::new(DirTarget::new(target_dir.clone())),
        key: key.clone(),
        keep_days: None,
        actor: "bench".into(),
        checkpoints: None,
    };
    let mut backup_times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let started = Instant::now();
        let report = backup::backup(&options, &clock).await.unwrap();
        backup_times.push(started.elapsed());
        last = Some(report);
        tokio::time::sleep(Duration::from_millis(2)).await; // distinct names
    }
    let report = last.unwrap();
    let mut restore_times = Vec::new();
    for run in 0..3 {
        let into = dir.path().join(format!("restored-{run}"));
        let restore = RestoreOptions {
            target: Arc::new(DirTarget::new(target_dir.clone())),
            name: Some(report.manifest.name.clone()),
            key: key.clone(),
            data_dir: into,
            master_key: Some(data.join("master.key")),
            checkpoints: Some(dir.path().join(format!("checkpoints-{run}"))),
            actor: "bench".into(),
            store: None,
        };
        let started = Instant::now();
        let restored = backup::restore(&restore, &clock).await.unwrap();
        restore_times.push(started.elapsed());
        assert_eq!(restored.audit_entries, report.manifest.audit_entries + 1);
    }
    let best = |times: &[Duration]| times.iter().min().unwrap().as_secs_f64() * 1000.0;
    println!(
        "backup:  {:.0} ms (best of 3; runs {:?} ms), archive {:.1} MiB ({:.0} % of the store)",
        best(&backup_times),
        backup_times.iter().map(|t| t.as_millis()).collect::<Vec<_>>(),
        report.manifest.archive_bytes as f64 / 1048576.0,
        report.manifest.archive_bytes as f64 * 100.0 / store_bytes as f64
    );
    println!(
        "restore: {:.0} ms (best of 3; runs {:?} ms), audit chain of {} entries verified",
        best(&restore_times),
        restore_times.iter().map(|t| t.as_millis()).collect::<Vec<_>>(),
        report.manifest.audit_entries
    );
}
