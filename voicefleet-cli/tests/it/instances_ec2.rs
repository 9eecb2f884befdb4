//! `voicefleet instances` (feature `aws`) against moto's EC2 on 127.0.0.1, through the
//! embedded console with `VOICEFLEET_EC2=1`. Run only inside `unshare -n` with loopback up (as
//! scripts/test does); the customer's endpoint is a loopback address, never an instance's.

use std::path::Path;

use voicefleet_core::customer::CustomerId;
use voicefleet_core::instances::ec2::{Ec2Options, Ec2Provider, StaticCredentials};
use voicefleet_core::instances::{InstanceAction, InstanceProvider as _, LaunchSpec};
use voicefleet_tests::drill::voicefleet;
use voicefleet_tests::moto::Moto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_instances_through_the_cli() {
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    // The instances the cloud has: acme's host, and one tagged for a customer the console lacks.
    let ec2 = Ec2Provider::connect(Ec2Options {
        region: Some("us-east-1".to_owned()),
        endpoint: Some(endpoint.parse().unwrap()),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
        }),
        ..Ec2Options::default()
    })
    .await
    .unwrap();
    let spec = LaunchSpec {
        image_id: Some("ami-12c6146b".to_owned()),
        instance_type: Some("t3.medium".to_owned()),
        ..LaunchSpec::default()
    };
    let acme = ec2.launch(&CustomerId::parse("acme").unwrap(), &spec, "").await.unwrap();
    ec2.launch(&CustomerId::parse("stray").unwrap(), &spec, "").await.unwrap();

    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let mut env = vec![
        ("VOICEFLEET_DATA", data.to_str().unwrap()),
        ("VOICEFLEET_EC2", "1"),
        ("VOICEFLEET_EC2_ENDPOINT", endpoint.as_str()),
    ];
    env.extend(voicefleet_tests::moto::ENV);
    let binary = Path::new(env!("CARGO_BIN_EXE_voicefleet"));
    let cli =
        |args: &[&str], stdin: &str| tokio::task::block_in_place(|| voicefleet(binary, args, &env, stdin));
    // Its host agent would be on loopback; nothing answers there (a drain finds nothing to drain).
    let added =
        cli(&["customers", "add", "acme", "--name", "Acme Dental", "--endpoint", "http://127.0.0.1:9"], "");
    assert_eq!(added.code, 0, "{}", added.stderr);

    let synced = cli(&["instances", "sync", "-o", "json"], "");
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    let report: serde_json::Value = serde_json::from_str(&synced.stdout).unwrap();
    assert_eq!(report["provider"], "ec2 us-east-1", "{report}");
    assert_eq!(report["linked"][0]["customer_id"], "acme", "{report}");
    assert_eq!(report["linked"][0]["id"], acme.id.as_str(), "{report}");
    assert_eq!(report["linked"][0]["endpoint"], "http://127.0.0.1:9/", "{report}");
    assert_eq!(report["without_customer"][0]["customer_tag"], "stray", "{report}");

    let listed = cli(&["instances", "list"], "");
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains(&acme.id) && listed.stdout.contains("running"), "{}", listed.stdout);
    assert!(listed.stderr.contains("tagged for no known customer"), "{}", listed.stderr);

    let stopped = cli(&["instances", "stop", "acme"], "");
    assert_eq!(stopped.code, 0, "{}", stopped.stderr);
    assert_eq!(stopped.stdout.trim(), format!("acme: instance {} is stopped (t3.medium)", acme.id));
    let status = cli(&["status"], "");
    assert!(
        status.stdout.contains("INSTANCE") && status.stdout.contains(&format!("{} stopped", acme.id)),
        "{}",
        status.stdout
    );

    let resized = cli(&["instances", "resize", "acme", "t3.large"], "");
    assert_eq!(resized.code, 0, "{}", resized.stderr);
    assert_eq!(resized.stdout.trim(), format!("acme: instance {} is running (t3.large)", acme.id));

    // Terminate: the customer's name typed to confirm, else nothing happens.
    let refused = cli(&["instances", "terminate", "acme"], "");
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("--confirm \"Acme Dental\""), "{}", refused.stderr);
    let wrong = cli(&["instances", "terminate", "acme", "--confirm", "Acme"], "");
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("nothing changed"), "{}", wrong.stderr);
    assert_eq!(ec2.instance(&acme.id).await.unwrap().state.as_str(), "running");
    let terminated = cli(&["instances", "terminate", "acme", "--confirm", "Acme Dental"], "");
    assert_eq!(terminated.code, 0, "{}", terminated.stderr);
    assert_eq!(ec2.instance(&acme.id).await.unwrap().state.as_str(), "terminated");
    drop(moto);
}

