//! The disaster drill with S3 as the backup target (feature `aws`), against moto's S3 server on
//! 127.0.0.1. Run only inside a network namespace of its own (`unshare -n`, loopback up), with
//! fixed test credentials and `AWS_EC2_METADATA_DISABLED=true`: no other address can be reached.
//!
//!   unshare -n sh -c 'ip link set lo up && cargo test -p voicefleet-cli --features aws --test it s3'

use std::path::Path;

use voicefleet_tests::moto::Moto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_disaster_drill_against_moto_on_loopback() {
    let moto = Moto::start();
    assert_eq!(moto.http("PUT", "/drill-backups"), Some(200), "create the bucket");

    let endpoint = moto.endpoint();
    let mut env = vec![("AWS_ENDPOINT_URL", endpoint.as_str())];
    env.extend(voicefleet_tests::moto::ENV);
    let dir = voicefleet_tests::scratch();
    let binary = Path::new(env!("CARGO_BIN_EXE_voicefleet"));
    voicefleet_tests::drill::drill(binary, dir.path(), "s3://drill-backups/console", &env).await;

    // Retention on S3: a second backup, then --keep-days 0 keeps only the newest.
    let data = dir.path().join("restored");
    let key = dir.path().join("backup.key");
    let run = tokio::task::block_in_place(|| {
        voicefleet_tests::drill::voicefleet(
            binary,
            &[
                "--data",
                data.to_str().unwrap(),
                "console",
                "backup",
                "--to",
                "s3://drill-backups/console",
                "--key",
                key.to_str().unwrap(),
                "--keep-days",
                "0",
            ],
            &env,
            "",
        )
    });
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("removed 1 older"), "{}", run.stderr);
    let listed = tokio::task::block_in_place(|| {
        voicefleet_tests::drill::voicefleet(
            binary,
            &["console", "backups", "list", "--from", "s3://drill-backups/console", "-o", "json"],
            &env,
            "",
        )
    });
    let manifests: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(manifests.as_array().unwrap().len(), 1, "{manifests}");
    // A bucket that does not exist: a clear error, exit 5 (unavailable).
    let run = tokio::task::block_in_place(|| {
        voicefleet_tests::drill::voicefleet(
            binary,
            &["console", "backups", "list", "--from", "s3://no-such-bucket/x"],
            &env,
            "",
        )
    });
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("S3 listing of"), "{}", run.stderr);
    drop(moto);
}
