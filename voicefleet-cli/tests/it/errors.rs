//! Errors that say what to do: a misspelt customer id, a missing secret named with its customer,
//! a `--console` that is a host agent; help that keeps the global flags apart.

use serde_json::json;

use crate::fleet::{env, run};
use crate::rollout::{ok, running_customer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_say_what_to_do() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        running_customer(&env, json!({"ready_delay_ms": 20, "call_interval_ms": 100000}));
        ok(&run(&env, &["customers", "tag", "acme", "tier=prod"]), "tag");

        for args in [
            vec!["agent", "restart", "acmee"],
            vec!["status", "acm"],
            vec!["logs", "acme-"],
            vec!["config", "get", "acmee"],
            vec!["config", "history", "acmee"],
            vec!["config", "set", "acmee", "agent_settings.llm.temperature", "0.3", "-m", "x"],
            vec!["config", "deploy", "acmee"],
            vec!["config", "rollback", "acmee"],
            vec!["config", "diff", "acmee"],
        ] {
            let r = run(&env, &args);
            assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
            assert!(r.stderr.contains("hint: did you mean `acme`?"), "{args:?}: {}", r.stderr);
        }
        let r = run(&env, &["agent", "restart", "zzzzzzzz"]);
        assert!(r.stderr.contains("hint: `voicefleet customers list` shows the customers"), "{}", r.stderr);

        let r = run(&env, &["config", "set", "acme", "agent_settings.llm.api_key", "secret://nope_key"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("secret `nope_key` is not set for acme"), "{}", r.stderr);
        assert!(
            r.stderr.contains("hint: set it with `voicefleet secrets set acme nope_key`"),
            "{}",
            r.stderr
        );

        // A host agent's URL given as the console.
        let r = crate::voicefleet(&["--console", &env.host.endpoint, "--token", "x", "status"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(" is a host agent, not a console"), "{}", r.stderr);
        assert!(r.stderr.contains("voicefleet host status"), "{}", r.stderr);
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}

#[test]
fn help_keeps_global_flags_apart_and_names_every_argument() {
    let r = crate::voicefleet(&["status", "--help"]);
    let (own, global) = r.stdout.split_once("Global options:").expect("a global section");
    assert!(own.contains("--unhealthy") && !own.contains("--console"), "{}", r.stdout);
    assert!(
        global.contains("--console") && global.contains("--token") && global.contains("--output"),
        "{}",
        r.stdout
    );
    let r = crate::voicefleet(&["demo", "--help"]);
    assert!(r.stdout.contains("until Ctrl-C or --duration"), "{}", r.stdout);
    let r = crate::voicefleet(&["tokens", "create", "--help"]);
    assert!(
        r.stdout.contains("Usage: voicefleet tokens create [OPTIONS] --role <ROLE> <NAME>"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_completes_customer_ids_live() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        for id in ["acme", "acorn-bank", "globex"] {
            ok(&run(&env, &["customers", "add", id, "--endpoint", "http://127.0.0.1:9"]), id);
        }
        let binary = std::path::Path::new(env!("CARGO_BIN_EXE_voicefleet"));
        let path =
            format!("{}:{}", binary.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
        let complete = |words: &str| {
            let script = format!(
                "source <(voicefleet completions bash) && COMP_WORDS=({words}) && COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) \\
                 && COMP_LINE=\"${{COMP_WORDS[*]}}\" && COMP_POINT=${{#COMP_LINE}} \\
                 && _voicefleet_with_customers voicefleet \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\" \\
                 && printf '%s\\n' \"${{COMPREPLY[@]}}\""
            );
            let output = std::process::Command::new("bash")
                .args(["-c", &script])
                .env("PATH", &path)
                .env("VOICEFLEET_CONSOLE", &env.url)
                .env("VOICEFLEET_TOKEN", &env.token)
                .output()
                .unwrap();
            assert!(output.status.success(), "{words}: {}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(complete("voicefleet agent restart ac"), ["acme", "acorn-bank"]);
        assert_eq!(complete("voicefleet status --unhealthy g"), ["globex"]);
        assert_eq!(complete("voicefleet logs acm"), ["acme"]);
        let elsewhere = complete("voicefleet bulk list ac");
        assert!(!elsewhere.iter().any(|word| word == "acme"), "not a customer's place: {elsewhere:?}");
        let flags = complete("voicefleet status --unh");
        assert_eq!(flags, ["--unhealthy"], "clap's own completion still answers");
    });
}

/// A shell's completion of `line` (the last word being completed) in zsh or fish, with the
/// `voicefleet` binary on PATH and the console in the environment.
fn complete_in(shell: &str, url: &str, token: &str, line: &str) -> Option<Vec<String>> {
    let found = std::process::Command::new(shell).arg("-c").arg("true").output().is_ok();
    if !found {
        // The test command installs both shells (scripts/test); elsewhere they may be absent.
        assert!(std::env::var_os("CI").is_none(), "{shell} is not installed (scripts/test installs it)");
        eprintln!("{shell} is not installed: its completion is not checked here");
        return None;
    }
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_voicefleet"));
    let path =
        format!("{}:{}", binary.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let script = match shell {
        // fish answers a completion for a command line on its own.
        "fish" => format!("voicefleet completions fish | source; complete -C {line:?}"),
        // zsh needs its completion system; compadd is replaced by a function that prints what
        // would be offered (zsh itself filters by the prefix), clap's function by a marker.
        _ => {
            let words: Vec<&str> = line.split(' ').collect();
            format!(
                "autoload -U compinit; compinit -u -D; source <(voicefleet completions zsh); \
                 compadd() {{ print -rl -- \"${{@[2,-1]}}\" }}; _voicefleet() {{ print clap }}; \
                 words=({words}); CURRENT={current}; PREFIX={prefix:?}; _voicefleet_with_customers",
                words = words.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(" "),
                current = words.len(),
                prefix = words.last().unwrap(),
            )
        }
    };
    let mut command = std::process::Command::new(shell);
    if shell == "zsh" {
        command.arg("-f");
    }
    let output = command
        .args(["-c", &script])
        .env("PATH", &path)
        .env("VOICEFLEET_CONSOLE", url)
        .env("VOICEFLEET_TOKEN", token)
        .output()
        .unwrap();
    assert!(output.status.success(), "{shell} {line}: {}", String::from_utf8_lossy(&output.stderr));
    let words = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .filter(|w| w.starts_with(line.rsplit(' ').next().unwrap()))
        .collect();
    Some(words)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zsh_and_fish_complete_customer_ids_live() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        for id in ["acme", "acorn-bank", "globex"] {
            ok(&run(&env, &["customers", "add", id, "--endpoint", "http://127.0.0.1:9"]), id);
        }
        for shell in ["zsh", "fish"] {
            let complete = |line: &str| complete_in(shell, &env.url, &env.token, line);
            let Some(ids) = complete("voicefleet agent restart ac") else { continue };
            assert_eq!(ids, ["acme", "acorn-bank"], "{shell}");
            assert_eq!(complete("voicefleet status --unhealthy g").unwrap(), ["globex"], "{shell}");
            assert_eq!(complete("voicefleet config history acm").unwrap(), ["acme"], "{shell}");
            let elsewhere = complete("voicefleet bulk list ac").unwrap();
            assert!(!elsewhere.iter().any(|w| w == "acme"), "{shell}: not a customer's place: {elsewhere:?}");
        }
        // fish: clap's own completion still answers for flags.
        if let Some(flags) = complete_in("fish", &env.url, &env.token, "voicefleet status --unh") {
            assert_eq!(flags, ["--unhealthy"]);
        }
    });
}
