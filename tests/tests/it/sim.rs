//! The host-fleet simulator under the console's live path: real host routers on loopback ports,
//! real tokens, real SSE; and the host event stream's ids, replay and gaps.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, Fleet, FleetEvent, LiveOptions, NewCustomer};
use voicefleet_core::host::Host as _;
use voicefleet_http::{AgentClient, AgentClientOptions, HostTokenSigner, TokenSource};
use voicefleet_tests::events::next_event;
use voicefleet_tests::sim::SimFleet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_hears_each_simulated_crash_at_once() {
    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::load_or_create(dir.path()).unwrap();
    let fleet = SimFleet::start(40, "sim", signer.public_pem()).await.unwrap();
    let console = crate::console(dir.path(), &signer, Duration::from_secs(2));
    let admin = Actor::new("t", Role::Admin);
    for served in &fleet.hosts {
        let customer = NewCustomer {
            id: served.customer_id.clone(),
            name: String::new(),
            endpoint: served.endpoint.clone(),
            tags: Vec::new(),
            trust: Default::default(),
        };
        console.add_customer(&admin, customer).await.unwrap();
    }
    let mut events = console.fleet_events();
    let live = console.spawn_live(LiveOptions::default().open_batch(8));
    // Every host's stream opens (bounded: 40 hosts, 10 s).
    let started = Instant::now();
    while fleet.streamed() < fleet.hosts.len() {
        assert!(started.elapsed() < Duration::from_secs(10), "{} of 40 streams", fleet.streamed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The first pass is not needed for events to flow; crash three hosts, each seen.
    for index in [3, 17, 39] {
        let served = &fleet.hosts[index];
        let pid = served.host.crash();
        let (event, _) = next_event(&mut events, Duration::from_secs(5), "the crash's status_changed", |e| {
            matches!(e, FleetEvent::StatusChanged { customer_id, to, .. }
                if *customer_id == served.customer_id && to == "running")
        })
        .await;
        let FleetEvent::StatusChanged { exit, restarts, pid: seen, .. } = event else { unreachable!() };
        assert_eq!((seen, restarts, exit.and_then(|e| e.signal)), (Some(pid), Some(1), Some(9)));
        let (cached, _) = console.cached_status(&served.customer_id).unwrap();
        assert_eq!(cached.pid, Some(pid));
    }
    live.abort();
    fleet.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_hosts_check_tokens_and_their_streams_replay_or_report_gaps() {
    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::load_or_create(dir.path()).unwrap();
    let fleet = SimFleet::start(2, "tok", signer.public_pem()).await.unwrap();
    let (one, two) = (&fleet.hosts[0], &fleet.hosts[1]);

    // A token for another customer is refused; its own is accepted.
    let wrong = signer.host_token(&two.customer_id);
    let client =
        AgentClient::new(&one.endpoint, TokenSource::Static(wrong), AgentClientOptions::default()).unwrap();
    assert_eq!(client.status().await.unwrap_err().kind(), voicefleet_core::ErrorKind::Forbidden);
    let token = signer.host_token(&one.customer_id);
    let client =
        AgentClient::new(&one.endpoint, TokenSource::Static(token.clone()), AgentClientOptions::default())
            .unwrap();
    assert_eq!(client.status().await.unwrap().state, "running");

    let http = reqwest::Client::new();
    let open = |last: Option<String>| {
        let mut request = http.get(format!("{}/v1/events", one.endpoint)).bearer_auth(&token);
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        request.send()
    };
    // Events carry ids: read the crash's three, remember the first one's id.
    let response = open(None).await.unwrap();
    let mut stream = Box::pin(voicefleet_tests::sse_events(response));
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap();
    assert_eq!(first.0, "open");
    one.host.crash();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap());
    }
    assert_eq!(
        seen.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["exited", "state_changed", "state_changed"]
    );
    drop(stream);

    // Two more crashes while away; back with the first id: the eight after it, in order.
    one.host.crash();
    one.host.crash();
    let mut stream = Box::pin(voicefleet_tests::sse_events(open(Some(seen[0].1.clone())).await.unwrap()));
    let mut replay = Vec::new();
    for _ in 0..9 {
        replay.push(tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap());
    }
    assert_eq!(replay[0].0, "open");
    assert_eq!(replay[1].1, seen[1].1);
    assert_eq!(replay[2].1, seen[2].1);
    let names: Vec<&str> = replay[3..].iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        names,
        ["exited", "state_changed", "state_changed", "exited", "state_changed", "state_changed"]
    );
    let numbers: Vec<u64> =
        replay[1..].iter().map(|e| e.1.rsplit('-').next().unwrap().parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
    drop(stream);

    // An id from another host agent's life: a gap of unknown size, said so.
    let mut stream = Box::pin(voicefleet_tests::sse_events(open(Some("feedbeef-3".into())).await.unwrap()));
    let _open = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap();
    let gap = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap();
    assert_eq!(gap.0, "lagged");
    assert!(gap.2.contains("\"missed\":null"), "{}", gap.2);
    fleet.shutdown();
}
