//! The live path end to end: a real voice agent killed with SIGKILL, its host agent's event
//! stream, the console's subscription, and the console's own SSE — with polling set to an hour,
//! so only the live path can tell.

use std::time::Duration;

use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, Fleet, FleetEvent, Selector};
use voicefleet_tests::live::{LiveConsole, back_running, kill9};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_reaches_the_console_stream_and_cache_before_any_poll() {
    let live = LiveConsole::start("acme", Duration::from_secs(3600)).await;
    let mut events = live.client.fleet_events();
    live.wait_until_live(&mut events, 5).await;
    let before = live.agent_status().await;
    let old = before.pid.unwrap();

    kill9(old);
    let (event, passed) = back_running(&mut events, "acme", old, Duration::from_secs(5)).await;
    let FleetEvent::StatusChanged { exit, restarts, pid, .. } = &event else { unreachable!() };
    assert_eq!(exit.and_then(|e| e.signal), Some(9), "{event:?}");
    assert_eq!(*restarts, Some(before.restarts + 1));
    // The change away from running came first, with the exit.
    assert!(
        passed.iter().any(|e| matches!(e, FleetEvent::StatusChanged { from, exit: Some(x), .. }
            if from == "running" && x.signal == Some(9))),
        "{passed:?}"
    );

    // The cache is as new as the event: no poll needed to see the new process.
    let console = &live.server.embedded().console;
    let (cached, _) = console.cached_status("acme").unwrap();
    assert_eq!((cached.state.as_str(), cached.pid), ("running", *pid));
    let admin = Actor::new("t", Role::Viewer);
    let dashboard = console.status_cached(&admin, &Selector::All, Duration::from_secs(3600)).await.unwrap();
    assert_eq!(dashboard[0].status.as_ref().unwrap().pid, *pid);
    live.shutdown().await;
}
