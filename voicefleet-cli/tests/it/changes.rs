//! Changing things: rollback to the previous revision (and deploy), diff deployed → latest, the
//! whole document, `bulk set`/`bulk unset` with a per-target plan, short run ids, one secret
//! for many customers.

use serde_json::{Value, json};

use crate::fleet::{env, run, run_with_stdin};
use crate::rollout::{ok, running_customer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_roll_back_diff_and_show_whole() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        running_customer(&env, json!({"ready_delay_ms": 20, "call_interval_ms": 100000}));
        ok(&run(&env, &["config", "set", "acme", "agent_settings.llm.temperature", "0.2"]), "set");
        // An undeployed revision shows in the status, as drift does.
        let r = run(&env, &["status"]);
        assert!(r.stdout.lines().nth(1).is_some_and(|l| l.contains(" 2 pending ")), "{}", r.stdout);
        let r = run(&env, &["status", "-o", "json"]);
        assert_eq!(serde_json::from_str::<Value>(&r.stdout).unwrap()[0]["pending_revision"], 2);
        let r = run(&env, &["config", "diff", "acme"]);
        ok(&r, "diff");
        assert!(r.stderr.contains("revision 1 → 2"), "{}", r.stderr);
        assert_eq!(r.stdout, "~ agent_settings.llm.temperature: 0.7 -> 0.2\n");

        let r = run(&env, &["config", "get", "acme"]);
        ok(&r, "get");
        let document: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(document["agent_settings"]["llm"]["temperature"], 0.2);
        assert_eq!(document["agent_settings"]["llm"]["api_key"], "secret://openai_api_key");

        let r = run(&env, &["config", "rollback", "acme", "--deploy"]);
        ok(&r, "rollback");
        assert!(r.stderr.contains("created revision 3 of acme, equal to revision 1"), "{}", r.stderr);
        assert!(r.stderr.contains("deployed revision 3 of acme"), "{}", r.stderr);
        assert!(r.stderr.contains("acme: stored"), "the agent runs revision 1's document: {}", r.stderr);
        let r = run(&env, &["config", "diff", "acme"]);
        assert!(r.stderr.contains("no differences"), "{}{}", r.stdout, r.stderr);
        let r = run(&env, &["status", "-o", "json"]);
        assert!(
            serde_json::from_str::<Value>(&r.stdout).unwrap()[0].get("pending_revision").is_none(),
            "{}",
            r.stdout
        );
        let r = run(&env, &["config", "diff", "acme", "--from", "2"]);
        assert_eq!(r.stdout, "~ agent_settings.llm.temperature: 0.2 -> 0.7\n");
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_set_plans_per_target_and_runs_by_short_id() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        running_customer(&env, json!({"ready_delay_ms": 20, "call_interval_ms": 100000}));
        let r =
            run(&env, &["bulk", "set", "agent_settings.llm.temperature", "0.4", "-s", "acme", "--dry-run"]);
        ok(&r, "dry run");
        assert!(r.stdout.starts_with("plan: patch on 1 targets"), "{}", r.stdout);
        assert!(r.stdout.contains("acme: revision 1 → 2 (deployed: 1)\n"), "{}", r.stdout);
        assert!(r.stdout.contains("    ~ agent_settings.llm.temperature: 0.7 -> 0.4\n"), "{}", r.stdout);
        let history = |env| {
            let r = run(env, &["config", "history", "acme", "-o", "json"]);
            serde_json::from_str::<Value>(&r.stdout).unwrap().as_array().unwrap().len()
        };
        assert_eq!(history(&env), 1, "a dry run changes nothing");
        let r = run(&env, &["bulk", "set", "agent_settings.llm.temperature", "9", "-s", "acme", "--dry-run"]);
        assert!(r.stdout.contains("acme: would fail: "), "{}", r.stdout);

        let r = run(
            &env,
            &[
                "bulk",
                "set",
                "agent_settings.llm.temperature",
                "0.4",
                "-s",
                "acme",
                "--healthy-for",
                "1s",
                "-m",
                "warmer",
                "-o",
                "json",
            ],
        );
        ok(&r, "bulk set");
        let finished: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(finished["outcome"], "succeeded", "{}", r.stdout);
        let id = finished["id"].as_str().unwrap().to_owned();
        assert!(id.len() == 12 && id.starts_with("run-"), "{id}");
        assert_eq!(history(&env), 2);
        let r = run(&env, &["config", "get", "acme", "agent_settings.llm.temperature"]);
        assert_eq!(r.stdout.trim(), "0.4");

        let r = run(&env, &["bulk", "show", &id[4..9]]);
        ok(&r, "show by prefix");
        assert!(r.stdout.starts_with(&format!("{id} patch: succeeded\n")), "{}", r.stdout);
        let r = run(&env, &["bulk", "list"]);
        assert!(
            r.stdout.lines().nth(1).is_some_and(|l| l.contains(" patch ") && l.contains(" succeeded ")),
            "{}",
            r.stdout
        );
        let r = run(&env, &["bulk", "show", "zzzz"]);
        assert_eq!(r.code, 3, "{}", r.stderr);

        let r = run(&env, &["bulk", "unset", "agent_settings.llm.temperature", "-s", "acme", "--dry-run"]);
        ok(&r, "unset dry run");
        assert!(r.stdout.contains("acme: "), "{}", r.stdout);
        let r = run(&env, &["bulk", "set", "x", "1", "-s", "acme", "--healthy-for", "later"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_secret_for_many_customers() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        for (id, endpoint) in [("acme", env.host.endpoint.as_str()), ("globex", "http://127.0.0.1:9")] {
            ok(&run(&env, &["customers", "add", id, "--endpoint", endpoint, "--tag", "tier=prod"]), id);
        }
        ok(&run(&env, &["customers", "add", "initech", "--endpoint", "http://127.0.0.1:9"]), "initech");
        let r =
            run_with_stdin(&env, &["secrets", "set", "shared_key", "--selector", "tier=prod"], "sk-shared\n");
        ok(&r, "set for many");
        assert!(r.stderr.contains("set secret shared_key for acme\n"), "{}", r.stderr);
        assert!(r.stderr.contains("set secret shared_key for globex\n"), "{}", r.stderr);
        assert!(!r.stderr.contains("sk-shared"), "{}", r.stderr);
        for (id, count) in [("acme", 1), ("globex", 1), ("initech", 0)] {
            let r = run(&env, &["audit", "list", "--action", "secret.set", "--customer", id, "-o", "json"]);
            assert_eq!(
                serde_json::from_str::<Value>(&r.stdout).unwrap().as_array().unwrap().len(),
                count,
                "{id}"
            );
        }
        let r = run_with_stdin(&env, &["secrets", "set", "shared_key", "--selector", "tier=nope"], "x\n");
        assert_eq!(r.code, 3, "{}", r.stderr);
        let r = run_with_stdin(&env, &["secrets", "set", "acme"], "x\n");
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("give CUSTOMER NAME, or NAME with --selector"), "{}", r.stderr);
    });
}
