//! The operator documentation matches the CLI: every command in the `sh` blocks of `docs/cli.md`
//! and of the README's "Operating the fleet" section runs, in order, against a real demo fleet
//! (`voicefleet demo`), and must exit 0.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tty::command;

/// The commands of the `sh` blocks of `markdown` (continuation lines joined, comments dropped).
fn sh_commands(markdown: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if !in_sh || line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => pending.push_str(start),
            None => {
                pending.push_str(line);
                commands.push(std::mem::take(&mut pending).trim().to_owned());
            }
        }
    }
    commands
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

#[test]
fn every_command_the_operator_docs_show_runs_against_a_demo_fleet() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut commands = sh_commands(&std::fs::read_to_string(root.join("docs/cli.md")).unwrap());
    let page = commands.len();
    assert!(page >= 30, "{commands:?}");
    commands.extend(sh_commands(readme_section(&std::fs::read_to_string(root.join("README.md")).unwrap())));
    assert!(commands.len() > page, "the README's operator section shows commands");

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

    // The fixture, not part of the docs: calls of the demo last 7 to 13 s; a 1 s drain keeps the
    // many drain-restarts below quick. `voicefleet host` finds hooli-support's host agent.
    let setup =
        "voicefleet bulk set runtime.drain_timeout_seconds 1 --selector all --max-concurrency 100% --yes";
    let r = shell(setup).output().unwrap();
    assert!(r.status.success(), "{setup}: {}", String::from_utf8_lossy(&r.stderr));
    let r = shell("voicefleet customers show hooli-support -o json").output().unwrap();
    let customer: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let state = home.path().join("state");
    std::fs::create_dir_all(state.join("voicefleet-agent")).unwrap();
    std::os::unix::fs::symlink(
        demo.data.join("hosts/hooli-support"),
        state.join("voicefleet-agent/hooli-support"),
    )
    .unwrap();
    let endpoint = customer["endpoint"].as_str().unwrap().to_owned();

    for line in &commands {
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
    }
}
