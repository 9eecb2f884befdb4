//! Passwords from standard input as `echo` gives them (one line ending, stripped), your own
//! password changed only with the current one, and the change ending your earlier logins.

use crate::fleet::{env, run_with_stdin};
use crate::voicefleet_with_stdin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_your_own_password_needs_the_current_one_and_ends_earlier_logins() {
    let env = env().await;
    let embedded = env.console.embedded();
    tokio::task::block_in_place(|| {
        let r =
            run_with_stdin(&env, &["users", "add", "dave", "--role", "operator"], "dave's long password\n");
        assert_eq!(r.code, 0, "{}", r.stderr);
    });
    let dave = embedded.user_token("dave", voicefleet_core::auth::Role::Operator, 600).unwrap();
    // Logins are dated to the second: the change comes in a later second than the login.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let as_dave = |args: &[&str], stdin: &str| {
        let mut full = vec!["--console", env.url.as_str(), "--token", dave.as_str()];
        full.extend_from_slice(args);
        tokio::task::block_in_place(|| voicefleet_with_stdin(&full, stdin))
    };

    let r = as_dave(&["users", "passwd", "dave"], "dave's new password\n");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("first line of standard input"), "{}", r.stderr);
    let r = as_dave(&["users", "passwd", "dave"], "not my password\ndave's new password\n");
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("the current password is wrong"), "{}", r.stderr);
    let r = as_dave(&["users", "passwd", "dave"], "dave's long password\ndave's new password\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("their earlier logins have ended"), "{}", r.stderr);
    let r = as_dave(&["whoami"], "");
    assert_eq!(r.code, 4, "the old login ended: {}", r.stdout);
    assert!(r.stderr.contains("changed their password"), "{}", r.stderr);

    // The new password works as typed: the line ending `echo` added is not part of it.
    let client = voicefleet_http::ConsoleClient::new(&env.url, None).unwrap();
    let login = client.login("dave", "dave's new password").await.unwrap();
    assert_eq!(login.role, voicefleet_core::auth::Role::Operator);
    // An admin sets it without the current one (a single line, `echo`-style).
    let r = tokio::task::block_in_place(|| {
        run_with_stdin(&env, &["users", "passwd", "dave"], "dave's third password\r\n")
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    client.login("dave", "dave's third password").await.unwrap();
}

/// Every command that reads a secret or a password from standard input takes it as `echo` gives
/// it: one line ending (`\n` or `\r\n`) is not part of the value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_style_input_is_read_without_its_line_ending() {
    use std::io::Write as _;
    let mut env = env().await;
    let home = voicefleet_tests::scratch();
    tokio::task::block_in_place(|| {
        // users add, then login with the same password echoed.
        let r = run_with_stdin(&env, &["users", "add", "erin", "--role", "viewer"], "erin's long password\n");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut login =
            crate::tty::command(home.path(), &["login", "--console", &env.url, "--user", "erin"], &[])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
        login.stdin.take().unwrap().write_all(b"erin's long password\r\n").unwrap();
        let output = login.wait_with_output().unwrap();
        assert!(output.status.success(), "login: {}", String::from_utf8_lossy(&output.stderr));
        let whoami = crate::tty::piped(home.path(), &["whoami"], &[]);
        assert_eq!(whoami.code, 0, "{}", whoami.stderr);
        assert!(whoami.stdout.starts_with("erin (viewer)"), "{}", whoami.stdout);
    });
    // secrets set: the agent's environment holds the value as typed.
    tokio::task::block_in_place(|| {
        crate::rollout::running_customer(
            &env,
            serde_json::json!({"ready_delay_ms": 20, "call_interval_ms": 100000}),
        );
        let r = run_with_stdin(
            &env,
            &["secrets", "set", "acme", "openai_api_key"],
            "sk-echoed-value-0123456789\n",
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = crate::fleet::run(&env, &["config", "deploy", "acme"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = tokio::task::block_in_place(|| crate::fleet::run(&env, &["status", "acme", "-o", "json"]));
        let rows: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
        if let Some(pid) = rows[0]["status"]["pid"].as_i64()
            && let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ"))
            && environ.split(|b| *b == 0).any(|v| v.starts_with(b"OPENAI_API_KEY="))
        {
            let value =
                environ.split(|b| *b == 0).find(|v| v.starts_with(b"OPENAI_API_KEY=")).unwrap().to_vec();
            if value == b"OPENAI_API_KEY=sk-echoed-value-0123456789" {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the agent never got the echoed key without its newline"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    env.host.stop().await;
}
