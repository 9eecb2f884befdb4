//! A console embedded in your own program: its store is a SQLite data directory, it reaches
//! each customer's host agent over HTTP (`voicefleet_http::AgentConnector`, with short-lived
//! tokens signed by the console's key), and it drives a host agent this program starts on
//! loopback, beside a customer whose host is not running.
//!
//! ```text
//! cargo run -p voicefleet-examples --example embed_console
//! ```
//! It prints the PIDs it supervised (`processes: ...`); all of them are gone when it exits.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::console::ControlAction;
use voicefleet_core::prelude::*;
use voicefleet_http::host::{HostApiOptions, router};
use voicefleet_http::{AgentClientOptions, AgentConnector, HostTokenSigner};

fn main() -> ExitCode {
    // The host agent this program starts supervises through a shim: this binary.
    if let Some(code) = shim_entry_point() {
        return code;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("embed_console: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("voicefleet-embed-console-{}", std::process::id()));
    let result = console(&dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn console(dir: &Path) -> Result<()> {
    let data = dir.join("console");
    // 1. The console: SQLite in `data`, hosts over HTTP, a first admin with a generated password.
    let signer = HostTokenSigner::load_or_create(&data)?;
    let connector = Arc::new(AgentConnector::new(signer.clone(), AgentClientOptions::default()));
    let opened = Console::open_sqlite(&data, connector).first_admin("admin", None).await?;
    let console = opened.console;
    if let Some((name, password)) = &opened.first_admin {
        println!("first admin: {name} (password {} characters, shown once)", password.len());
    }
    let admin = Actor::new("admin", Role::Admin);

    // 2. A host agent for customer `demo`: the host API over a supervisor, on loopback,
    //    trusting this console's public key.
    let state_dir = dir.join("host");
    let program = ProcessSpec::new(["sleep", "600"]).ready_after(Duration::from_millis(200));
    let supervisor =
        Supervisor::builder(CustomerId::parse("demo")?, &state_dir).process(program).open().await?;
    let api = HostApiOptions {
        customer_id: "demo".to_owned(),
        admin_token: voicefleet_http::host::load_or_create_admin_token(&state_dir)?,
        console_public_key: Some(signer.public_pem().as_bytes().to_vec()),
        console_keys_file: None,
        audit_file: Some(state_dir.join("audit.log")),
        rate_limit: 1000,
        clock: voicefleet_core::clock::system(),
    };
    let listener = voicefleet_http::bind(([127, 0, 0, 1], 0).into())?;
    let host_address = listener.local_addr().map_err(loopback)?;
    let app = router(Arc::new(supervisor.clone()), api)?;
    let (server, _) = voicefleet_http::spawn_server(listener, None, &Default::default(), app).await?;

    // 3. Two customers: one on that host, one whose host is not running (nothing listens).
    let offline =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(loopback)?;
    for (id, endpoint) in [("demo", host_address), ("offline", offline)] {
        let customer = NewCustomer {
            id: id.to_owned(),
            name: format!("Customer {id}"),
            endpoint: format!("http://{endpoint}"),
            tags: vec!["tier=example".to_owned()],
            trust: Default::default(),
        };
        console.add_customer(&admin, customer).await?;
    }

    // 4. The console starts the demo agent through its host, then reads the whole fleet.
    let started = console.control(&admin, "demo", ControlAction::Start, None).await?;
    println!("demo: {} (pid {})", started.state, started.pid.unwrap_or_default());
    let processes = supervisor.processes();
    let pids: Vec<String> = processes.iter().map(|p| p.pid.to_string()).collect();
    println!("processes: {}", pids.join(" "));
    for status in console.status(&admin, &Selector::parse("tier=example")?).await? {
        println!("{}: {} (reachable: {})", status.customer_id, status.state, status.reachable);
    }
    let stopped = console.control(&admin, "demo", ControlAction::Stop, Some(Duration::from_secs(5))).await?;
    println!("demo: {}", stopped.state);

    server.graceful_shutdown(Some(Duration::from_secs(1)));
    supervisor.shutdown(true).await?;
    if let Some(survivor) = processes.iter().find(|p| p.is_alive()) {
        return Err(Error::Internal { message: format!("process {} outlived the stop", survivor.pid) });
    }
    Ok(())
}

fn loopback(error: std::io::Error) -> Error {
    Error::io("cannot use a loopback socket", error)
}
