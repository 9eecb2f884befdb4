//! Plain HTTP off loopback is refused (and changes nothing) unless the operator says
//! `--insecure-plaintext`; `--allow-cidr` keeps other networks out; host endpoints are https
//! except on loopback. Both servers, run for real.

use std::process::Command;

use crate::fleet::{env, run};

const AGENT: &str = env!("CARGO_BIN_EXE_voicefleet");

/// Starts `voicefleet ARGS` and waits (bounded) for a stderr line containing `wanted`.
fn started(args: &[&str], wanted: &str) -> (std::process::Child, String) {
    crate::spawned::until_stderr(
        Command::new(AGENT).args(args).env("VOICEFLEET_ADMIN_PASSWORD", "an admin password"),
        wanted,
    )
}

#[test]
fn plain_http_off_loopback_is_refused_unless_asked_for() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let r = crate::voicefleet(&["--data", data_arg, "console", "serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("refusing to serve plain HTTP on 0.0.0.0:0"), "{}", r.stderr);
    assert!(r.stderr.contains("--tls-cert") && r.stderr.contains("--insecure-plaintext"), "{}", r.stderr);
    assert!(!data.exists(), "a refused start creates nothing");
    let r = crate::voicefleet(&["--data", data_arg, "console", "serve", "--allow-cidr", "10.0.0.0/33"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!data.exists(), "a refused start creates nothing");

    // Asked for: it starts, and says what it means.
    let args = ["--data", data_arg, "console", "serve", "--listen", "0.0.0.0:0", "--insecure-plaintext"];
    let (mut child, seen) = started(&args, "voicefleet console on ");
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains("--insecure-plaintext") && seen.contains("in clear"), "{seen}");

    // The host agent: the same rule, before its state directory exists.
    let state = dir.path().join("state");
    let output = Command::new(env!("CARGO_BIN_EXE_voicefleet"))
        .args([
            "agent",
            "run",
            "--customer-id",
            "acme",
            "--state-dir",
            state.to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("refusing to serve plain HTTP on 0.0.0.0:0"), "{stderr}");
    assert!(!state.exists(), "a refused start creates nothing");
}

/// `GET /v1/health` of a console serving with `--allow-cidr allow`: its status and body.
async fn health_with_allow_list(data: &std::path::Path, allow: &str) -> (u16, String) {
    let args = [
        "--data",
        data.to_str().unwrap(),
        "console",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--allow-cidr",
        allow,
    ];
    let (mut child, seen) = tokio::task::block_in_place(|| started(&args, "voicefleet console on "));
    let answer = async {
        let answer = reqwest::get(format!("{}/v1/health", crate::spawned::console_url(&seen))).await?;
        let status = answer.status().as_u16();
        Ok::<_, reqwest::Error>((status, answer.text().await?))
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    answer.expect("an answer from the console")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_cidr_keeps_other_networks_out() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let (status, body) = health_with_allow_list(&data, "10.0.0.0/8").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("127.0.0.1 is not in this server's allowed networks"), "{body}");
    let (status, body) = health_with_allow_list(&data, "10.0.0.0/8,127.0.0.0/8").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_endpoints_are_https_except_on_loopback() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        let r = run(&env, &["customers", "add", "plain", "--endpoint", "http://10.0.1.17:8000"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("use https (plain http only to a loopback host)"), "{}", r.stderr);
        let r = run(&env, &["customers", "list", "-o", "json"]);
        assert!(!r.stdout.contains("plain"), "nothing added: {}", r.stdout);
        for (id, endpoint) in [("tls", "https://10.0.1.17:8000"), ("local", "http://127.0.0.1:8001")] {
            let r = run(&env, &["customers", "add", id, "--endpoint", endpoint]);
            assert_eq!(r.code, 0, "{endpoint}: {}", r.stderr);
        }
    });
}

/// Runs openssl (as an operator would) in `dir`; panics with its error.
fn openssl(dir: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The state of `id` in `voicefleet status -o json`, with its error.
fn state_of(env: &crate::fleet::Env, id: &str) -> (String, String) {
    let r = run(env, &["status", id, "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    let row = &rows[0];
    (row["state"].as_str().unwrap_or("?").to_owned(), row["error"].as_str().unwrap_or("").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_and_private_ca_hosts_are_verified_by_pin_or_ca() {
    let env = env().await;
    let dir = voicefleet_tests::scratch();
    let d = dir.path();
    // A self-signed host certificate, as the cloud-init of a customer host makes it.
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ed25519",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=acme-tls",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            "self.key",
            "-out",
            "self.crt",
        ],
    );
    let fingerprint = openssl(d, &["x509", "-in", "self.crt", "-noout", "-fingerprint", "-sha256"]);
    // A private CA and a host certificate it signed.
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ed25519",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=voicefleet test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ed25519",
            "-nodes",
            "-subj",
            "/CN=globex-tls",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
        ],
    );
    std::fs::write(d.join("leaf.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.crt",
        ],
    );

    let signer = &env.console.embedded().signer;
    let pinned_host = voicefleet_tests::hosts::TestHost::start_tls(
        "pinned",
        signer,
        &d.join("self.crt"),
        &d.join("self.key"),
    )
    .await;
    let ca_host = voicefleet_tests::hosts::TestHost::start_tls(
        "private-ca",
        signer,
        &d.join("leaf.crt"),
        &d.join("leaf.key"),
    )
    .await;
    let (pinned_url, ca_url) = (pinned_host.endpoint.clone(), ca_host.endpoint.clone());
    assert!(pinned_url.starts_with("https://127.0.0.1:"), "{pinned_url}");

    tokio::task::block_in_place(|| {
        // openssl's own spelling of the fingerprint is accepted and stored normalised.
        let r = run(&env, &["customers", "add", "pinned", "--endpoint", &pinned_url, "--pin", &fingerprint]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&env, &["customers", "show", "pinned"]);
        let expected = fingerprint.rsplit('=').next().unwrap().replace(':', "").to_lowercase();
        assert!(
            r.stdout.contains(&format!("tls       pinned certificate sha256:{expected}")),
            "{}",
            r.stdout
        );
        let ca = d.join("ca.crt");
        let r = run(
            &env,
            &["customers", "add", "private-ca", "--endpoint", &ca_url, "--ca", ca.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        // The same hosts without the right trust: refused, and the reason says why.
        let wrong = format!("sha256:{}", "ab".repeat(32));
        let r = run(&env, &["customers", "add", "wrong-pin", "--endpoint", &pinned_url, "--pin", &wrong]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&env, &["customers", "add", "no-trust", "--endpoint", &pinned_url]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        // Bad input changes nothing.
        let r = run(&env, &["customers", "add", "bad-pin", "--endpoint", &pinned_url, "--pin", "12:34"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("64 hex digits"), "{}", r.stderr);
        let r = run(
            &env,
            &["customers", "add", "plain-pin", "--endpoint", "http://127.0.0.1:9", "--pin", &wrong],
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("must be https"), "{}", r.stderr);

        let (state, error) = state_of(&env, "pinned");
        assert_eq!(state, "stopped", "reached over TLS with its pin: {error}");
        let (state, error) = state_of(&env, "private-ca");
        assert_eq!(state, "stopped", "reached over TLS through its CA: {error}");
        let (state, error) = state_of(&env, "wrong-pin");
        assert_eq!(state, "unreachable");
        assert!(error.contains("not the pinned"), "{error}");
        let (state, error) = state_of(&env, "no-trust");
        assert_eq!(state, "unreachable", "a self-signed certificate is not trusted by default: {error}");
    });
    drop((pinned_host, ca_host));
}