/// `voicefleet customers onboard` against moto: the instance is moto's record; the host agent
/// it would run is started on loopback by the test from the user data moto holds for it (the
/// files cloud-init would write, rendered from the shipped template), at the endpoint given
/// explicitly. Onboarding finishes when the agent runs there, with the revision and secrets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_onboarding_launches_a_host_and_brings_it_to_a_running_agent() {
    use voicefleet_tests::cloud_init::{CloudInitHost, free_port};
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let mut env = vec![
        ("VOICEFLEET_DATA", data.to_str().unwrap()),
        ("VOICEFLEET_EC2", "1"),
        ("VOICEFLEET_EC2_ENDPOINT", endpoint.as_str()),
    ];
    env.extend(voicefleet_tests::moto::ENV);
    let binary = Path::new(env!("CARGO_BIN_EXE_voicefleet"));
    let cli =
        |args: &[&str], stdin: &str| tokio::task::block_in_place(|| voicefleet(binary, args, &env, stdin));
    let port = free_port();
    let host_url = format!("https://127.0.0.1:{port}");
    // The customer first, with its secrets; its first configuration comes with onboarding.
    let added = cli(&["customers", "add", "acme", "--name", "Acme Dental", "--endpoint", &host_url], "");
    assert_eq!(added.code, 0, "{}", added.stderr);
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        let set = cli(&["secrets", "set", "acme", name], &format!("sk-{name}\n"));
        assert_eq!(set.code, 0, "{}", set.stderr);
    }
    let config = dir.path().join("acme.json");
    let document = voicefleet_tests::hosts::simulated_config(serde_json::json!({"ready_delay_ms": 20}));
    std::fs::write(&config, document.to_json_pretty()).unwrap();
    let package = "https://packages.example.com/voicefleet-agent_0.1.0-1_amd64.deb";
    let onboard: Vec<&str> = vec![
        "customers",
        "onboard",
        "acme",
        "--package-url",
        package,
        "--endpoint",
        &host_url,
        "--config",
        config.to_str().unwrap(),
        "--timeout",
        "60s",
    ];

    // Bad input: no image, or no type: refused before anything is launched.
    let refused = cli(&[&onboard[..], &["--instance-type", "t3.medium"]].concat(), "");
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("--image ami-"), "{}", refused.stderr);
    assert!(moto.instances_of("acme", "running").is_empty());

    // Onboarding runs; the test plays the instance: once moto has it, its user data sets up the
    // host agent on loopback.
    let args: Vec<String> = [&onboard[..], &["--image", "ami-12c6146b", "--instance-type", "t3.medium"]]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let env_owned: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let onboarding = std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env_owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        voicefleet(binary, &args, &env, "")
    });
    let mut launched = Vec::new();
    assert!(
        voicefleet_tests::wait_until(std::time::Duration::from_secs(30), || {
            launched = moto.instances_of("acme", "running");
            !launched.is_empty()
        }),
        "no instance was launched for acme"
    );
    let user_data = moto.user_data(&launched[0]).expect("the instance's user data");
    assert!(user_data.starts_with("#cloud-config\n"), "{user_data}");
    assert!(user_data.contains(package), "{user_data}");
    let host = CloudInitHost::start(&user_data, port);
    let done = tokio::task::block_in_place(|| onboarding.join().unwrap());
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    for step in ["launched", "registered", "revision", "answered", "deployed", "running"] {
        assert!(done.stderr.contains(&format!("acme: {step}")), "{step}: {}", done.stderr);
    }
    assert_eq!(
        done.stdout.trim(),
        format!("acme: onboarded on instance {} (t3.medium), revision 1 running at {host_url}/", launched[0])
    );

    // The console pinned the certificate the host serves: the one in its user data.
    let cert = host.file("/etc/voicefleet-agent/tls/host.crt").unwrap();
    let cert_path = dir.path().join("host.crt");
    std::fs::write(&cert_path, cert).unwrap();
    let fingerprint = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in", cert_path.to_str().unwrap()])
        .output()
        .unwrap();
    let fingerprint = String::from_utf8(fingerprint.stdout).unwrap();
    let expected = fingerprint.trim().rsplit('=').next().unwrap().replace(':', "").to_lowercase();
    let shown = cli(&["customers", "show", "acme", "-o", "json"], "");
    let shown: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(shown["trust"]["pin_sha256"], format!("sha256:{expected}"), "{shown}");
    // The host has the secrets and runs revision 1.
    let secrets = std::fs::read_to_string(host.state_dir().join("secrets.json")).unwrap();
    assert!(secrets.contains("sk-openai_api_key") && secrets.contains("elevenlabs_api_key"), "secrets");
    let status = cli(&["status"], "");
    assert!(status.stdout.contains("running") && status.stdout.contains(&launched[0]), "{}", status.stdout);

    // The launch spec was recorded (without showing the user data), and can be changed.
    let spec = cli(&["instances", "launch-spec", "show", "acme", "-o", "json"], "");
    let spec: serde_json::Value = serde_json::from_str(&spec.stdout).unwrap();
    assert_eq!(
        (spec["image_id"].as_str(), spec["instance_type"].as_str()),
        (Some("ami-12c6146b"), Some("t3.medium"))
    );
    assert!(spec.get("user_data").is_none(), "{spec}");
    // The host's key is in the user data (moto has it), never in what the CLI shows, nor in clear
    // in the console's database files: the store keeps the user data sealed.
    assert!(user_data.contains("PRIVATE KEY"), "{user_data}");
    let shown = cli(&["instances", "launch-spec", "show", "acme"], "");
    assert!(shown.code == 0 && !shown.stdout.contains("PRIVATE KEY"), "{}", shown.stdout);
    for file in ["console.db", "console.db-wal"] {
        let bytes = std::fs::read(data.join(file)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("PRIVATE KEY") && !text.contains("#cloud-config"),
            "{file} holds the user data"
        );
    }
    let bad = cli(&["instances", "launch-spec", "set", "acme", "--image", "ami-2"], "");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let set = cli(
        &["instances", "launch-spec", "set", "acme", "--image", "ami-2", "--instance-type", "t3.large"],
        "",
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(set.stdout.contains("instance type    t3.large"), "{}", set.stdout);
    // Recovery: off until set; the fleet's settings and a customer's own.
    let shown = cli(&["instances", "recovery", "show"], "");
    assert!(shown.stdout.contains("fleet  off"), "{}", shown.stdout);
    let on = cli(&["instances", "recovery", "set", "--enabled", "true", "--window", "10m"], "");
    assert_eq!(on.code, 0, "{}", on.stderr);
    let acme = cli(
        &["instances", "recovery", "set", "--customer", "acme", "--unreachable-after", "5m", "-o", "json"],
        "",
    );
    let acme: serde_json::Value = serde_json::from_str(&acme.stdout).unwrap();
    assert_eq!(acme["fleet"]["window_seconds"], 600, "{acme}");
    assert_eq!(acme["customers"]["acme"]["unreachable_after_seconds"], 300, "{acme}");
    let shown = cli(&["instances", "recovery", "show"], "");
    assert!(shown.stdout.contains("acme   on        300s"), "{}", shown.stdout);

    // Once onboarded, again: refused, nothing launched.
    let again =
        cli(&[&onboard[..], &["--image", "ami-12c6146b", "--instance-type", "t3.medium"]].concat(), "");
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains(&format!("already has instance {}", launched[0])), "{}", again.stderr);
    assert_eq!(moto.instances_of("acme", "running"), launched);
    drop(host);
    drop(moto);
}

