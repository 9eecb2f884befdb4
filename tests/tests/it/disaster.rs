//! The disaster drill with a directory target, and scheduled backups (`voicefleet_tests::drill`
//! holds the drill, shared with the S3 test of voicefleet-cli's `aws` feature).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use voicefleet_tests::drill::{ConsoleProcess, Operator, drill, login};
use voicefleet_tests::workspace_binary;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disaster_drill_with_a_directory_target() {
    let dir = voicefleet_tests::scratch();
    let backups: PathBuf = dir.path().join("backups");
    drill(&workspace_binary("voicefleet"), dir.path(), backups.to_str().unwrap(), &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_audited_and_a_failed_one_raises_an_alert() {
    let dir = voicefleet_tests::scratch();
    let backups = dir.path().join("backups");
    let key = dir.path().join("backup.key");
    let (backups_arg, key_arg) = (backups.to_str().unwrap(), key.to_str().unwrap());
    let binary = workspace_binary("voicefleet");
    let console = ConsoleProcess::start(
        &binary,
        &dir.path().join("data"),
        &[],
        &[
            "--backup-to",
            backups_arg,
            "--backup-every",
            "1s",
            "--backup-keep-days",
            "30",
            "--backup-key",
            key_arg,
        ],
    );
    let operator =
        Operator { binary: &binary, url: console.url.clone(), token: login(&console.url).await, env: &[] };
    let deadline = Instant::now() + Duration::from_secs(20);
    let count = || {
        std::fs::read_dir(&backups)
            .map(|d| {
                d.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".manifest.json"))
                    .count()
            })
            .unwrap_or(0)
    };
    while count() < 2 {
        assert!(Instant::now() < deadline, "two scheduled backups within 20 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let audit = operator.json(&["audit", "list", "--limit", "1000"]);
    let runs = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "console.backup" && e["actor"] == "schedule")
        .count();
    assert!(runs >= 2, "{audit}");
    assert!(key.exists(), "the backup key was made at --backup-key");
    console.stop();

    // A target that cannot be written: the run fails, is audited, and raises the alert.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "a file where a directory should be").unwrap();
    let unwritable = blocker.join("backups");
    let console = ConsoleProcess::start(
        &binary,
        &dir.path().join("data"),
        &[],
        &["--backup-to", unwritable.to_str().unwrap(), "--backup-every", "1s", "--backup-key", key_arg],
    );
    let operator =
        Operator { binary: &binary, url: console.url.clone(), token: login(&console.url).await, env: &[] };
    let deadline = Instant::now() + Duration::from_secs(20);
    let alert = loop {
        let alerts = operator.json(&["alerts"]);
        if let Some(alert) = alerts.as_array().unwrap().iter().find(|a| a["rule"] == "backup_failed") {
            break alert.clone();
        }
        assert!(Instant::now() < deadline, "no backup_failed alert within 20 s: {alerts}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(alert["firing"], true);
    assert!(alert["message"].as_str().unwrap().contains("backup to"), "{alert}");
    let audit = operator.json(&["audit", "list", "--limit", "1000"]);
    assert!(
        audit.as_array().unwrap().iter().any(|e| e["action"] == "console.backup"
            && e["outcome"].as_str().unwrap_or_default().starts_with("failed: ")),
        "{audit}"
    );
    console.stop();
}
