//! The disaster drill with S3 as the backup target (feature `aws`), against moto's S3 server on
//! 127.0.0.1. Run only inside a network namespace of its own (`unshare -n`, loopback up), with
//! fixed test credentials and `AWS_EC2_METADATA_DISABLED=true`: no other address can be reached.
//!
//!   unshare -n sh -c 'ip link set lo up && cargo test -p voicefleet-cli --features aws --test it s3'

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// moto's server: `VOICEFLEET_MOTO_SERVER`, else the test venv's.
fn moto_server() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("VOICEFLEET_MOTO_SERVER") {
        return path.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server")
}

/// Only the loopback interface exists here (a network namespace of its own).
fn isolated() -> bool {
    let devices = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    devices.lines().skip(2).all(|line| line.trim_start().starts_with("lo:"))
}

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One plain HTTP request to moto (unsigned: moto does not check signatures); the status code.
fn http(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_disaster_drill_against_moto_on_loopback() {
    assert!(
        isolated(),
        "run this test inside `unshare -n` with loopback up (scripts/test does): it must not reach any network"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = moto_server();
    let moto = Moto(
        Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {} (scripts/test installs moto[server] in .venv): {e}", server.display())
            }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(port, "GET", "/").is_none() {
        assert!(Instant::now() < deadline, "moto did not answer on 127.0.0.1:{port} within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(http(port, "PUT", "/drill-backups"), Some(200), "create the bucket");

    let endpoint = format!("http://127.0.0.1:{port}");
    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
    ];
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
