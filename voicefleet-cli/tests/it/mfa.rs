//! `users mfa ...` and `login --otp` with the real binary against a console on loopback; codes
//! are computed by the tests crate from the printed `otpauth://` URI.

use voicefleet_tests::otp::{code_now, next_code};

use crate::fleet::{env, run, run_with_stdin};
use crate::tty::{command, on_tty_answering, piped};

/// A login off a terminal: the password on standard input, `extra` arguments after the user.
fn login(
    home: &std::path::Path,
    url: &str,
    user: &str,
    password: &str,
    extra: &[&str],
) -> voicefleet_tests::Run {
    use std::io::Write as _;
    let mut args = vec!["login", "--console", url, "--user", user];
    args.extend_from_slice(extra);
    let mut child = command(home, &args, &[])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap().into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolling_confirming_and_logging_in_with_a_second_factor() {
    let mut env = env().await;
    let home = voicefleet_tests::scratch();
    let url = env.url.clone();
    tokio::task::block_in_place(|| {
        let r =
            run_with_stdin(&env, &["users", "add", "dana", "--role", "operator"], "dana's long password\n");
        assert_eq!(r.code, 0, "{}", r.stderr);

        // Enabling prints the URI first, then the recovery codes, once.
        let r = run(&env, &["users", "mfa", "enable", "dana"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let uri = r.stdout.lines().next().unwrap().to_owned();
        assert!(uri.starts_with("otpauth://totp/voicefleet:dana?secret="), "{}", r.stdout);
        let recovery: Vec<String> = r
            .stdout
            .lines()
            .skip_while(|l| !l.starts_with("recovery codes"))
            .skip(1)
            .map(|l| l.trim().to_owned())
            .collect();
        assert_eq!(recovery.len(), 10, "{}", r.stdout);
        assert!(r.stderr.contains("voicefleet users mfa confirm dana --otp CODE"), "{}", r.stderr);
        let r = run(&env, &["users", "list"]);
        assert!(r.stdout.lines().any(|l| l.starts_with("dana") && l.contains("pending")), "{}", r.stdout);

        let r = run(&env, &["users", "mfa", "confirm", "dana", "--otp", "000000"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("that code is wrong, expired or already used"), "{}", r.stderr);
        let r = run(&env, &["users", "mfa", "confirm", "dana", "--otp", &code_now(&uri)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&env, &["users", "list", "-o", "json"]);
        let users: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let dana = users.as_array().unwrap().iter().find(|u| u["name"] == "dana").unwrap();
        assert_eq!(dana["mfa"], "on");

        // Off a terminal, a login without --otp says what to give.
        let r = login(home.path(), &url, "dana", "dana's long password", &[]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stderr.contains("a second factor is needed"), "{}", r.stderr);
        assert!(r.stderr.contains("--otp CODE"), "{}", r.stderr);
        let r = login(home.path(), &url, "dana", "dana's long password", &["--otp", "999999"]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stderr.contains("wrong, expired or already used"), "{}", r.stderr);
        // Two failures; the third would be slowed down: a code that works logs in.
        let r = login(home.path(), &url, "dana", "dana's long password", &["--otp", &next_code(&uri)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = piped(home.path(), &["whoami"], &[]);
        assert!(r.stdout.starts_with("dana (operator)"), "{}{}", r.stdout, r.stderr);

        // On a terminal, the code is asked for after the password (a recovery code here).
        let r = on_tty_answering(
            home.path(),
            &["login", "--console", &url, "--user", "dana"],
            &[],
            &[
                ("password for dana", "dana's long password\n"),
                ("second-factor code for dana", &format!("{}\n", recovery[0])),
            ],
        );
        assert_eq!(r.code, Some(0), "{}", r.screen);
        assert!(r.screen.contains("logged in to"), "{}", r.screen);

        // Removing your own needs a code; a used recovery code is refused, another one works.
        let r = piped(home.path(), &["users", "mfa", "disable", "dana"], &[]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("needs a current code"), "{}", r.stderr);
        let r = piped(home.path(), &["users", "mfa", "disable", "dana", "--otp", &recovery[0]], &[]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        let r = piped(home.path(), &["users", "mfa", "disable", "dana", "--otp", &recovery[1]], &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("second factor of dana removed"), "{}", r.stderr);
    });
    env.host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_requires_a_second_factor_refuses_until_enrolled() {
    let mut env = env().await;
    let home = voicefleet_tests::scratch();
    let url = env.url.clone();
    tokio::task::block_in_place(|| {
        let r = run_with_stdin(&env, &["users", "add", "vera", "--role", "viewer"], "vera's long password\n");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&env, &["users", "mfa", "require", "--role", "viewer"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("required for  viewer"), "{}", r.stdout);
        assert!(r.stdout.contains("refused until enrolled  vera"), "{}", r.stdout);
        let r = run(&env, &["users", "list"]);
        assert!(
            r.stdout.lines().any(|l| l.starts_with("vera") && l.contains("off (required: login refused)")),
            "{}",
            r.stdout
        );

        let r = login(home.path(), &url, "vera", "vera's long password", &[]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stderr.contains("the viewer role requires a second factor"), "{}", r.stderr);
        assert!(r.stderr.contains("voicefleet users mfa enable vera"), "{}", r.stderr);

        // The admin enrolls vera; her first login with a code confirms it.
        let r = run(&env, &["users", "mfa", "enable", "vera", "-o", "json"]);
        let enrollment: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let uri = enrollment["otpauth_uri"].as_str().unwrap();
        let r = login(home.path(), &url, "vera", "vera's long password", &["--otp", &code_now(uri)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&env, &["users", "mfa", "policy"]);
        assert_eq!(r.stdout, "required for  viewer\n");
        let r = run(&env, &["users", "mfa", "require", "--role", "viewer", "--no-require"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("required for  no role"), "{}", r.stdout);
        // The audit log has every step.
        let r = run(&env, &["audit", "list", "-o", "json"]);
        for action in ["mfa.require", "mfa.enable", "mfa.confirm"] {
            assert!(r.stdout.contains(action), "{action}: {}", r.stdout);
        }
    });
    env.host.stop().await;
}
