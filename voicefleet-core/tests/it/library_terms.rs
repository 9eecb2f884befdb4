//! Core's messages speak library terms: no CLI command, CLI flag or HTTP route of a frontend in
//! a string of core's source (each frontend says a `Remedy` in its own terms). Comments may
//! name them; string literals may not.

use std::path::Path;

/// What a frontend's words look like inside a string literal.
fn frontend_words(literal: &str) -> Option<&'static str> {
    const COMMANDS: [&str; 20] = [
        "agent",
        "audit",
        "bulk",
        "config",
        "console",
        "customers",
        "demo",
        "deploy",
        "drain",
        "host",
        "instances",
        "login",
        "logs",
        "restart",
        "secrets",
        "start",
        "status",
        "stop",
        "tokens",
        "users",
    ];
    // Quoted as something to run: `voicefleet instances sync`, (voicefleet console restore …).
    if COMMANDS.iter().any(|command| {
        ["`", "("].iter().any(|quote| literal.contains(&format!("{quote}voicefleet {command} ")))
    }) {
        return Some("a CLI command");
    }
    // `(--key)`, `(--image ami-…)`: a flag named as what to give. (Other programs' flags, such
    // as `useradd --system`, are not voicefleet's and may be named.)
    if literal.contains("(--") {
        return Some("a CLI flag");
    }
    if ["GET /v1", "PUT /v1", "POST /v1", "PATCH /v1", "DELETE /v1"]
        .iter()
        .any(|route| literal.contains(route))
    {
        return Some("an HTTP route");
    }
    None
}

/// The string literals on a line of code (not in a comment), roughly: text between quotes.
fn literals(line: &str) -> Vec<&str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    line.split('"').skip(1).step_by(2).collect()
}

fn scan(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, found);
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests at the end of a file may quote anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in code.lines().enumerate() {
            for literal in literals(line) {
                if let Some(what) = frontend_words(literal) {
                    found.push(format!("{}:{}: {what}: {literal}", path.display(), number + 1));
                }
            }
        }
    }
}

#[test]
fn core_messages_name_no_frontend_command_flag_or_route() {
    assert_eq!(frontend_words("run `voicefleet config validate`"), Some("a CLI command"));
    assert_eq!(
        frontend_words("restore it (voicefleet console restore --master-key FILE)"),
        Some("a CLI command")
    );
    assert_eq!(frontend_words("voicefleet audit chain hmac-sha256 v1"), None);
    assert_eq!(frontend_words("give the key (--key)"), Some("a CLI flag"));
    assert_eq!(frontend_words("PUT /v1/config first"), Some("an HTTP route"));
    assert_eq!(frontend_words("list the backups at /srv and pick one"), None);
    let mut found = Vec::new();
    // The shim's own argument parser reads flags of its own command line: it is not a message.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    scan(&src, &mut found);
    found.retain(|hit| !hit.contains("supervisor/shim.rs") && !hit.contains("supervisor/launch.rs"));
    assert!(found.is_empty(), "core names a frontend's words; use a Remedy instead:\n{}", found.join("\n"));
}
