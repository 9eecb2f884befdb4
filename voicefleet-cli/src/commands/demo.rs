//! `voicefleet demo`: an embedded console and five host agents on loopback, each supervising the
//! simulated voice agent for a different customer, with a live status table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;
use voicefleet_agent::{Daemon, Settings};
use voicefleet_core::auth::Role;
use voicefleet_core::config::{PatchOperation, template};
use voicefleet_core::console::{
    Actor, BulkAction, BulkSpec, ControlAction, Fleet, HealthGate, Limit, NewCustomer, RevisionInput,
    RunOutcome, Selector,
};
use voicefleet_core::customer::CustomerId;
use voicefleet_core::host::{Host as _, StopOptions};
use voicefleet_core::supervisor::{ProcessIdentity, ShimCommand};
use voicefleet_http::{ConsoleServer, ServeOptions};

use crate::cli::{DemoArgs, Scenario};
use crate::commands::status::status_table;

/// The demo customers: id, display name, template, tier, simulator tempo.
const CUSTOMERS: [(&str, &str, &str, &str); 5] = [
    ("acme-dental", "Acme Dental", "openai-deepgram-elevenlabs", "prod"),
    ("globex-insurance", "Globex Insurance", "anthropic-assemblyai-cartesia", "prod"),
    ("initech-sales", "Initech Sales", "groq-deepgram-deepgram", "prod"),
    ("umbrella-clinic", "Umbrella Clinic", "default", "staging"),
    ("hooli-support", "Hooli Support", "openai-deepgram-elevenlabs", "staging"),
];

fn port_or_free(wanted: u16) -> anyhow::Result<(u16, bool)> {
    if std::net::TcpListener::bind(("127.0.0.1", wanted)).is_ok() {
        return Ok((wanted, true));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    Ok((port, false))
}

fn demo_config(
    index: usize,
    template_name: &str,
    program: &Path,
    user: Option<&str>,
) -> anyhow::Result<voicefleet_core::config::ConfigDocument> {
    let mut document = template(template_name)?;
    document.set("runtime.command", json!([program, "__simulate"]))?;
    document.unset("runtime.working_dir").ok();
    if let Some(user) = user {
        document.set("runtime.user", json!(user))?;
    }
    document.set("runtime.start_seconds", json!(3))?;
    // Each customer gets its own pace so the table moves differently per row.
    let interval = 900 + 350 * index as u64;
    document.set(
        "extensions.simulator",
        json!({"ready_delay_ms": 150, "call_interval_ms": interval, "call_duration_ms": 7000 + 1500 * index as u64,
               "turn_interval_ms": 700, "error_every_turns": 40 + 10 * index as u64}),
    )?;
    if template_name == "default" {
        document.set("agent_settings.llm.provider", json!("google"))?;
        document.set("agent_settings.llm.model", json!("gemini-2.5-flash"))?;
    }
    Ok(document)
}

/// The user the simulated agents run as when the demo runs as root.
const DEMO_AGENT_USER: &str = "nobody";

/// Whether every directory above `path` (and `path` itself) lets others pass (`o+x`).
fn others_can_reach(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.ancestors().all(|dir| {
        dir.as_os_str().is_empty()
            || std::fs::metadata(dir).is_ok_and(|meta| meta.permissions().mode() & 0o001 != 0)
    })
}

/// `runtime.user` for the demo's agents: [`DEMO_AGENT_USER`] when the demo runs as root and
/// that user can reach this program and the hosts' state directories (made passable here:
/// `DATA` and `DATA/hosts` 0711); else none, with the reason printed. A demo does not create
/// users; `nobody` exists on every Debian system.
fn demo_agent_user(program: &Path, data: &Path) -> Option<&'static str> {
    use std::os::unix::fs::PermissionsExt as _;
    if !nix::unistd::Uid::effective().is_root() {
        return None;
    }
    let reason = if nix::unistd::User::from_name(DEMO_AGENT_USER).ok().flatten().is_none() {
        Some(format!("there is no `{DEMO_AGENT_USER}` user"))
    } else if !others_can_reach(program) {
        Some(format!("`{DEMO_AGENT_USER}` cannot reach {}", program.display()))
    } else if data.parent().is_some_and(|parent| !others_can_reach(parent)) {
        Some(format!("`{DEMO_AGENT_USER}` cannot reach {}", data.display()))
    } else {
        None
    };
    if let Some(reason) = reason {
        eprintln!("running as root: the simulated agents run as root too, since {reason}");
        return None;
    }
    let hosts = data.join("hosts");
    let passable = std::fs::create_dir_all(&hosts).is_ok()
        && [data, hosts.as_path()]
            .iter()
            .all(|dir| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711)).is_ok());
    passable.then_some(DEMO_AGENT_USER)
}

