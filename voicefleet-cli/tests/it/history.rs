//! Looking back: logs with timestamps, stream markers, `--since`, `-n` and `--no-events`; the
//! audit log newest first with filters and paging.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fleet::{env, run};
use crate::rollout::{ok, running_customer};
use crate::tty::command;

/// `2026-11-26T19:22:01.123Z out ` or `… err `.
fn well_formed(line: &str) -> bool {
    let bytes = line.as_bytes();
    line.len() > 29
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && &line[23..25] == "Z "
        && matches!(&line[25..29], "out " | "err ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_show_time_and_stream_and_filter() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        running_customer(
            &env,
            json!({"ready_delay_ms": 20, "call_interval_ms": 100, "call_duration_ms": 400, "turn_interval_ms": 100,
                   "flood_lines_per_second": 3000, "flood_seconds": 1}),
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let r = run(&env, &["logs", "acme", "-n", "10000", "-o", "json"]);
            let floods = r.stdout.lines().filter(|l| l.contains("\"text\":\"flood ")).count();
            if floods >= 1500 {
                break;
            }
            assert!(Instant::now() < deadline, "{floods} flood lines");
            std::thread::sleep(Duration::from_millis(200));
        }

        let r = run(&env, &["logs", "acme", "-n", "3"]);
        ok(&r, "logs -n 3");
        assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
        assert!(r.stdout.lines().all(well_formed), "{}", r.stdout);

        let r = run(&env, &["logs", "acme", "--tail", "10000", "--stderr"]);
        assert!(r.stdout.lines().all(|l| well_formed(l) && &l[25..29] == "err "), "{}", r.stdout);
        assert!(r.stdout.contains(" err simulated agent: pid "), "{}", r.stdout);

        let events = |args: &[&str]| {
            let r = run(&env, args);
            ok(&r, &format!("{args:?}"));
            r.stdout.lines().filter(|l| l.len() > 29 && l[29..].starts_with("{\"event\"")).count()
        };
        assert!(events(&["logs", "acme", "-n", "10000"]) > 0);
        assert_eq!(events(&["logs", "acme", "-n", "10000", "--no-events"]), 0);
        let r = run(&env, &["logs", "acme", "--since", "1h", "--no-events", "-o", "json"]);
        let lines: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(lines.len() >= 1500, "{}", lines.len());
        let r = run(&env, &["logs", "acme", "--since", "soon"]);
        assert_eq!(r.code, 2, "{}", r.stderr);

        // `| head -1` on a long output: no panic, no message.
        use std::os::unix::process::ExitStatusExt as _;
        let home = voicefleet_tests::scratch();
        let vars = [("VOICEFLEET_CONSOLE", env.url.as_str()), ("VOICEFLEET_TOKEN", env.token.as_str())];
        let mut child = command(home.path(), &["logs", "acme", "-n", "10000"], &vars)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.is_empty(), "{stderr}");
        assert!(output.status.success() || output.status.signal() == Some(13), "{:?}", output.status);
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_lists_newest_first_with_filters() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        running_customer(&env, json!({"ready_delay_ms": 20, "call_interval_ms": 100000}));
        let seqs = |args: &[&str]| -> Vec<(u64, String, String)> {
            let mut full = args.to_vec();
            full.extend(["-o", "json"]);
            let r = run(&env, &full);
            ok(&r, &format!("{args:?}"));
            let entries: Value = serde_json::from_str(&r.stdout).unwrap();
            entries
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let text = |key: &str| e[key].as_str().unwrap().to_owned();
                    (e["seq"].as_u64().unwrap(), text("action"), text("target"))
                })
                .collect()
        };
        let all = seqs(&["audit", "list"]);
        assert!(all.len() >= 6, "{all:?}");
        assert!(all.windows(2).all(|w| w[0].0 > w[1].0), "newest first: {all:?}");

        let secrets = seqs(&["audit", "list", "--customer", "acme", "--action", "secret."]);
        assert_eq!(secrets.len(), 3, "{secrets:?}");
        assert!(
            secrets.iter().all(|(_, action, target)| action == "secret.set" && target.starts_with("acme/"))
        );
        let deploys =
            seqs(&["audit", "list", "--action", "config.deploy", "--since", "1h", "--actor", "admin"]);
        assert_eq!(deploys.iter().map(|d| d.2.as_str()).collect::<Vec<_>>(), ["acme#1"]);
        assert!(seqs(&["audit", "list", "--customer", "acm"]).is_empty(), "a prefix is not the customer");

        let r = run(&env, &["audit", "list", "-n", "2"]);
        ok(&r, "page");
        assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
        let next = all[1].0;
        assert!(
            r.stderr.contains(&format!("older entries exist: add --before {next} for the next page")),
            "{}",
            r.stderr
        );
        let page = seqs(&["audit", "list", "-n", "2", "--before", &next.to_string()]);
        assert_eq!(page.iter().map(|p| p.0).collect::<Vec<_>>(), [all[2].0, all[3].0]);

        let r = run(&env, &["audit", "list", "--actor", "nobody"]);
        ok(&r, "nothing");
        assert!(r.stderr.contains("no audit entry matches"), "{}", r.stderr);
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_tell_state_changes_exits_alerts_and_deploys_in_order() {
    let env = env().await;
    tokio::task::block_in_place(|| {
        // An agent that crashes 600 ms after each start, exit code 3.
        running_customer(
            &env,
            json!({"ready_delay_ms": 20, "call_interval_ms": 100000, "crash_after_ms": 600, "crash_exit_code": 3}),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let lines = loop {
            let r = run(&env, &["events", "acme"]);
            ok(&r, "events");
            if r.stdout.contains("(last run exited with code 3") {
                break r.stdout;
            }
            assert!(Instant::now() < deadline, "no exit in the events:\n{}{}", r.stdout, r.stderr);
            std::thread::sleep(Duration::from_millis(300));
        };
        let rows: Vec<&str> = lines.lines().collect();
        let times: Vec<&str> = rows.iter().map(|row| &row[..24]).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "in order:\n{lines}");
        let deploy =
            rows.iter().position(|r| r.contains(" config.deploy ") && r.contains("revision 1 by admin"));
        let start = rows.iter().position(|r| r.contains(" agent.start "));
        let exit = rows.iter().position(|r| r.contains(" state ") && r.contains("exited with code 3"));
        assert!(deploy.is_some() && start.is_some() && exit.is_some(), "{lines}");
        assert!(deploy < exit && start < exit, "{lines}");
        assert!(rows.iter().all(|r| r[25..].starts_with("acme ")), "{lines}");

        // Following: new exits arrive as they happen.
        let home = voicefleet_tests::scratch();
        let vars = [("VOICEFLEET_CONSOLE", env.url.as_str()), ("VOICEFLEET_TOKEN", env.token.as_str())];
        let mut child = command(home.path(), &["events", "acme", "-f", "--since", "1s", "-o", "json"], &vars)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut exits = 0;
        while exits < 2 {
            assert!(Instant::now() < deadline, "no live exit in 20 s");
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "ended early");
            let event: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(event["customer"], "acme");
            if event["kind"] == "state" && event["detail"].as_str().unwrap().contains("exited with code 3") {
                exits += 1;
            }
        }
        let _ = child.kill();
        let _ = child.wait();

        // A viewer sees state changes and alerts, and is told why deploys are missing.
        let r = run(&env, &["tokens", "create", "watcher", "--role", "viewer", "-o", "json"]);
        let token: Value = serde_json::from_str(&r.stdout).unwrap();
        let viewer = token["token"].as_str().unwrap();
        let r = crate::voicefleet(&["--console", &env.url, "--token", viewer, "events", "acme"]);
        ok(&r, "viewer events");
        assert!(r.stderr.contains("needs the admin role"), "{}", r.stderr);
        assert!(r.stdout.contains(" state ") && !r.stdout.contains("config.deploy"), "{}", r.stdout);
        let r = run(&env, &["events", "nosuch"]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}