/// `voicefleet console serve` runs recovery on its own: a customer whose host does not answer
/// and whose moto instance is stopped has it started within `unreachable_after` and a few
/// `--recovery-interval`s, once (stopped again within the window, it stays stopped), audited
/// under the console's recovery actor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_console_serve_starts_a_stopped_instance_once() {
    use std::time::{Duration, Instant};
    use voicefleet_tests::drill::{ConsoleProcess, Operator, login};
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    let ec2 = Ec2Provider::connect(Ec2Options {
        region: Some("us-east-1".to_owned()),
        endpoint: Some(endpoint.parse().unwrap()),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
        }),
        ..Ec2Options::default()
    })
    .await
    .unwrap();
    let spec = LaunchSpec {
        image_id: Some("ami-12c6146b".to_owned()),
        instance_type: Some("t3.medium".to_owned()),
        ..LaunchSpec::default()
    };
    let acme = ec2.launch(&CustomerId::parse("acme").unwrap(), &spec, "").await.unwrap();
    ec2.act(&acme.id, &InstanceAction::Stop).await.unwrap();
    let state = |ec2: &Ec2Provider| {
        let id = acme.id.clone();
        let ec2 = ec2.clone();
        async move { ec2.instance(&id).await.unwrap().state.as_str().to_owned() }
    };
    assert_eq!(state(&ec2).await, "stopped");

    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let mut env = vec![("VOICEFLEET_EC2", "1"), ("VOICEFLEET_EC2_ENDPOINT", endpoint.as_str())];
    env.extend(voicefleet_tests::moto::ENV);
    let binary = Path::new(env!("CARGO_BIN_EXE_voicefleet"));
    // A bad interval is refused before anything is created.
    for bad in ["0", "2h", "soon"] {
        let data_arg = data.to_str().unwrap();
        let args =
            ["--data", data_arg, "console", "serve", "--listen", "127.0.0.1:0", "--recovery-interval", bad];
        let refused = tokio::task::block_in_place(|| voicefleet(binary, &args, &env, ""));
        assert_eq!(refused.code, 2, "{bad}: {}", refused.stderr);
        assert!(refused.stderr.contains(&format!("--recovery-interval {bad}")), "{}", refused.stderr);
        assert!(refused.stderr.contains("give 1 to 3600 seconds"), "{}", refused.stderr);
        assert!(!data.exists(), "a refused start creates nothing");
    }

    let interval = Duration::from_secs(1);
    let console = ConsoleProcess::start(binary, &data, &env, &["--recovery-interval", "1"]);
    let token = login(&console.url).await;
    let operator = Operator { binary, url: console.url.clone(), token, env: &env };
    // Its host agent would be on loopback; nothing answers there.
    operator.ok(&["customers", "add", "acme", "--endpoint", "http://127.0.0.1:9"]);
    operator.ok(&["instances", "sync"]);
    let turned_on = Instant::now();
    operator.ok(&["instances", "recovery", "set", "--enabled", "true", "--unreachable-after", "30s"]);

    // Unreachable for 30 s (seen by the first pass after the setting), then the next pass acts.
    let deadline = turned_on + Duration::from_secs(30) + 10 * interval;
    while state(&ec2).await != "running" {
        assert!(Instant::now() < deadline, "the console did not start the instance within {deadline:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = turned_on.elapsed();
    assert!(took >= Duration::from_secs(29), "acted before unreachable-after: {took:?}");

    // Once per window: stopped again, it stays stopped for several more intervals.
    ec2.act(&acme.id, &InstanceAction::Stop).await.unwrap();
    let watched = Instant::now();
    while watched.elapsed() < 5 * interval {
        assert_eq!(state(&ec2).await, "stopped", "acted twice in one window");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let audit = operator.json(&["audit", "list", "--action", "instance.recover.", "--customer", "acme"]);
    let entries: Vec<_> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap(), e["outcome"].as_str().unwrap())
        })
        .collect();
    assert_eq!(entries, [("instance.recover.start", "console (recovery)", "ok")], "{audit}");
    let alerts = operator.json(&["alerts"]);
    assert!(alerts.to_string().contains(&format!("started instance {} (stopped", acme.id)), "{alerts}");
    console.stop();
    drop(moto);
}