struct Demo {
    console: Option<ConsoleServer>,
    hosts: Vec<Daemon>,
    _temporary: Option<voicefleet_tests_free::TempDir>,
}

/// A temporary directory without pulling test helpers into the binary.
mod voicefleet_tests_free {
    #[derive(Debug)]
    pub(crate) struct TempDir(pub(crate) std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Demo {
    /// Stops every agent, host agent and the console, then checks by PID (with start time) and
    /// by address that nothing survived; says so only when it is true.
    async fn stop(mut self) -> anyhow::Result<()> {
        eprintln!("stopping the demo...");
        let processes: Vec<ProcessIdentity> =
            self.hosts.iter().flat_map(|host| host.supervisor().processes()).collect();
        let mut addresses: Vec<std::net::SocketAddr> = self.hosts.iter().map(Daemon::local_addr).collect();
        addresses.extend(self.console.as_ref().map(ConsoleServer::local_addr));
        let stops = self
            .hosts
            .iter()
            .map(|host| host.supervisor().stop(StopOptions::with_timeout(Duration::from_secs(2))));
        // All at once: each agent gets 2 s to finish its calls.
        let _ = futures_util::future::join_all(stops).await;
        // The console first: it holds an event stream open to every host, which a host's
        // graceful shutdown would otherwise wait out. Then every host at once.
        if let Some(console) = self.console.take() {
            console.shutdown().await;
        }
        let shutdowns = self.hosts.drain(..).map(Daemon::shutdown);
        let _ = futures_util::future::join_all(shutdowns).await;
        let survivors = survivors(&processes, &addresses).await;
        if !survivors.is_empty() {
            anyhow::bail!("the demo stopped, but these survived: {}", survivors.join(", "));
        }
        eprintln!(
            "demo stopped: every agent, shim and server is gone ({} processes and {} listeners checked)",
            processes.len(),
            addresses.len()
        );
        Ok(())
    }
}

/// The processes still alive and the addresses still accepting connections, after a bounded
/// wait (a shim reaps the rest of its group as it exits).
async fn survivors(processes: &[ProcessIdentity], addresses: &[std::net::SocketAddr]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let mut left: Vec<String> =
            processes.iter().filter(|p| p.is_alive()).map(|p| format!("process {}", p.pid)).collect();
        for address in addresses {
            let connect = tokio::net::TcpStream::connect(address);
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(200), connect).await {
                left.push(format!("a server on {address}"));
            }
        }
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Take over Ctrl-C and SIGTERM before anything starts, so no signal can leave processes behind.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let program = std::env::current_exe().context("cannot find this program's path")?;
    let (data, temporary) = match &args.data {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = std::env::temp_dir().join(format!("voicefleet-demo-{}", std::process::id()));
            (dir.clone(), Some(voicefleet_tests_free::TempDir(dir)))
        }
    };
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;

    let (console_port, wanted) = port_or_free(args.port)?;
    if !wanted {
        eprintln!("port {} is taken; the console uses {console_port}", args.port);
    }
    let mut options = ServeOptions::new(data.join("console"));
    options.listen = ([127, 0, 0, 1], console_port).into();
    options.refresh_interval = Duration::from_secs(2);
    options.host_timeout = Duration::from_secs(2);
    let console = ConsoleServer::start(options).await?;
    let url = format!("http://{}", console.local_addr());
    let embedded = console.embedded().clone();
    let fleet: Arc<dyn Fleet> = embedded.console.clone();
    let admin = Actor::new("demo", Role::Admin);

