//! Customer hosts as instances, without a cloud: the mapping of instances onto customers, the
//! recovery policy (table-tested), the backoff and resize over a fake provider.

use std::sync::Mutex;
use std::time::Duration;

use voicefleet_core::customer::CustomerId;
use voicefleet_core::instances::{
    EndpointSource, Hold, Instance, InstanceAction, InstanceProvider, InstanceState, LaunchSpec,
    MappedCustomer, MappingOptions, RecoveryAction, RecoveryDecision, RecoveryObservation, RecoveryPolicy,
    ResizeOptions, StatusCheck, decide, map_instances, resize,
};
use voicefleet_core::{Error, ErrorKind};

fn instance(id: &str, customer: Option<&str>, state: InstanceState, launched: u64) -> Instance {
    Instance {
        id: id.to_owned(),
        state,
        instance_type: "t3.medium".to_owned(),
        private_address: Some(format!("10.0.1.{}", launched % 250).parse().unwrap()),
        public_address: None,
        availability_zone: Some("us-east-1a".to_owned()),
        launched_at_ms: Some(launched),
        system_status: StatusCheck::Ok,
        instance_status: StatusCheck::Ok,
        customer_tag: customer.map(str::to_owned),
    }
}

fn customer(id: &str, endpoint: Option<&str>) -> MappedCustomer {
    MappedCustomer { id: CustomerId::parse(id).unwrap(), endpoint: endpoint.map(|e| e.parse().unwrap()) }
}

#[test]
fn instances_map_onto_customers() {
    use InstanceState::*;
    let customers = [
        customer("acme", None),
        customer("bravo", Some("http://127.0.0.1:18000")),
        customer("charlie", None),
        customer("delta", None),
    ];
    let instances = vec![
        instance("i-acme", Some("acme"), Running, 17),
        // bravo: the replacement (running, launched later) wins over the terminated one.
        instance("i-bravo-old", Some("bravo"), Terminated, 90),
        instance("i-bravo-new", Some("bravo"), Running, 20),
        // charlie: terminated only, so no endpoint to derive.
        instance("i-charlie", Some("charlie"), Terminated, 30),
        // tags naming no customer, or not a customer id at all.
        instance("i-stranger", Some("zulu"), Running, 40),
        instance("i-bad-tag", Some("Not An Id"), Running, 41),
    ];
    let mapping = map_instances(&customers, instances, MappingOptions { agent_port: 8443 });
    let linked: Vec<_> = mapping
        .linked
        .iter()
        .map(|l| {
            (
                l.customer.as_str(),
                l.instance.id.as_str(),
                l.endpoint.as_ref().map(|u| u.to_string()),
                l.endpoint_source,
            )
        })
        .collect();
    assert_eq!(
        linked,
        [
            ("acme", "i-acme", Some("https://10.0.1.17:8443/".to_owned()), EndpointSource::Derived),
            ("bravo", "i-bravo-new", Some("http://127.0.0.1:18000/".to_owned()), EndpointSource::Set),
            ("charlie", "i-charlie", None, EndpointSource::None),
        ]
    );
    let ids = |list: &[Instance]| list.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&mapping.without_customer), ["i-stranger", "i-bad-tag"]);
    assert_eq!(ids(&mapping.extra), ["i-bravo-old"]);
    assert_eq!(mapping.customers_without_instance, [CustomerId::parse("delta").unwrap()]);
}

#[test]
fn a_public_address_serves_when_there_is_no_private_one() {
    let mut only_public = instance("i-1", Some("acme"), InstanceState::Running, 1);
    only_public.private_address = None;
    only_public.public_address = Some("2001:db8::7".parse().unwrap());
    let mapping = map_instances(&[customer("acme", None)], vec![only_public], MappingOptions::default());
    assert_eq!(mapping.linked[0].endpoint.as_ref().unwrap().as_str(), "https://[2001:db8::7]:8000/");
}

const MINUTE: u64 = 60_000;

