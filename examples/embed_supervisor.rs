//! Supervising a program from your own binary: the binary is its own shim (the small process
//! that holds the program's pipes and outlives a restart of yours), the program needs no voice
//! agent configuration, and a stop leaves nothing running.
//!
//! ```text
//! cargo run -p voicefleet-examples --example embed_supervisor
//! ```
//! It prints the PIDs it supervised (`processes: ...`); all of them are gone when it exits.

use std::process::ExitCode;
use std::time::Duration;

use voicefleet_core::prelude::*;

fn main() -> ExitCode {
    // First thing in main: when the supervisor starts this binary as its shim, be the shim.
    if let Some(code) = shim_entry_point() {
        return code;
    }
    // The supervisor needs tokio's IO and timers (`Runtime::new` enables both).
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("embed_supervisor: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let state_dir = std::env::temp_dir().join(format!("voicefleet-embed-supervisor-{}", std::process::id()));
    let result = supervise(&state_dir).await;
    let _ = std::fs::remove_dir_all(&state_dir);
    result
}

async fn supervise(state_dir: &std::path::Path) -> Result<()> {
    // The program and its policy; the shim is this binary (ShimCommand::current_exe()).
    let program = ProcessSpec::new(["sh", "-c", "echo \"hello from $NAME\"; exec sleep 600"])
        .env("NAME", "a supervised program")
        .ready_after(Duration::from_millis(200))
        .stop_timeout(Duration::from_secs(5));
    let supervisor =
        Supervisor::builder(CustomerId::parse("demo")?, state_dir).process(program).open().await?;

    let status = supervisor.start().await?;
    println!("state: {} (pid {})", status.state, status.pid.unwrap_or_default());
    let processes = supervisor.processes();
    let pids: Vec<String> = processes.iter().map(|p| p.pid.to_string()).collect();
    println!("processes: {}", pids.join(" "));

    // Its output is in the supervisor's log, numbered and timestamped.
    let lines = wait_for_output(&supervisor).await?;
    for line in &lines {
        println!("log: {}", line.text);
    }

    let status = supervisor.stop(StopOptions::default()).await?;
    println!("state: {}", status.state);
    supervisor.shutdown(true).await?;
    if let Some(survivor) = processes.iter().find(|p| p.is_alive()) {
        return Err(Error::Internal { message: format!("process {} outlived the stop", survivor.pid) });
    }
    Ok(())
}

async fn wait_for_output(supervisor: &Supervisor) -> Result<Vec<LogLine>> {
    for _ in 0..100 {
        let lines = supervisor.logs(LogQuery::Tail { n: 10, stream: StreamFilter::All }).await?;
        if !lines.is_empty() {
            return Ok(lines);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(Error::Internal { message: "the program wrote nothing within 2 s".to_owned() })
}
