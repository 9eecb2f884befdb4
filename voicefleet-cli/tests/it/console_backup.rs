//! `console backup`, `backups list` and `restore` refusing bad input with a clear error and the
//! invalid-input exit code, and changing nothing.

use crate::voicefleet;

#[test]
fn bad_backup_and_restore_requests_are_refused_and_change_nothing() {
    let dir = voicefleet_tests::scratch();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (empty_arg, backups) = (empty.to_str().unwrap(), dir.path().join("backups"));
    let backups_arg = backups.to_str().unwrap();

    // No console data: no database is created, no key made.
    let run = voicefleet(&["--data", empty_arg, "console", "backup", "--to", backups_arg]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no console data there"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "nothing written into the data directory");
    assert!(!backups.exists());

    // Restore needs a new directory and the backup key.
    let run = voicefleet(&["console", "restore", backups_arg, "--key", "/nonexistent/backup.key"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--data NEWDIR"), "{}", run.stderr);
    let new = dir.path().join("new");
    let run = voicefleet(&[
        "--data",
        new.to_str().unwrap(),
        "console",
        "restore",
        backups_arg,
        "--key",
        "/nonexistent/backup.key",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no backup key there"), "{}", run.stderr);
    let key = dir.path().join("backup.key");
    std::fs::write(&key, "not hex").unwrap();
    let run = voicefleet(&[
        "--data",
        new.to_str().unwrap(),
        "console",
        "restore",
        backups_arg,
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("64 hexadecimal digits"), "{}", run.stderr);
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    let run = voicefleet(&[
        "--data",
        new.to_str().unwrap(),
        "console",
        "restore",
        backups_arg,
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("no backup at"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("voicefleet console backups list --from {backups_arg}")),
        "{}",
        run.stderr
    );
    assert!(!new.exists(), "a refused restore creates nothing");

    let run = voicefleet(&["console", "backups", "list", "--from", backups_arg]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no backups in"), "{}", run.stderr);
    let run = voicefleet(&["console", "backups", "list", "--from", "ftp://host/x"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("give a directory or s3://bucket/prefix"), "{}", run.stderr);
    if cfg!(not(feature = "aws")) {
        let run = voicefleet(&["console", "backups", "list", "--from", "s3://bucket/prefix"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("built without S3 support"), "{}", run.stderr);
    }
    let run = voicefleet(&[
        "--data",
        empty_arg,
        "console",
        "serve",
        "--backup-to",
        backups_arg,
        "--backup-every",
        "0s",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("at least 1s"), "{}", run.stderr);
}
