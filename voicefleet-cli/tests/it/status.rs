//! `status` for finding what is wrong: unhealthy first with the reason, filters (`--unhealthy`,
//! `--state`, `!=`), a summary line, colour only on a terminal, `--exit-code`, and a selector
//! that matches nothing said so.

use std::io::Read as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voicefleet_tests::hosts::TestHost;

use crate::fleet::{env, run};
use crate::rollout::{ok, running_customer};
use crate::tty::{command, on_tty};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_puts_what_is_wrong_first_and_filters_it() {
    let env = env().await;
    let initech = TestHost::start("initech", &env.console.embedded().signer).await;
    tokio::task::block_in_place(|| {
        running_customer(&env, json!({"ready_delay_ms": 20, "call_interval_ms": 100000}));
        ok(&run(&env, &["customers", "tag", "acme", "tier=prod", "region=us"]), "tag");
        let add = |id: &str, endpoint: &str, tags: &[&str]| {
            let mut args = vec!["customers", "add", id, "--endpoint", endpoint];
            for tag in tags {
                args.extend(["--tag", tag]);
            }
            ok(&run(&env, &args), id);
        };
        add("globex", "http://127.0.0.1:9", &["tier=prod", "region=eu"]);
        add("initech", &initech.endpoint, &["tier=staging"]);

        let r = run(&env, &["status"]);
        ok(&r, "status");
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert!(lines[0].starts_with("CUSTOMER") && lines[0].ends_with("REASON"), "{}", r.stdout);
        assert!(lines[1].starts_with("globex ") && lines[1].contains("unreachable"), "{}", r.stdout);
        assert!(lines[2].starts_with("initech ") && lines[2].contains("stopped"), "{}", r.stdout);
        assert!(lines[3].starts_with("acme ") && lines[3].contains("running"), "{}", r.stdout);
        assert_eq!(lines[4], "3 customers: 1 stopped, 1 running, 1 unreachable", "{}", r.stdout);
        assert!(!r.stdout.contains('\x1b'), "no colour in a pipe: {}", r.stdout);

        let r = run(&env, &["status", "--unhealthy"]);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(lines.len(), 4, "{}", r.stdout);
        assert_eq!(lines[3], "2 customers: 1 stopped, 1 unreachable (1 more not shown)");

        let ids = |args: &[&str]| -> Vec<String> {
            let mut full = args.to_vec();
            full.extend(["-o", "json"]);
            let r = run(&env, &full);
            ok(&r, &format!("{args:?}"));
            let statuses: Value = serde_json::from_str(&r.stdout).unwrap();
            statuses
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["customer_id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(&["status", "--state", "running"]), ["acme"]);
        assert_eq!(ids(&["status", "--state", "stopped", "--state", "unreachable"]), ["globex", "initech"]);
        assert_eq!(ids(&["status", "-s", "tier=prod,region!=eu"]), ["acme"]);
        assert_eq!(ids(&["status", "-s", "region!=eu"]), ["initech", "acme"]);

        assert_eq!(run(&env, &["status", "--unhealthy", "--exit-code"]).code, 1);
        assert_eq!(run(&env, &["status", "acme", "--exit-code"]).code, 0);

        let r = run(&env, &["status", "-s", "tier=prdo"]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stderr.starts_with("error: selector `tier=prdo` matches no customer"), "{}", r.stderr);
        assert!(
            r.stderr.contains("hint: tags in use: region=eu, region=us, tier=prod, tier=staging"),
            "{}",
            r.stderr
        );
        let r = run(&env, &["status", "--state", "runing"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("a state is one of stopped, starting, running"), "{}", r.stderr);

        // Colour on a terminal, unless NO_COLOR.
        let home = voicefleet_tests::scratch();
        let vars = [("VOICEFLEET_CONSOLE", env.url.as_str()), ("VOICEFLEET_TOKEN", env.token.as_str())];
        let r = on_tty(home.path(), &["status"], &vars, "", "");
        assert_eq!(r.code, Some(0), "{}", r.screen);
        assert!(r.screen.contains("\x1b[32mrunning\x1b[0m"), "{:?}", r.screen);
        assert!(r.screen.contains("\x1b[31munreachable\x1b[0m"), "{:?}", r.screen);
        let mut no_color = vars.to_vec();
        no_color.push(("NO_COLOR", "1"));
        let r = on_tty(home.path(), &["status"], &no_color, "", "");
        assert!(!r.screen.contains('\x1b'), "{:?}", r.screen);

        // --watch off a terminal: tables one after the other, no screen-clearing codes.
        let mut child = command(home.path(), &["status", "--watch"], &vars)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = String::new();
        while seen.matches("3 customers:").count() < 2 {
            assert!(Instant::now() < deadline, "two tables in 20 s: {seen}");
            let mut buffer = [0u8; 4096];
            let read = stdout.read(&mut buffer).unwrap();
            assert!(read > 0, "ended: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(!seen.contains('\x1b'), "{seen:?}");
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_and_json_status_show_the_host_agent_version_and_the_host_machine() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        running_customer(&env, json!({"ready_delay_ms": 20, "call_interval_ms": 100000}));
        let version = env!("CARGO_PKG_VERSION");

        // The default table stays as it was; the wide one adds the version and the machine.
        let r = run(&env, &["status"]);
        ok(&r, "status");
        assert!(!r.stdout.contains("AGENT") && !r.stdout.contains("DISK FREE"), "{}", r.stdout);
        let r = run(&env, &["status", "-o", "wide"]);
        ok(&r, "status -o wide");
        let lines: Vec<&str> = r.stdout.lines().collect();
        for header in ["AGENT", "HOST CPU", "MEM AVAIL", "LOAD 1/5/15", "DISK FREE", "HOST UP"] {
            assert!(lines[0].contains(header), "{header}: {}", r.stdout);
        }
        assert!(lines[0].ends_with("REASON"), "{}", r.stdout);
        assert!(lines[1].starts_with("acme ") && lines[1].contains(&format!(" {version} ")), "{}", r.stdout);
        // Memory and disk as `available/total percent` (the host's CPU needs a second sample).
        assert!(lines[1].matches('/').count() >= 2, "{}", r.stdout);

        let r = run(&env, &["status", "-o", "json"]);
        ok(&r, "status -o json");
        let statuses: Value = serde_json::from_str(&r.stdout).unwrap();
        let acme = &statuses[0];
        assert_eq!(acme["agent_version"], version, "{acme}");
        let machine = &acme["status"]["machine"];
        let (available, total) = (
            machine["memory_available_bytes"].as_u64().unwrap(),
            machine["memory_total_bytes"].as_u64().unwrap(),
        );
        assert!(available <= total, "{machine}");
        let (free, size) = (
            machine["state_fs_available_bytes"].as_u64().unwrap(),
            machine["state_fs_size_bytes"].as_u64().unwrap(),
        );
        assert!(free <= size, "{machine}");
        assert!(machine["uptime_seconds"].as_u64().unwrap() > 0, "{machine}");

        // Other commands print text under `-o wide`.
        let r = run(&env, &["customers", "list", "-o", "wide"]);
        ok(&r, "customers list -o wide");
        assert!(r.stdout.contains("acme"), "{}", r.stdout);
        let r = run(&env, &["metrics", "acme", "-o", "wide"]);
        ok(&r, "metrics -o wide");
        assert!(
            r.stdout.lines().next().is_some_and(|h| h.contains("HOST CPU") && h.contains("DISK FREE")),
            "{}",
            r.stdout
        );
    });
}