    let agent_user = demo_agent_user(&program, &data);
    if let Some(user) = agent_user {
        eprintln!("running as root: the simulated agents run as `{user}` (runtime.user)");
    }
    let mut demo = Demo { console: Some(console), hosts: Vec::new(), _temporary: temporary };
    let key_path = data.join("console").join("console.pub.pem");
    for (index, (id, name, template_name, tier)) in CUSTOMERS.iter().enumerate() {
        let wanted_port = args.host_port.saturating_add(index as u16);
        let (port, as_wanted) = port_or_free(wanted_port)?;
        if !as_wanted {
            eprintln!("port {wanted_port} is taken; {id}'s host agent uses {port}");
        }
        let settings = Settings {
            customer_id: CustomerId::parse(id)?,
            state_dir: data.join("hosts").join(id),
            listen: ([127, 0, 0, 1], port).into(),
            config: None,
            secrets_file: None,
            console_public_key: Some(key_path.clone()),
            tls: None,
            exposure: Default::default(),
            stop_agent_on_exit: true,
            rate_limit: 2000,
            log_limits: Default::default(),
            provider_urls: Default::default(),
            shim: ShimCommand {
                program: program.clone(),
                args: vec![voicefleet_core::supervisor::SHIM_ARG.into()],
            },
            agent_user: None,
        };
        let host = match Daemon::start(settings).await {
            Ok(host) => host,
            Err(error) => {
                let _ = demo.stop().await;
                return Err(super::agent::daemon_error(error));
            }
        };
        let endpoint = format!("http://{}", host.local_addr());
        demo.hosts.push(host);
        let setup = async {
            // A kept demo directory: the host may be on another port this time.
            if fleet.customer(&admin, id).await.is_ok() {
                fleet.remove_customer(&admin, id).await?;
            }
            fleet
                .add_customer(
                    &admin,
                    NewCustomer {
                        id: (*id).into(),
                        name: (*name).into(),
                        endpoint: endpoint.clone(),
                        tags: vec![format!("tier={tier}"), "demo=true".into()],
                        trust: Default::default(),
                    },
                )
                .await?;
            let document = demo_config(index, template_name, &program, agent_user)?;
            for secret in document.secret_references() {
                fleet.set_secret(&admin, id, &secret, &format!("demo-{secret}-not-a-real-key")).await?;
            }
            fleet
                .create_revision(
                    &admin,
                    id,
                    RevisionInput::Full { document: document.into_value() },
                    "demo configuration",
                )
                .await?;
            fleet.deploy(&admin, id, None).await?;
            fleet.control(&admin, id, ControlAction::Start, None).await?;
            anyhow::Ok(())
        };
        if let Err(error) = setup.await {
            let _ = demo.stop().await;
            return Err(error);
        }
    }

    // A token for other shells.
    let token = embedded
        .accounts
        .create_token(&admin, &format!("demo-{}", std::process::id()), Role::Admin, None)
        .await?;
    let env_path = data.join("demo.env");
    let env = format!(
        "export VOICEFLEET_CONSOLE={url}\nexport VOICEFLEET_TOKEN={}\n",
        token.token.clone().unwrap_or_default()
    );
    voicefleet_core::fs::write_atomic(&env_path, env.as_bytes(), 0o600)?;

