//! The operator documentation matches the CLI: every command in the `sh` blocks of `docs/cli.md`
//! and of the README's "Operating the fleet" section runs, in order, against a real demo fleet
//! (`voicefleet demo`), and must exit 0; every example output (a `text` block) must match what
//! the `sh` block before it printed, line by line, numbers, ids and durations aside.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tty::command;

/// A documentation block, with the `##` section it is in.
#[derive(Debug)]
enum Block {
    /// Commands (continuation lines joined, comments dropped).
    Sh { section: String, commands: Vec<String> },
    /// An example output of the `sh` block before it.
    Text { lines: Vec<String> },
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut section = String::new();
    let mut kind: Option<&str> = None;
    let (mut commands, mut lines, mut pending) = (Vec::new(), Vec::new(), String::new());
    for line in markdown.lines() {
        if kind.is_none() && line.starts_with("## ") {
            section = line.trim_start_matches('#').trim().to_owned();
        }
        if line.starts_with("```") {
            match kind.take() {
                Some("sh") => blocks
                    .push(Block::Sh { section: section.clone(), commands: std::mem::take(&mut commands) }),
                Some("text") => blocks.push(Block::Text { lines: std::mem::take(&mut lines) }),
                Some(_) => {}
                None => {
                    kind = Some(if line.trim() == "```sh" {
                        "sh"
                    } else if line.trim() == "```text" {
                        "text"
                    } else {
                        "other"
                    })
                }
            }
            continue;
        }
        match kind {
            Some("text") if !line.trim().is_empty() => lines.push(line.to_owned()),
            Some("sh") if !line.trim().is_empty() && !line.trim_start().starts_with('#') => {
                match line.strip_suffix('\\') {
                    Some(start) => pending.push_str(start),
                    None => {
                        pending.push_str(line);
                        commands.push(std::mem::take(&mut pending).trim().to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    blocks
}

/// An example output line as a pattern: a word with a digit in it (a count, a PID, a port, a
/// duration, a percentage, `token:demo-4242`) stands for any word, and the word after a count
/// may be singular; `…` stands for anything; runs of spaces for any spaces.
fn pattern(line: &str) -> regex::Regex {
    let mut out = String::from("^");
    let mut after_count = false;
    for (index, word) in line.split_whitespace().enumerate() {
        if index > 0 {
            out.push_str(r"\s+");
        }
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push_str(r"\S+");
            after_count = true;
            continue;
        }
        let mut escaped = word.split('…').map(regex::escape).collect::<Vec<_>>().join(".*");
        if after_count && let Some(singular) = escaped.strip_suffix('s') {
            escaped = format!("{singular}s?");
        }
        after_count = false;
        out.push_str(&escaped);
    }
    out.push_str(r"\s*$");
    regex::Regex::new(&out).expect("a pattern")
}

/// Every line of `expected` matches a line of `printed` (in any order: standard error and output
/// interleave).
fn check_example(expected: &[String], printed: &str, commands: &[String]) {
    for line in expected {
        let pattern = pattern(line);
        assert!(
            printed.lines().any(|printed| pattern.is_match(printed.trim_end())),
            "the docs show `{line}` after {commands:?}, which printed:\n{printed}"
        );
    }
}

/// The README's "Operating the fleet" section.
fn readme_section(readme: &str) -> &str {
    let start = readme.find("## Operating the fleet").expect("the README has an operator section");
    let rest = &readme[start + 3..];
    &readme[start..start + 3 + rest.find("\n## ").unwrap_or(rest.len())]
}

struct Demo {
    child: Child,
    data: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Whatever a failed stop left behind.
        for host in std::fs::read_dir(self.data.join("hosts")).into_iter().flatten().flatten() {
            drop(voicefleet_tests::AgentCleanup(host.path()));
        }
    }
}

fn start_demo(home: &Path) -> Demo {
    let data = home.join("demo");
    let args = [
        "demo",
        "--data",
        data.to_str().unwrap(),
        "--no-watch",
        "--settle",
        "0",
        "--duration",
        "900",
        "--port",
        "0",
        "--host-port",
        "0",
    ];
    let mut child = command(home, &args, &[])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while !seen.contains("five customers running") {
        assert!(Instant::now() < deadline, "the demo did not start: {seen}");
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the demo ended: {seen}");
        seen.push_str(&line);
    }
    // Keep reading its messages so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in stderr.lines() {});
    Demo { child, data }
}

/// `export NAME=VALUE` lines of the demo's environment file.
fn demo_env(data: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(data.join("demo.env"))
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// Waits (bounded) until `customer`'s status satisfies `check`; the status.
fn wait_for(
    run: &dyn Fn(&str) -> std::process::Output,
    customer: &str,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = run(&format!("voicefleet status {customer} -o json"));
        let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
        if let Some(row) = status.as_array().and_then(|rows| rows.first()).filter(|row| check(row)) {
            return row.clone();
        }
        assert!(Instant::now() < deadline, "{customer} never became {what}: {status}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn every_command_the_operator_docs_show_runs_against_a_demo_fleet() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut docs = blocks(&std::fs::read_to_string(root.join("docs/cli.md")).unwrap());
    let count = |blocks: &[Block]| {
        blocks
            .iter()
            .map(|b| if let Block::Sh { commands, .. } = b { commands.len() } else { 0 })
            .sum::<usize>()
    };
    let (page, examples) = (count(&docs), docs.iter().filter(|b| matches!(b, Block::Text { .. })).count());
    assert!(page >= 30 && examples >= 4, "{docs:?}");
    docs.extend(blocks(readme_section(&std::fs::read_to_string(root.join("README.md")).unwrap())));
    assert!(count(&docs) > page, "the README's operator section shows commands");

    let home = voicefleet_tests::scratch();
    let demo = start_demo(home.path());
    let mut env = demo_env(&demo.data);
    let binary = Path::new(env!("CARGO_BIN_EXE_voicefleet"));
    let path =
        format!("{}:{}", binary.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    env.push(("PATH".into(), path));
    env.push(("NEW_OPENAI_KEY".into(), "sk-docs-rotated-key-0123456789".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let shell = |line: &str| {
        let mut bash = Command::new("bash");
        bash.args(["-o", "pipefail", "-c", &format!("timeout 120 {line}")]);
        bash.env("HOME", home.path()).env("XDG_CONFIG_HOME", home.path().join("config"));
        for variable in ["VOICEFLEET_CONSOLE", "VOICEFLEET_TOKEN", "VOICEFLEET_DATA", "NO_COLOR"] {
            bash.env_remove(variable);
        }
        bash.envs(vars.iter().copied());
        bash
    };
    let fixture = |line: &str| {
        let output = shell(line).stdin(Stdio::null()).output().unwrap();
        assert!(output.status.success(), "{line}: {}", String::from_utf8_lossy(&output.stderr));
        output
    };

    // The fixture, not part of the docs: calls of the demo last 7 to 13 s; a 1 s drain keeps the
    // many drain-restarts below quick. `voicefleet host` finds hooli-support's host agent.
    fixture(
        "voicefleet bulk set runtime.drain_timeout_seconds 1 --selector all --max-concurrency 100% --yes",
    );
    let r = fixture("voicefleet customers show hooli-support -o json");
    let customer: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let state = home.path().join("state");
    std::fs::create_dir_all(state.join("voicefleet-agent")).unwrap();
    std::os::unix::fs::symlink(
        demo.data.join("hosts/hooli-support"),
        state.join("voicefleet-agent/hooli-support"),
    )
    .unwrap();
    let endpoint = customer["endpoint"].as_str().unwrap().to_owned();
    let status_of = |line: &str| shell(line).stdin(Stdio::null()).output().unwrap();

    let mut section = String::new();
    let (mut printed, mut last_commands) = (String::new(), Vec::new());
    let mut good_revision = None;
    for block in &docs {
        let (block_section, commands) = match block {
            Block::Text { lines } => {
                check_example(lines, &printed, &last_commands);
                continue;
            }
            Block::Sh { section, commands } => (section, commands),
        };
        if *block_section != section {
            // What each page's examples show: something wrong to find (globex-insurance cannot
            // start, and is put right after), and calls to cut while draining. The default
            // backoff (1, 2, 4, 8 s) reaches crash_loop in about 16 s and then waits 16 s more:
            // the page's commands see it there.
            if section == "Find what is wrong" {
                let revision: u64 = good_revision.take().expect("set on the way in");
                fixture(&format!(
                    "voicefleet config rollback globex-insurance {revision} --deploy -m 'docs fixture: fixed'"
                ));
                wait_for(&status_of, "globex-insurance", "running", |row| row["state"] == "running");
            }
            section.clone_from(block_section);
            if section == "Find what is wrong" {
                let row = wait_for(&status_of, "globex-insurance", "deployed", |row| {
                    row["deployed_revision"].is_u64()
                });
                good_revision = row["deployed_revision"].as_u64();
                for (path, value) in [
                    ("extensions.simulator.emit_ready", "false"),
                    ("extensions.simulator.crash_after_ms", "300"),
                ] {
                    fixture(&format!(
                        "voicefleet config set globex-insurance {path} {value} -m 'docs fixture: cannot start'"
                    ));
                }
                fixture("voicefleet config deploy globex-insurance");
                wait_for(&status_of, "globex-insurance", "crash_loop", |row| row["state"] == "crash_loop");
            }
            if section == "Recover a host" {
                fixture(
                    "voicefleet config set hooli-support extensions.simulator.call_duration_ms 120000 -m 'docs fixture: long calls'",
                );
                fixture("voicefleet config deploy hooli-support");
                wait_for(&status_of, "hooli-support", "in calls", |row| {
                    row["state"] == "running"
                        && row["status"]["calls"]["active_calls"].as_u64().is_some_and(|n| n > 0)
                });
            }
        }
        printed.clear();
        last_commands.clone_from(commands);
        for line in commands {
            let started = Instant::now();
            let mut bash = shell(line);
            bash.env("XDG_STATE_HOME", &state).env("VOICEFLEET_AGENT_URL", &endpoint);
            // A command that follows (`-f`, `--watch`) runs until stopped: 3 s of it is the check.
            let follows = line.split_whitespace().any(|word| word == "-f" || word == "--watch");
            let output = if follows {
                let mut child = bash.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
                std::thread::sleep(Duration::from_secs(3));
                let alive = matches!(child.try_wait(), Ok(None));
                let _ = child.kill();
                let output = child.wait_with_output().unwrap();
                assert!(alive, "{line} ended early: {}", String::from_utf8_lossy(&output.stderr));
                continue;
            } else {
                bash.stdin(Stdio::null()).output().unwrap()
            };
            assert!(
                output.status.success(),
                "`{line}` exited {:?} after {:.1}s:\n{}{}",
                output.status.code(),
                started.elapsed().as_secs_f64(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            printed.push_str(&String::from_utf8_lossy(&output.stdout));
            printed.push_str(&String::from_utf8_lossy(&output.stderr));
        }
    }
}
