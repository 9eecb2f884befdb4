//! Help, usage errors, the demo placeholder.

use crate::voicefleet;

#[test]
fn help_lists_commands_and_exit_codes() {
    let run = voicefleet(&["--help"]);
    assert_eq!(run.code, 0);
    for expected in ["demo", "config", "Exit codes:", "4  unauthorized or forbidden"] {
        assert!(run.stdout.contains(expected), "{expected} missing from:\n{}", run.stdout);
    }
    let run = voicefleet(&["config", "set", "--help"]);
    assert!(run.stdout.contains("Examples:") && run.stdout.contains("byte-for-byte"), "{}", run.stdout);
}

#[test]
fn bad_flags_are_usage_errors() {
    let run = voicefleet(&["config", "validate", "x.json", "--output", "yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'yaml'"), "{}", run.stderr);
    let run = voicefleet(&["config", "frobnicate"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Usage:"), "{}", run.stderr);
}

#[test]
fn demo_prints_the_validated_default() {
    let run = voicefleet(&["demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["version"], 1);
    assert!(run.stderr.contains("0 errors, 0 warnings"), "{}", run.stderr);
}
