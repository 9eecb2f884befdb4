//! `voicefleet instances` without a cloud: what to set, and a build without EC2 support saying so.

use std::path::Path;

use voicefleet_tests::drill::voicefleet;

#[test]
fn instance_commands_without_a_provider_say_what_to_set() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let binary = Path::new(env!("CARGO_BIN_EXE_voicefleet"));
    let env = [("VOICEFLEET_DATA", data.to_str().unwrap())];
    let added =
        voicefleet(binary, &["customers", "add", "acme", "--endpoint", "http://127.0.0.1:9"], &env, "");
    assert_eq!(added.code, 0, "{}", added.stderr);
    let listed = voicefleet(binary, &["instances", "list"], &env, "");
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("acme") && listed.stdout.contains("no instance"), "{}", listed.stdout);
    assert!(listed.stderr.contains("no instance provider"), "{}", listed.stderr);
    let sync = voicefleet(binary, &["instances", "sync"], &env, "");
    assert_eq!(sync.code, 1, "{}", sync.stderr);
    assert!(sync.stderr.contains("VOICEFLEET_EC2=1"), "{}", sync.stderr);
    if cfg!(not(feature = "aws")) {
        let env = [("VOICEFLEET_DATA", data.to_str().unwrap()), ("VOICEFLEET_EC2", "1")];
        let refused = voicefleet(binary, &["instances", "list"], &env, "");
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(refused.stderr.contains("built without EC2 support"), "{}", refused.stderr);
    }
}
