//! Help, usage errors, completions.

use crate::voicefleet;

#[test]
fn help_lists_commands_and_exit_codes() {
    let run = voicefleet(&["--help"]);
    assert_eq!(run.code, 0);
    for expected in
        ["demo", "config", "status", "bulk", "secrets", "Exit codes:", "4  unauthorized or forbidden"]
    {
        assert!(run.stdout.contains(expected), "{expected} missing from:\n{}", run.stdout);
    }
    let run = voicefleet(&["config", "set", "--help"]);
    assert!(run.stdout.contains("Examples:") && run.stdout.contains("byte-for-byte"), "{}", run.stdout);
    for command in [
        vec!["demo", "--help"],
        vec!["status", "--help"],
        vec!["bulk", "restart", "--help"],
        vec!["secrets", "set", "--help"],
        vec!["logs", "--help"],
        vec!["customers", "add", "--help"],
        vec!["tokens", "create", "--help"],
        vec!["console", "serve", "--help"],
        vec!["agent", "run", "--help"],
    ] {
        let run = voicefleet(&command);
        assert_eq!(run.code, 0, "{command:?}");
        assert!(run.stdout.contains("Example"), "{command:?} has no example:\n{}", run.stdout);
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    let run = voicefleet(&["config", "validate", "x.json", "--output", "yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'yaml'"), "{}", run.stderr);
    let run = voicefleet(&["config", "frobnicate"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Usage:"), "{}", run.stderr);
    let run = voicefleet(&["users", "add", "alice", "--role", "root"]);
    assert_eq!(run.code, 2);
}

#[test]
fn completions_are_printed() {
    for shell in ["bash", "zsh", "fish"] {
        let run = voicefleet(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}");
        assert!(run.stdout.contains("voicefleet"), "{shell}");
    }
}
