//! The operator at 3 a.m.: reading never creates a console, every command can tell which
//! console and token it uses, destructive commands confirm (on a pseudo-terminal) or need
//! `--yes`, and a closed pipe ends the CLI quietly.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use serde_json::Value;

use crate::fleet::env;
use crate::tty::{command, on_tty, piped};

#[test]
fn reading_commands_never_create_a_console() {
    let home = voicefleet_tests::scratch();
    let data = home.path().join("data").join("voicefleet");
    for args in [
        vec!["status"],
        vec!["customers", "list"],
        vec!["logs", "acme"],
        vec!["config", "get", "acme", "agent_settings"],
        vec!["audit", "list"],
        vec!["whoami"],
    ] {
        let r = piped(home.path(), &args, &[]);
        assert_eq!(r.code, 3, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.starts_with("error: no console: no --console or VOICEFLEET_CONSOLE"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("hint: log in with `voicefleet login --console URL`"), "{}", r.stderr);
        assert!(!r.stderr.contains("password"), "{args:?} created an admin: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert!(!data.join("console.db").exists(), "{args:?} created a console");
    }
    let r = piped(home.path(), &["context"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("console  embedded, in {}  (from the default)", data.display())),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("user     unknown: no console yet"), "{}", r.stdout);
    assert!(!data.join("console.db").exists());

    // Adding a customer creates it, and says so; reading then works.
    let r = piped(home.path(), &["customers", "add", "acme", "--endpoint", "http://127.0.0.1:9"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("created an embedded console in {}", data.display())), "{}", r.stderr);
    let r = piped(home.path(), &["customers", "list", "-o", "json"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = piped(home.path(), &["context", "-o", "json"], &[]);
    let context: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(context["console_origin"], "default");
    assert_eq!(context["role"], "admin", "{context}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_names_the_console_the_user_and_where_the_token_came_from() {
    let env = env().await;
    let home = voicefleet_tests::scratch();
    let vars = [("VOICEFLEET_CONSOLE", env.url.as_str()), ("VOICEFLEET_TOKEN", env.token.as_str())];
    tokio::task::block_in_place(|| {
        let r = piped(home.path(), &["context"], &vars);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let expected = format!("console  {}  (from the environment (VOICEFLEET_CONSOLE))\n", env.url);
        assert!(r.stdout.starts_with(&expected), "{}", r.stdout);
        assert!(r.stdout.contains("token    from the environment (VOICEFLEET_TOKEN)\n"), "{}", r.stdout);
        assert!(r.stdout.contains("user     admin (admin)\n"), "{}", r.stdout);
        let r = piped(home.path(), &["--token", &env.token, "whoami"], &[("VOICEFLEET_CONSOLE", &env.url)]);
        assert_eq!(r.stdout, "admin (admin)\n");
        assert!(r.stderr.contains("the token from the --token flag"), "{}", r.stderr);

        // A saved login for this console, overridden by VOICEFLEET_TOKEN: said every time.
        let credentials = home.path().join("config").join("voicefleet");
        std::fs::create_dir_all(&credentials).unwrap();
        let saved = serde_json::json!({"console": env.url, "token": "a-saved-login-token"});
        std::fs::write(credentials.join("credentials.json"), saved.to_string()).unwrap();
        let r = piped(home.path(), &["status"], &[("VOICEFLEET_TOKEN", &env.token)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("warning: VOICEFLEET_TOKEN overrides the login saved for {}", env.url)),
            "{}",
            r.stderr
        );
        // The saved login alone: its (bad) token is refused, and the error says where it came from.
        let r = piped(home.path(), &["status"], &[]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stderr.contains("note: using console"), "{}", r.stderr);
        assert!(r.stderr.contains("the token from the saved login ("), "{}", r.stderr);
        // A console that does not answer: the URL's origin is named.
        let r =
            piped(home.path(), &["--console", "http://127.0.0.1:9", "status"], &[("VOICEFLEET_TOKEN", "x")]);
        assert_eq!(r.code, 5, "{}", r.stderr);
        assert!(
            r.stderr.contains("note: using console http://127.0.0.1:9 from the --console flag"),
            "{}",
            r.stderr
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_commands_confirm_on_a_terminal_and_need_yes_off_one() {
    let env = env().await;
    let home = voicefleet_tests::scratch();
    let vars = [("VOICEFLEET_CONSOLE", env.url.as_str()), ("VOICEFLEET_TOKEN", env.token.as_str())];
    tokio::task::block_in_place(|| {
        let r = piped(home.path(), &["customers", "add", "acme", "--endpoint", &env.host.endpoint], &vars);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let exists = || piped(home.path(), &["customers", "show", "acme"], &vars).code == 0;

        // Off a terminal: refused without --yes, and nothing changes.
        let r = piped(home.path(), &["customers", "remove", "acme"], &vars);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("remove customer acme: deletes 0 revisions, 0 secrets"), "{}", r.stderr);
        assert!(r.stderr.contains("error: refusing to remove customer acme without --yes"), "{}", r.stderr);
        assert!(r.stderr.contains("hint: add --yes once you are sure"), "{}", r.stderr);
        assert!(exists());

        // On a terminal: asked; `n` changes nothing, `y` removes.
        let r = on_tty(home.path(), &["customers", "remove", "acme"], &vars, "proceed? [y/N]", "n\n");
        assert_eq!(r.code, Some(1), "{}", r.screen);
        assert!(r.screen.contains("the audit log keeps its entries"), "{}", r.screen);
        assert!(r.screen.contains("not confirmed; nothing changed"), "{}", r.screen);
        assert!(exists());
        let r = on_tty(home.path(), &["customers", "remove", "acme"], &vars, "proceed? [y/N]", "y\n");
        assert_eq!(r.code, Some(0), "{}", r.screen);
        assert!(r.screen.contains("removed customer acme"), "{}", r.screen);
        assert!(!exists());

        // The same rule for users and tokens.
        let r = piped(home.path(), &["users", "rm", "admin"], &vars);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("every API token they created is revoked"), "{}", r.stderr);
        let r = piped(home.path(), &["tokens", "revoke", "tok_nope"], &vars);
        assert_eq!(r.code, 2, "{}", r.stderr);
        let r = piped(home.path(), &["tokens", "revoke", "tok_nope", "--yes"], &vars);
        assert_eq!(r.code, 3, "--yes goes on to the console: {}", r.stderr);
    });
}

#[test]
fn a_closed_pipe_ends_the_cli_quietly() {
    use std::os::unix::process::ExitStatusExt as _;
    let home = voicefleet_tests::scratch();
    for args in [vec!["completions", "bash"], vec!["config", "schema"], vec!["--help"]] {
        let mut child =
            command(home.path(), &args, &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // `| head -1`: read one line, then close the pipe.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(
            output.status.success() || output.status.signal() == Some(13),
            "{args:?}: {:?} {stderr}",
            output.status
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_a_caller_typed_are_escaped_in_tables() {
    let env = crate::fleet::env().await;
    tokio::task::block_in_place(|| {
        let name = "Evil\u{1b}[2J\u{1b}[31m Corp\nforged-row running";
        let r = crate::fleet::run(
            &env,
            &["customers", "add", "evil", "--endpoint", "http://127.0.0.1:9", "--name", name],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = crate::fleet::run(&env, &["customers", "list"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains('\u{1b}'), "{:?}", r.stdout);
        assert!(r.stdout.contains(r"Evil\u{1b}[2J\u{1b}[31m Corp\nforged-row running"), "{}", r.stdout);
        assert!(!r.stdout.lines().any(|line| line.starts_with("forged-row")), "{}", r.stdout);
        // JSON keeps the value as it is (escaped by JSON itself).
        let r = crate::fleet::run(&env, &["customers", "show", "evil", "-o", "json"]);
        let shown: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(shown["name"], name);
    });
}