#[test]
fn recovery_decisions() {
    use InstanceState::*;
    use RecoveryAction::*;
    use RecoveryDecision::{Act, Hold as H};
    let policy = RecoveryPolicy {
        enabled: true,
        unreachable_after: Duration::from_secs(120),
        window: Duration::from_secs(1800),
    };
    let now = 100 * MINUTE;
    let impaired = |system, status| {
        let mut i = instance("i-1", Some("acme"), Running, 1);
        i.system_status = system;
        i.instance_status = status;
        i
    };
    // (enabled, unreachable for (min), instance state or none, (system, instance) checks, last recovery (min ago), expected)
    type Case =
        (bool, Option<u64>, Option<InstanceState>, (StatusCheck, StatusCheck), Option<u64>, RecoveryDecision);
    let ok = (StatusCheck::Ok, StatusCheck::Ok);
    let cases: &[Case] = &[
        (false, Some(60), Some(Stopped), ok, None, H(Hold::Disabled)),
        (true, None, Some(Stopped), ok, None, H(Hold::Reachable)),
        (true, Some(1), Some(Stopped), ok, None, H(Hold::NotYet)),
        (true, Some(2), Some(Stopped), ok, None, Act(Start)),
        (true, Some(5), Some(Terminated), ok, None, Act(Replace)),
        (true, Some(5), None, ok, None, Act(Replace)),
        (true, Some(5), Some(Running), (StatusCheck::Impaired, StatusCheck::Ok), None, Act(Reboot)),
        (true, Some(5), Some(Running), (StatusCheck::Ok, StatusCheck::Impaired), None, Act(Reboot)),
        (
            true,
            Some(5),
            Some(Running),
            (StatusCheck::Initializing, StatusCheck::Initializing),
            None,
            H(Hold::InstanceHealthy),
        ),
        (true, Some(5), Some(Running), ok, None, H(Hold::InstanceHealthy)),
        (true, Some(5), Some(Pending), ok, None, H(Hold::InTransition)),
        (true, Some(5), Some(Stopping), ok, None, H(Hold::InTransition)),
        (true, Some(5), Some(ShuttingDown), ok, None, H(Hold::InTransition)),
        (true, Some(5), Some(Unknown), ok, None, H(Hold::InTransition)),
        // At most one recovery per window: 29 minutes after the last one, nothing; 30, again.
        (true, Some(40), Some(Stopped), ok, Some(29), H(Hold::RecoveredRecently)),
        (true, Some(40), None, ok, Some(1), H(Hold::RecoveredRecently)),
        (true, Some(40), Some(Stopped), ok, Some(30), Act(Start)),
        // A reachable host after a recovery: nothing, whatever the window.
        (true, None, Some(Running), ok, Some(1), H(Hold::Reachable)),
    ];
    for (enabled, unreachable_for, state, (system, status), last_ago, expected) in cases {
        let subject = state.map(|state| {
            let mut i = impaired(*system, *status);
            i.state = state;
            i
        });
        let observation = RecoveryObservation {
            now_ms: now,
            unreachable_since_ms: unreachable_for.map(|m| now - m * MINUTE),
            instance: subject.as_ref(),
            last_recovery_ms: last_ago.map(|m| now - m * MINUTE),
        };
        let policy = RecoveryPolicy { enabled: *enabled, ..policy };
        assert_eq!(decide(&policy, &observation), *expected, "{observation:?}");
    }
    assert!(!RecoveryPolicy::default().enabled, "recovery is off by default");
}

/// A cloud in memory: actions change states at once; it records what it was asked.
#[derive(Debug)]
struct FakeCloud {
    instance: Mutex<Instance>,
    asked: Mutex<Vec<InstanceAction>>,
}

#[async_trait::async_trait]
impl InstanceProvider for FakeCloud {
    fn describe(&self) -> String {
        "fake".to_owned()
    }
    async fn discover(&self) -> voicefleet_core::Result<Vec<Instance>> {
        Ok(vec![self.instance.lock().unwrap().clone()])
    }
    async fn instance(&self, id: &str) -> voicefleet_core::Result<Instance> {
        let instance = self.instance.lock().unwrap().clone();
        if instance.id == id { Ok(instance) } else { Err(Error::InstanceNotFound { id: id.to_owned() }) }
    }
    async fn act(&self, _id: &str, action: &InstanceAction) -> voicefleet_core::Result<()> {
        self.asked.lock().unwrap().push(action.clone());
        let mut instance = self.instance.lock().unwrap();
        match action {
            InstanceAction::Start => instance.state = InstanceState::Running,
            InstanceAction::Stop => instance.state = InstanceState::Stopped,
            InstanceAction::Reboot => {}
            InstanceAction::Terminate => instance.state = InstanceState::Terminated,
            InstanceAction::SetType(new) if instance.state == InstanceState::Stopped => {
                instance.instance_type = new.clone();
            }
            InstanceAction::SetType(_) => return Err(Error::conflict("not stopped", None)),
        }
        Ok(())
    }
    async fn launch(&self, _: &CustomerId, _: &LaunchSpec, _: &str) -> voicefleet_core::Result<Instance> {
        unreachable!("resize launches nothing")
    }
}

fn cloud(state: InstanceState) -> FakeCloud {
    FakeCloud { instance: Mutex::new(instance("i-1", Some("acme"), state, 1)), asked: Mutex::new(Vec::new()) }
}

const QUICK: ResizeOptions =
    ResizeOptions { poll_interval: Duration::from_millis(1), timeout: Duration::from_secs(5) };

