//! Onboarding over HTTP streams its steps: the client hears `launched` and `registered` while the
//! console still waits for the host agent, then the rest as they happen; a refusal comes back
//! as the error it is. The cloud is in memory; the host agent is started on loopback by the test
//! from the user data the cloud was given (as cloud-init would), at the endpoint given.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, Fleet, NewCustomer, OnboardProgress, Onboarding};
use voicefleet_core::instances::LaunchSpec;
use voicefleet_http::ConsoleClient;
use voicefleet_tests::cloud::FakeCloud;
use voicefleet_tests::cloud_init::{CloudInitHost, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_over_http_streams_each_step_as_it_is_done() {
    let dir = voicefleet_tests::scratch();
    let mut options = voicefleet_http::ServeOptions::new(dir.path().join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("correct horse battery staple".to_owned());
    options.host_timeout = Duration::from_millis(800);
    let server = voicefleet_http::ConsoleServer::start(options).await.unwrap();
    let cloud = Arc::new(FakeCloud::default());
    assert!(server.embedded().console.set_instance_provider(cloud.clone()));
    let url = format!("http://{}", server.local_addr());
    let anonymous = ConsoleClient::new(&url, None).unwrap();
    let token = anonymous.login("admin", "correct horse battery staple").await.unwrap().token;
    let admin = Arc::new(ConsoleClient::new(&url, Some(token)).unwrap());
    let actor = Actor::new("admin", Role::Admin);

    let port = free_port();
    let host_url = format!("https://127.0.0.1:{port}");
    let customer = NewCustomer {
        id: "acme".to_owned(),
        name: "Acme Dental".to_owned(),
        endpoint: host_url.clone(),
        tags: vec![],
        trust: Default::default(),
    };
    admin.add_customer(&actor, customer).await.unwrap();
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        admin.set_secret(&actor, "acme", name, "sk-test").await.unwrap();
    }
    let document = voicefleet_tests::hosts::simulated_config(serde_json::json!({"ready_delay_ms": 20}));
    let request = Onboarding {
        customer_id: "acme".to_owned(),
        name: String::new(),
        tags: vec![],
        spec: LaunchSpec {
            image_id: Some("ami-1".to_owned()),
            instance_type: Some("t3.medium".to_owned()),
            ..LaunchSpec::default()
        },
        package_url: "https://packages.example.com/voicefleet-agent.deb".to_owned(),
        endpoint: Some(host_url.clone()),
        config: Some(document.as_value()),
        timeout: Duration::from_secs(60),
    };

    // A refusal (no image) comes back as the error it is, and nothing is launched.
    let no_image = Onboarding {
        spec: LaunchSpec { instance_type: Some("t3.medium".to_owned()), ..LaunchSpec::default() },
        ..request.clone()
    };
    let error = admin.onboard(&actor, no_image, &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert_eq!(error.remedy(), Some(voicefleet_core::Remedy::GiveLaunchSpec), "{error:?}");
    assert!(cloud.launched().is_empty());

    let heard: Arc<Mutex<Vec<OnboardProgress>>> = Arc::default();
    let onboarding = {
        let (admin, heard, actor) = (admin.clone(), heard.clone(), actor.clone());
        tokio::spawn(async move {
            let progress = move |step: &OnboardProgress| heard.lock().unwrap().push(step.clone());
            admin.onboard(&actor, request, &progress).await
        })
    };
    // The host agent is not up: the console waits for it, and the client has already heard
    // the first two steps.
    let steps = |heard: &Mutex<Vec<OnboardProgress>>| {
        heard.lock().unwrap().iter().map(|s| s.step).collect::<Vec<_>>()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while steps(&heard) != ["launched", "registered", "revision"] {
        assert!(tokio::time::Instant::now() < deadline, "heard only {:?}", steps(&heard));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!onboarding.is_finished());
    let launched = cloud.launched();
    assert_eq!(launched.len(), 1, "{launched:?}");
    assert!(heard.lock().unwrap()[0].detail.contains(&launched[0].0), "{:?}", heard.lock().unwrap());

    // The instance "boots": its host agent comes up from the user data; onboarding finishes.
    let host = CloudInitHost::start(&launched[0].1, port);
    let report = tokio::time::timeout(Duration::from_secs(90), onboarding).await.unwrap().unwrap().unwrap();
    assert_eq!(steps(&heard), ["launched", "registered", "revision", "answered", "deployed", "running"]);
    assert_eq!(
        report.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
        ["launched", "registered", "revision", "answered", "deployed", "running"]
    );
    assert_eq!((report.revision, report.instance.id.as_str()), (1, launched[0].0.as_str()));
    let status =
        admin.status(&actor, &voicefleet_core::console::Selector::parse("acme").unwrap()).await.unwrap();
    assert_eq!(status[0].state, "running");
    drop(host);
    server.shutdown().await;
}
