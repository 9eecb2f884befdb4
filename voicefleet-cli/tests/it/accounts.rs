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
