//! `voicefleet instances` (feature `aws`) against moto's EC2 on 127.0.0.1, through the
//! embedded console with `VOICEFLEET_EC2=1`. Run only inside `unshare -n` with loopback up (as
//! scripts/test does); the customer's endpoint is a loopback address, never an instance's.

use std::path::Path;

use voicefleet_core::customer::CustomerId;
use voicefleet_core::instances::ec2::{Ec2Options, Ec2Provider, StaticCredentials};
use voicefleet_core::instances::{InstanceProvider as _, LaunchSpec};
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
