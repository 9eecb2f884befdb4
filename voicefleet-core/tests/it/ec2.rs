//! The EC2 provider (feature `aws`) against moto's EC2 emulator on 127.0.0.1, and against
//! wiremock for what moto cannot show (throttling, a missing permission). Run only inside a
//! network namespace of its own, loopback up, so no other address can be reached:
//!
//!   unshare -n sh -c 'ip link set lo up && cargo test -p voicefleet-core --features aws --test it ec2_'
//!
//! Every endpoint a customer has here is set explicitly to a loopback address: no test ever
//! derives one from (or connects to) an emulated instance's private address.

use std::time::Duration;

use voicefleet_core::ErrorKind;
use voicefleet_core::customer::CustomerId;
use voicefleet_core::instances::ec2::{Ec2Options, Ec2Provider, StaticCredentials};
use voicefleet_core::instances::{
    Backoff, EndpointSource, InstanceAction, InstanceProvider, InstanceState, LaunchSpec, MappedCustomer,
    MappingOptions, ResizeOptions, StatusCheck, map_instances, resize,
};
use voicefleet_tests::moto::{Moto, assert_isolated};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const QUICK: Backoff =
    Backoff { base: Duration::from_millis(1), max_delay: Duration::from_millis(5), max_attempts: 3 };

async fn provider(endpoint: &str, page_size: Option<i32>) -> Ec2Provider {
    Ec2Provider::connect(Ec2Options {
        region: Some("us-east-1".to_owned()),
        endpoint: Some(endpoint.parse().unwrap()),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
        }),
        backoff: QUICK,
        page_size,
    })
    .await
    .unwrap()
}

fn spec() -> LaunchSpec {
    LaunchSpec {
        image_id: Some("ami-12c6146b".to_owned()),
        instance_type: Some("t3.medium".to_owned()),
        ..LaunchSpec::default()
    }
}

