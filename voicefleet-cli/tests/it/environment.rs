//! A console server takes its secrets out of its environment at start: the master key and the
//! first admin's password still work, and neither value is left in `/proc/PID/environ` (so no
//! child, and no reader of that file, gets them).

use std::process::Command;

const VOICEFLEET: &str = env!("CARGO_BIN_EXE_voicefleet");
const MASTER_KEY: &str = "7a1f0c3e5b2d4a6978e1c0b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3";
const PASSWORD: &str = "canary-admin-password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_server_keeps_its_secrets_out_of_its_environment() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let (mut child, seen) = crate::spawned::until_stderr(
        Command::new(VOICEFLEET)
            .arg("--data")
            .arg(&data)
            .args(["console", "serve", "--listen", "127.0.0.1:0"])
            .env("VOICEFLEET_MASTER_KEY", MASTER_KEY)
            .env("VOICEFLEET_ADMIN_PASSWORD", PASSWORD)
            .env("VOICEFLEET_TOKEN", "canary-operator-token"),
        "hosts must trust",
    );
    assert!(seen.contains("master key: from VOICEFLEET_MASTER_KEY"), "{seen}");

    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    for canary in [MASTER_KEY, PASSWORD, "canary-operator-token"] {
        assert!(!environ.contains(canary), "{canary} is still in the console's /proc/PID/environ");
    }

    // The values were read before they went: the first admin logs in with the password.
    let url = crate::spawned::console_url(&seen);
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/auth/login"))
        .json(&serde_json::json!({"name": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let _ = child.kill();
    let _ = child.wait();
    // The key it used is the one given: the data directory holds no key file of its own.
    assert!(!data.join("master.key").exists());
}