    // Five running.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let statuses = fleet.status(&admin, &Selector::All).await?;
        if statuses.iter().filter(|s| s.state == "running").count() == CUSTOMERS.len() {
            break;
        }
        if Instant::now() > deadline {
            eprintln!("not every customer is running yet:\n{}", status_table(&statuses));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("voicefleet demo: five customers running after {:.1} s", started.elapsed().as_secs_f64());
    eprintln!("  console   {url}   (the web console: open it in a browser; data in {})", data.display());
    match &embedded.first_admin {
        Some((name, password)) if !password.is_empty() => eprintln!("  login     {name} / {password}"),
        _ => eprintln!("  login     admin (password set on the first run of this data directory)"),
    }
    eprintln!(
        "  shell     source {}   then: voicefleet status, voicefleet logs acme-dental -f, ...",
        env_path.display()
    );
    eprintln!("  Ctrl-C stops everything");

    let scenario = tokio::spawn(run_scenario(args.scenario, fleet.clone(), admin.clone(), program.clone()));
    let end = (args.duration > 0.0).then(|| Instant::now() + Duration::from_secs_f64(args.duration));
    if args.no_watch {
        tokio::time::sleep(Duration::from_secs_f64(args.settle.max(0.0))).await;
        print!("{}", status_table(&fleet.status(&admin, &Selector::All).await?));
    }
    loop {
        if !args.no_watch {
            let statuses = fleet.status(&admin, &Selector::All).await?;
            // Screen codes only on a terminal; a pipe gets one table after another.
            let clear =
                if std::io::IsTerminal::is_terminal(&std::io::stdout()) { "\x1b[2J\x1b[H" } else { "\n" };
            print!("{clear}{}\n{}", status_table(&statuses), footer(&url, &env_path));
        }
        let sleep = tokio::time::sleep(Duration::from_secs(1));
        tokio::select! {
            _ = sleep => {}
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
        }
        if end.is_some_and(|end| Instant::now() >= end) {
            break;
        }
    }
    scenario.abort();
    // The token handed to other shells dies with the demo (a kept data directory holds no live
    // admin credential); the file that carried it goes too.
    let revoked = embedded.accounts.revoke_token(&admin, &token.id).await;
    let _ = std::fs::remove_file(&env_path);
    demo.stop().await?;
    if let Err(error) = revoked {
        eprintln!(
            "voicefleet demo: could not revoke the demo's API token {} ({error}); revoke it with `voicefleet --data {} tokens revoke {}`",
            token.id,
            data.join("console").display(),
            token.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn footer(url: &str, env: &Path) -> String {
    format!("console {url} · source {} in another shell · Ctrl-C stops everything\n", env.display())
}

async fn run_scenario(scenario: Scenario, fleet: Arc<dyn Fleet>, admin: Actor, _program: PathBuf) {
    match scenario {
        Scenario::Healthy => {}
        Scenario::Crash => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            crash_scenario(fleet.as_ref(), &admin).await;
        }
        Scenario::BadRollout => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let spec = BulkSpec {
                action: BulkAction::Patch {
                    operations: vec![PatchOperation::Set {
                        path: "extensions.simulator.crash_after_ms".into(),
                        value: json!(800),
                    }],
                    message: "a rollout that crashes the agent".into(),
                },
                selector: Selector::parse("tier=prod").unwrap_or(Selector::All),
                max_concurrency: Limit::Count(1),
                max_errors: Limit::Count(0),
                canary: 1,
                health_gate: Some(HealthGate {
                    min_healthy_seconds: 3.0,
                    max_error_rate: None,
                    max_p95_ms: None,
                }),
                auto_rollback: true,
                dry_run: false,
            };
            match fleet.start_bulk(&admin, spec).await {
                Ok(run) => {
                    eprintln!("scenario: rolling a bad config out to tier=prod with 1 canary ({})", run.id);
                    loop {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        let Ok(current) = fleet.bulk_run(&admin, &run.id).await else { break };
                        if current.outcome != RunOutcome::Running {
                            let states: BTreeMap<String, String> = current
                                .targets
                                .iter()
                                .map(|t| (t.customer_id.clone(), format!("{:?}", t.state).to_lowercase()))
                                .collect();
                            eprintln!("scenario: the run ended {:?}: {states:?}", current.outcome);
                            break;
                        }
                    }
                }
                Err(error) => eprintln!("scenario: the rollout could not start: {error}"),
            }
        }
    }
}

/// One customer gets a build that exits before it is ready: its failed starts back off (1 s, then
/// 2 s at the demo's cap) into `crash_loop`; then it is rolled back and recovers.
async fn crash_scenario(fleet: &dyn Fleet, admin: &Actor) {
    let id = "hooli-support";
    let set = |path: &str, value| PatchOperation::Set { path: path.into(), value };
    let crash = vec![
        set("extensions.simulator.emit_ready", json!(false)),
        set("extensions.simulator.crash_after_ms", json!(300)),
        set("runtime.restart.max_backoff_seconds", json!(2)),
    ];
    let deployed = async {
        let revision = fleet
            .create_revision(
                admin,
                id,
                RevisionInput::Patch { operations: crash },
                "a bad build that cannot start",
            )
            .await?;
        fleet.deploy(admin, id, Some(revision.number)).await
    };
    if let Err(error) = deployed.await {
        eprintln!("scenario: the bad build could not be deployed: {error}");
        return;
    }
    eprintln!(
        "scenario: {id} now exits 0.3 s after every start, before it is ready; watch it back off into crash_loop"
    );
    let Some(status) = wait_for_state(fleet, admin, id, "crash_loop", Duration::from_secs(40)).await else {
        eprintln!("scenario: {id} did not reach crash_loop in 40 s");
        return;
    };
    let failures = status.status.as_ref().map(|s| s.consecutive_failures).unwrap_or_default();
    eprintln!("scenario: {id} is in crash_loop after {failures} failed starts in a row; it keeps retrying");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rolled_back = async {
        let fixed = fleet.rollback(admin, id, 1, "roll back the build that cannot start").await?;
        fleet.deploy(admin, id, Some(fixed.number)).await?;
        fleet.control(admin, id, ControlAction::Start, None).await
    };
    if let Err(error) = rolled_back.await {
        eprintln!("scenario: the rollback failed: {error}");
        return;
    }
    eprintln!("scenario: rolled {id} back to revision 1; it recovers");
    if wait_for_state(fleet, admin, id, "running", Duration::from_secs(20)).await.is_some() {
        eprintln!("scenario: {id} is running again");
    }
}

/// Polls one customer's status until it is in `state`, for at most `limit`.
async fn wait_for_state(
    fleet: &dyn Fleet,
    admin: &Actor,
    id: &str,
    state: &str,
    limit: Duration,
) -> Option<voicefleet_core::console::CustomerStatus> {
    let selector = Selector::Ids { ids: vec![id.to_owned()] };
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(statuses) = fleet.status(admin, &selector).await
            && let Some(status) = statuses.into_iter().find(|s| s.customer_id == id && s.state == state)
        {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}