fn id(text: &str) -> CustomerId {
    CustomerId::parse(text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_discovery_reads_every_page_and_maps_instances_onto_customers() {
    let moto = Moto::start();
    // Five instances a page: thirteen instances are three pages.
    let ec2 = provider(&moto.endpoint(), Some(5)).await;
    assert_eq!(ec2.describe(), "ec2 us-east-1");
    let mut launched = Vec::new();
    for n in 0..12 {
        launched
            .push(ec2.launch(&id(&format!("customer-{n:02}")), &spec(), "#cloud-config\n").await.unwrap());
    }
    let stranger = ec2.launch(&id("not-ours"), &spec(), "").await.unwrap();
    assert_eq!(launched[0].customer_tag.as_deref(), Some("customer-00"));

    let mut found = ec2.discover().await.unwrap();
    assert_eq!(found.len(), 13, "every page read: {:?}", found.iter().map(|i| &i.id).collect::<Vec<_>>());
    found.sort_by(|a, b| a.customer_tag.cmp(&b.customer_tag));
    let first = &found[0];
    assert_eq!(first.id, launched[0].id);
    assert_eq!((first.state, first.instance_type.as_str()), (InstanceState::Running, "t3.medium"));
    assert!(first.private_address.is_some(), "{first:?}");
    assert!(first.availability_zone.as_deref().is_some_and(|az| az.starts_with("us-east-1")), "{first:?}");
    assert!(first.launched_at_ms.is_some_and(|ms| ms > 1_700_000_000_000), "{first:?}");
    assert_eq!((first.system_status, first.instance_status), (StatusCheck::Ok, StatusCheck::Ok));

    // The console's customers: twelve with a host (endpoints set to loopback), one without.
    let mut customers: Vec<MappedCustomer> = (0..12)
        .map(|n| MappedCustomer {
            id: id(&format!("customer-{n:02}")),
            endpoint: Some(format!("http://127.0.0.1:{}", 18000 + n).parse().unwrap()),
        })
        .collect();
    customers
        .push(MappedCustomer { id: id("no-host"), endpoint: Some("http://127.0.0.1:1".parse().unwrap()) });
    let mapping = map_instances(&customers, found, MappingOptions::default());
    assert_eq!(mapping.linked.len(), 12);
    assert!(mapping.linked.iter().all(|l| l.endpoint_source == EndpointSource::Set));
    assert_eq!(mapping.linked[3].instance.id, launched[3].id);
    assert_eq!(mapping.without_customer.iter().map(|i| &i.id).collect::<Vec<_>>(), [&stranger.id]);
    assert_eq!(mapping.customers_without_instance, [id("no-host")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_start_stop_reboot_resize_and_terminate() {
    let moto = Moto::start();
    let ec2 = provider(&moto.endpoint(), None).await;
    let host = ec2.launch(&id("acme"), &spec(), "#cloud-config\n").await.unwrap();
    let state = async |ec2: &Ec2Provider| ec2.instance(&host.id).await.unwrap().state;

    ec2.act(&host.id, &InstanceAction::Stop).await.unwrap();
    assert_eq!(state(&ec2).await, InstanceState::Stopped);
    let stopped = ec2.instance(&host.id).await.unwrap();
    assert_eq!(
        (stopped.system_status, stopped.instance_status),
        (StatusCheck::NotApplicable, StatusCheck::NotApplicable)
    );
    ec2.act(&host.id, &InstanceAction::Start).await.unwrap();
    assert_eq!(state(&ec2).await, InstanceState::Running);
    ec2.act(&host.id, &InstanceAction::Reboot).await.unwrap();
    assert_eq!(state(&ec2).await, InstanceState::Running);

    let options =
        ResizeOptions { poll_interval: Duration::from_millis(50), timeout: Duration::from_secs(30) };
    let resized = resize(&ec2, &host.id, "t3.large", options).await.unwrap();
    assert_eq!((resized.state, resized.instance_type.as_str()), (InstanceState::Running, "t3.large"));
    assert_eq!(ec2.instance(&host.id).await.unwrap().instance_type, "t3.large");

    ec2.act(&host.id, &InstanceAction::Terminate).await.unwrap();
    assert_eq!(state(&ec2).await, InstanceState::Terminated);
    let listed = ec2.discover().await.unwrap();
    assert_eq!(
        listed.iter().map(|i| (i.id.as_str(), i.state)).collect::<Vec<_>>(),
        [(host.id.as_str(), InstanceState::Terminated)]
    );

    // An id EC2 does not know, and a launch spec that cannot launch: clear errors.
    let missing = ec2.instance("i-0123456789abcdef0").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert!(missing.to_string().contains("i-0123456789abcdef0"), "{missing}");
    let error = ec2.act("i-0123456789abcdef0", &InstanceAction::Start).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    let error = ec2.launch(&id("acme"), &LaunchSpec::default(), "").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
}

const THROTTLED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
    <Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>\
    <RequestID>req-1</RequestID></Response>";
const UNAUTHORIZED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
    <Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. \
    Encoded authorization failure message: AbCdEf0123</Message></Error></Errors>\
    <RequestID>req-2</RequestID></Response>";
const NO_INSTANCES: &str = "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
    <requestId>req-3</requestId><reservationSet/></DescribeInstancesResponse>";

fn xml(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("content-type", "text/xml").set_body_string(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_throttling_is_retried_with_backoff_until_the_attempts_are_spent() {
    assert_isolated();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(xml(503, THROTTLED))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=DescribeInstances&"))
        .respond_with(xml(200, NO_INSTANCES))
        .with_priority(5)
        .mount(&server)
        .await;
    let ec2 = provider(&server.uri(), None).await;
    assert!(ec2.discover().await.unwrap().is_empty());
    assert_eq!(server.received_requests().await.unwrap().len(), 3, "two throttled, then the answer");

    // Throttled every time: three attempts, then an error that says so.
    server.reset().await;
    Mock::given(method("POST")).respond_with(xml(503, THROTTLED)).mount(&server).await;
    let error = ec2.discover().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    let message = error.to_string();
    assert!(message.contains("RequestLimitExceeded") && message.contains("after 3 attempts"), "{message}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_a_missing_permission_names_the_iam_action_and_is_not_retried() {
    assert_isolated();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(xml(403, UNAUTHORIZED)).mount(&server).await;
    let ec2 = provider(&server.uri(), None).await;
    let error = ec2.act("i-0123456789abcdef0", &InstanceAction::Stop).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("ec2:StopInstances"), "{message}");
    assert!(message.contains("not authorized") && !message.contains("AbCdEf0123"), "{message}");
    assert!(error.hint().unwrap().starts_with("grant ec2:StopInstances"), "{:?}", error.hint());
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "a refusal is not retried");
}

#[derive(Debug)]
struct TestClock(std::sync::atomic::AtomicU64);

impl voicefleet_core::clock::Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Onboarding through the console against moto, then a terminated host: replaced from the
/// recorded launch spec exactly once per window, and the customer's revision and secrets
/// restored onto the new host (on loopback, started by the test from the replacement's user
/// data) exactly once, once it answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_a_terminated_host_is_replaced_once_and_restored() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use voicefleet_core::auth::Role;
    use voicefleet_core::console::{
        Actor, Console, ConsoleOptions, Fleet, NewCustomer, Onboarding, SecretBox, SqliteStore,
    };
    use voicefleet_core::instances::{RecoveryAction, RecoveryPolicy};
    use voicefleet_tests::cloud_init::{CloudInitHost, free_port};
    use voicefleet_tests::hosts::HostTokenSigner;

    let moto = Moto::start();
    let ec2 = Arc::new(provider(&moto.endpoint(), None).await);
    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::generate().unwrap();
    let start =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let clock = Arc::new(TestClock(start.into()));
    let options = ConsoleOptions::default()
        .host_timeout(Duration::from_secs(2))
        .health_poll(Duration::from_millis(100))
        .clock(clock.clone())
        .host_public_key_pem(signer.public_pem());
    let store = Arc::new(SqliteStore::open(&dir.path().join("console.db")).unwrap());
    let console =
        Console::new(store, voicefleet_tests::hosts::connector(&signer), SecretBox::new(&[7; 32]), options);
    assert!(console.set_instance_provider(ec2.clone()));
    let admin = Actor::new("admin", Role::Admin);
    let port = free_port();
    let endpoint = format!("https://127.0.0.1:{port}");
    let customer = NewCustomer {
        id: "acme".to_owned(),
        name: "Acme Dental".to_owned(),
        endpoint: endpoint.clone(),
        tags: vec![],
        trust: Default::default(),
    };
    console.add_customer(&admin, customer).await.unwrap();
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        console.set_secret(&admin, "acme", name, &format!("sk-{name}")).await.unwrap();
    }
    let request = Onboarding {
        customer_id: "acme".to_owned(),
        name: String::new(),
        tags: vec![],
        spec: spec(),
        package_url: "https://packages.example.com/voicefleet-agent.deb".to_owned(),
        endpoint: Some(endpoint.clone()),
        config: Some(
            voicefleet_tests::hosts::simulated_config(serde_json::json!({"ready_delay_ms": 20})).into_value(),
        ),
        timeout: Duration::from_secs(60),
    };
    let onboarding = {
        let console = console.clone();
        let admin = admin.clone();
        tokio::spawn(async move { console.onboard(&admin, request, &|_| {}).await })
    };
    let mut first = Vec::new();
    assert!(voicefleet_tests::wait_until(Duration::from_secs(30), || {
        first = moto.instances_of("acme", "running");
        !first.is_empty()
    }));
    let user_data = moto.user_data(&first[0]).unwrap();
    let mut host = tokio::task::block_in_place(|| CloudInitHost::start(&user_data, port));
    let report = onboarding.await.unwrap().unwrap();
    assert_eq!((report.instance.id.as_str(), report.revision), (first[0].as_str(), 1));

    // The host goes away for good.
    tokio::task::block_in_place(|| host.stop());
    ec2.act(&first[0], &InstanceAction::Terminate).await.unwrap();
    let policy = RecoveryPolicy {
        enabled: true,
        unreachable_after: Duration::from_secs(120),
        window: Duration::from_secs(1800),
    };
    let minutes = |n: u64| clock.0.fetch_add(n * 60_000, Ordering::SeqCst);
    assert!(console.recover_instances(&admin, &policy).await.unwrap().is_empty(), "first seen down");
    minutes(2);
    let steps = console.recover_instances(&admin, &policy).await.unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!((steps[0].action, steps[0].error.as_deref()), (RecoveryAction::Replace, None));
    let replacement = steps[0].instance_id.clone().unwrap();
    assert_eq!(moto.instances_of("acme", "running"), std::slice::from_ref(&replacement));
    assert_eq!(moto.instances_of("acme", "terminated"), first);
    // Within the window, still down: nothing more.
    minutes(5);
    assert!(console.recover_instances(&admin, &policy).await.unwrap().is_empty());
    assert_eq!(moto.instances_of("acme", "running"), std::slice::from_ref(&replacement));

    // The replacement boots (the same user data: the same, pinned certificate), with nothing on it.
    let user_data = moto.user_data(&replacement).unwrap();
    let host = tokio::task::block_in_place(|| CloudInitHost::start(&user_data, port));
    assert!(!host.state_dir().join("secrets.json").exists());
    let steps = console.recover_instances(&admin, &policy).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| (s.action, s.instance_id.as_deref(), s.error.as_deref())).collect::<Vec<_>>(),
        [(RecoveryAction::Restore, Some(replacement.as_str()), None)]
    );
    let secrets = std::fs::read_to_string(host.state_dir().join("secrets.json")).unwrap();
    assert!(secrets.contains("sk-openai_api_key") && secrets.contains("sk-elevenlabs_api_key"), "secrets");
    let mut running = None;
    for _ in 0..100 {
        let status = console.status(&admin, &voicefleet_core::console::Selector::All).await.unwrap();
        if status[0].state == "running" {
            running = Some(status[0].running_revision);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(running, Some(Some(1)), "the agent runs revision 1 on the new host");
    // Restored once: later passes do nothing.
    minutes(60);
    assert!(console.recover_instances(&admin, &policy).await.unwrap().is_empty());
    let audit = console.store().audit(0, 1000).await.unwrap();
    let steps: Vec<_> = audit
        .iter()
        .filter(|e| e.action.starts_with("instance.recover."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(steps, ["instance.recover.replace", "instance.recover.restore"]);
    drop(host);
}
