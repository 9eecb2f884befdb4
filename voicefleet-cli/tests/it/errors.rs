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

        for args in [vec!["agent", "restart", "acmee"], vec!["status", "acm"], vec!["logs", "acme-"]] {
            let r = run(&env, &args);
            assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
            assert!(r.stderr.contains("hint: did you mean `acme`?"), "{args:?}: {}", r.stderr);
        }
        let r = run(&env, &["agent", "restart", "zzzzzzzz"]);
        assert!(r.stderr.contains("hint: `voicefleet customers list` shows the customers"), "{}", r.stderr);

        let r = run(&env, &["config", "set", "acme", "agent_settings.llm.api_key", "secret://nope_key"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains(
                "secret `nope_key` is not set for acme; set it with `voicefleet secrets set acme nope_key`"
            ),
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