#[tokio::test]
async fn resize_stops_sets_the_type_and_starts() {
    use InstanceAction::*;
    for (state, expected) in [
        (InstanceState::Running, vec![Stop, SetType("t3.large".to_owned()), Start]),
        (InstanceState::Stopped, vec![SetType("t3.large".to_owned()), Start]),
    ] {
        let fake = cloud(state);
        let after = resize(&fake, "i-1", "t3.large", QUICK).await.unwrap();
        assert_eq!((after.state, after.instance_type.as_str()), (InstanceState::Running, "t3.large"));
        assert_eq!(*fake.asked.lock().unwrap(), expected, "from {state}");
    }
    // Already of that type: nothing asked.
    let fake = cloud(InstanceState::Running);
    resize(&fake, "i-1", "t3.medium", QUICK).await.unwrap();
    assert!(fake.asked.lock().unwrap().is_empty());
    // Terminated: a conflict that says what to do instead.
    let error = resize(&cloud(InstanceState::Terminated), "i-1", "t3.large", QUICK).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert!(error.hint().unwrap().contains("onboard"), "{:?}", error.hint());
    assert_eq!(
        resize(&cloud(InstanceState::Running), "i-2", "t3.large", QUICK).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        resize(&cloud(InstanceState::Running), "i-1", " ", QUICK).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn a_launch_spec_needs_an_image_and_a_type_or_a_template() {
    let image_and_type = LaunchSpec {
        image_id: Some("ami-1".to_owned()),
        instance_type: Some("t3.medium".to_owned()),
        ..LaunchSpec::default()
    };
    assert!(image_and_type.validate().is_ok());
    assert!(
        LaunchSpec { launch_template_id: Some("lt-1".to_owned()), ..LaunchSpec::default() }
            .validate()
            .is_ok()
    );
    let error =
        LaunchSpec { image_id: Some("ami-1".to_owned()), ..LaunchSpec::default() }.validate().unwrap_err();
    assert!(error.to_string().contains("an image and an instance type"), "{error}");
}

#[test]
fn a_permission_error_names_the_iam_action() {
    let error = Error::CloudPermission {
        action: "ec2:StopInstances".to_owned(),
        message: "You are not authorized to perform this operation".to_owned(),
    };
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.to_string().contains("ec2:StopInstances"), "{error}");
    assert!(error.hint().unwrap().starts_with("grant ec2:StopInstances"), "{:?}", error.hint());
}

#[test]
fn a_hosts_user_data_is_the_shipped_template_filled_in() {
    use voicefleet_core::instances::{HostUserData, render_host_user_data};
    let key = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAabc=\n-----END PUBLIC KEY-----\n";
    let acme = CustomerId::parse("acme").unwrap();
    let values = HostUserData {
        customer_id: &acme,
        package_url: "https://packages.example.com/voicefleet-agent_0.1.0-1_amd64.deb",
        console_public_key_pem: key,
        tls: None,
    };
    let rendered = render_host_user_data(&values).unwrap();
    assert!(rendered.starts_with("#cloud-config\n"), "{rendered}");
    assert!(!rendered.contains("${"), "every variable is filled in:\n{rendered}");
    assert!(rendered.contains("customer_id = \"acme\""), "{rendered}");
    assert!(
        rendered.contains("\"https://packages.example.com/voicefleet-agent_0.1.0-1_amd64.deb\""),
        "{rendered}"
    );
    assert!(
        rendered.contains(
            "      -----BEGIN PUBLIC KEY-----\n      MCowBQYDK2VwAyEAabc=\n      -----END PUBLIC KEY-----\n"
        ),
        "{rendered}"
    );
    assert!(rendered.contains("-subj /CN=acme "), "{rendered}");
    // With the console's TLS material, the host gets it instead of making its own.
    let tls = voicefleet_core::instances::self_signed("acme", 1_764_000_000_000, 825).unwrap();
    let with_tls = render_host_user_data(&HostUserData { tls: Some(&tls), ..values.clone() }).unwrap();
    let cert_body = tls.cert_pem.trim().lines().collect::<Vec<_>>().join("\n      ");
    assert!(with_tls.contains(&format!("content: |\n      {cert_body}\n")), "{with_tls}");
    assert!(with_tls.contains("      -----BEGIN PRIVATE KEY-----\n"), "{with_tls}");

    for (url, pem) in [
        ("http://packages.example.com/a.deb", key),
        ("https://packages.example.com/a b.deb", key),
        ("https://packages.example.com/a.deb", "not a key"),
    ] {
        let error = render_host_user_data(&HostUserData {
            package_url: url,
            console_public_key_pem: pem,
            ..values.clone()
        })
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{url}: {error}");
    }
}
