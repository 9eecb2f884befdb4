//! `voicefleet host ...`: the host agent on this machine through its API on loopback, with the
//! break-glass admin token from its state directory. No console involved.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use voicefleet_core::ErrorKind;
use voicefleet_core::host::{Host, HostEvent, HostStatus, LogQuery, StopOptions};
use voicefleet_core::logs::{Stream, StreamFilter};
use voicefleet_http::{AgentClient, AgentClientOptions, TokenSource};

use crate::backend::{now_ms, parse_duration_seconds};
use crate::cli::{HostArgs, HostCommand};
use crate::commands::fleet::parse_drain_timeout;
use crate::commands::lines::LineFilter;
use crate::exit::Refusal;
use crate::output::{OutputFormat, duration, print_json, timestamp};

/// The state directory: given, else the only one `voicefleet-agent` would have made.
fn state_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let root = dirs::state_dir().unwrap_or_else(|| PathBuf::from(".")).join("voicefleet-agent");
    let found: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|entries| {
            entries.flatten().map(|e| e.path()).filter(|p| p.join("admin.token").exists()).collect()
        })
        .unwrap_or_default();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Refusal::new(
            ErrorKind::NotFound,
            format!("no host agent state directory under {}", root.display()),
            "give --state-dir DIR (the host agent's --state-dir), and run as the host agent's user",
        )
        .into()),
        many => Err(Refusal::new(
            ErrorKind::InvalidInput,
            format!(
                "{} host agents' state directories under {}: {}",
                many.len(),
                root.display(),
                many.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
            "pick one with --state-dir DIR",
        )
        .into()),
    }
}

/// The break-glass token; never created here (a missing one means this is no host's directory).
fn admin_token(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join("admin.token");
    let token = std::fs::read_to_string(&path).map_err(|error| {
        let hint = if error.kind() == std::io::ErrorKind::PermissionDenied {
            "run as the host agent's user (or root)"
        } else {
            "is this the host agent's --state-dir? it writes admin.token when it starts"
        };
        Refusal::new(ErrorKind::NotFound, format!("cannot read {}: {error}", path.display()), hint)
    })?;
    Ok(token.trim().to_owned())
}

fn print_status(status: &HostStatus) {
    println!("state     {}", status.state.as_str());
    if let Some(pid) = status.pid {
        println!("pid       {pid}");
    }
    if let Some(uptime) = status.uptime_seconds {
        println!("uptime    {}", duration(uptime));
    }
    println!("restarts  {}", status.restarts);
    println!("calls     {} now, {} in all", status.calls.active_calls, status.calls.calls_total);
    if let Some(exit) = status.last_exit {
        let how = match (exit.code, exit.signal) {
            (_, Some(signal)) => format!("killed by signal {signal}"),
            (Some(code), None) => format!("exited with code {code}"),
            (None, None) => "exited".to_owned(),
        };
        println!("last exit {how} at {}", timestamp(exit.at_ms));
    }
    if let Some(error) = &status.last_error {
        println!("error     {error}");
    }
    if status.logs.lines_dropped > 0 {
        println!(
            "logs      {} lines could not be written ({} in the last 5 min): is the state directory full?",
            status.logs.lines_dropped, status.logs.lines_dropped_5m
        );
    }
    match &status.config {
        Some(config) => println!("revision  {} ({})", config.revision, config.hash),
        None => println!("revision  none: no configuration applied yet"),
    }
    if let Some(version) = &status.agent_version {
        println!("agent     voicefleet-agent {version}");
    }
    if let Some(machine) = &status.machine {
        let [cpu, memory, load, disk, up] = super::status::machine_cells(Some(machine));
        println!(
            "host      CPU {cpu}, memory available {memory}, load {load}, state disk free {disk}, up {up}"
        );
    }
}

pub(crate) async fn run(output: OutputFormat, args: HostArgs) -> anyhow::Result<ExitCode> {
    let dir = state_dir(args.state_dir)?;
    let token = admin_token(&dir)?;
    let options = AgentClientOptions {
        timeout: Duration::from_secs(10),
        retries: 1,
        retry_backoff: Duration::from_millis(100),
    };
    let host = AgentClient::new(&args.url, TokenSource::Static(token), options)
        .with_context(|| format!("the host agent's URL {}", args.url))?;
    let stop = |text: &Option<String>| -> anyhow::Result<StopOptions> {
        let timeout = text.as_deref().map(parse_drain_timeout).transpose()?;
        Ok(timeout.map(StopOptions::with_timeout).unwrap_or_default())
    };
    let status = match args.command {
        HostCommand::Status => host.status().await?,
        HostCommand::Start => {
            let now = host.status().await?;
            if now.state.as_str() == "running" {
                eprintln!("already running; nothing to do");
                now
            } else {
                host.start().await?
            }
        }
        HostCommand::Stop { drain_timeout } => host.stop(stop(&drain_timeout)?).await?,
        HostCommand::Restart { drain_timeout } => host.restart(stop(&drain_timeout)?).await?,
        HostCommand::Drain { drain_timeout } => host.drain(stop(&drain_timeout)?).await?,
        HostCommand::Logs { follow, stderr, tail, since, no_events } => {
            let stream = if stderr { StreamFilter::Only(Stream::Stderr) } else { StreamFilter::All };
            let since_ms = match since.as_deref() {
                Some(text) => Some(now_ms().saturating_sub(parse_duration_seconds(text)? * 1000)),
                None => None,
            };
            let filter = LineFilter { stream, since_ms, no_events, output };
            let read = if since_ms.is_some() || no_events { 10_000 } else { tail.clamp(1, 10_000) };
            let lines = host.logs(LogQuery::Tail { n: read, stream }).await?;
            let shown: Vec<_> = lines.iter().filter(|line| filter.shows(line)).cloned().collect();
            filter.print(&shown[shown.len().saturating_sub(tail.max(1))..]);
            let mut cursor = lines.last().map_or(0, |line| line.seq);
            if !follow {
                return Ok(ExitCode::SUCCESS);
            }
            loop {
                let lines =
                    host.logs(LogQuery::After { cursor, limit: 1000, stream: StreamFilter::All }).await?;
                if let Some(last) = lines.last() {
                    cursor = last.seq;
                }
                filter.print(&lines);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(300)) => {}
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        HostCommand::Audit { after, limit, verify } => {
            return audit(&host, output, after, limit, verify).await;
        }
        HostCommand::Events => {
            // The connection is checked first: a stream that never opens would be silent.
            host.status().await?;
            let mut events = host.subscribe();
            loop {
                tokio::select! {
                    event = events.recv() => match event {
                        Ok(event) => print_event(&event, output),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                            eprintln!("({missed} events missed)");
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(ExitCode::SUCCESS),
                    },
                    _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
                }
            }
        }
    };
    if output == OutputFormat::Json {
        print_json(&status)?;
    } else {
        print_status(&status);
    }
    Ok(ExitCode::SUCCESS)
}

/// `voicefleet host audit`: a page of the audit file, or its verification (exit 1 when broken).
async fn audit(
    host: &AgentClient,
    output: OutputFormat,
    after: u64,
    limit: u32,
    verify: bool,
) -> anyhow::Result<ExitCode> {
    if verify {
        return super::host_audit::print_verification(&host.verify_audit().await?, output);
    }
    let limit = limit.clamp(1, 1000);
    super::host_audit::print_page(&host.audit(after, limit).await?, limit, output, "voicefleet host audit")?;
    Ok(ExitCode::SUCCESS)
}

fn print_event(event: &HostEvent, output: OutputFormat) {
    if output == OutputFormat::Json {
        if let Ok(text) = serde_json::to_string(event) {
            println!("{text}");
        }
        return;
    }
    let (at_ms, text) = match event {
        HostEvent::StateChanged { at_ms, from, to, reason } => {
            let reason = reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default();
            (*at_ms, format!("state {} → {}{reason}", from.as_str(), to.as_str()))
        }
        HostEvent::Exited { at_ms, code, signal } => {
            let how = match (code, signal) {
                (_, Some(signal)) => format!("killed by signal {signal}"),
                (Some(code), None) => format!("exited with code {code}"),
                (None, None) => "exited".to_owned(),
            };
            (*at_ms, format!("exit {how}"))
        }
        HostEvent::CrashLoop { at_ms, consecutive_failures, next_restart_in_ms, .. } => (
            *at_ms,
            format!(
                "crash_loop {consecutive_failures} failed starts, next in {:.0}s",
                *next_restart_in_ms as f64 / 1000.0
            ),
        ),
        HostEvent::ConfigApplied { at_ms, revision, action, .. } => (
            *at_ms,
            format!(
                "config revision {revision} applied: {}",
                serde_json::to_value(action)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        ),
        HostEvent::MemoryLimit { at_ms, rss_bytes, limit_bytes } => {
            (*at_ms, format!("memory {rss_bytes} bytes over the limit of {limit_bytes}"))
        }
        HostEvent::Lagged { at_ms, missed } => {
            (*at_ms, format!("lagged: {} events missed", missed.map_or("some".to_owned(), |m| m.to_string())))
        }
    };
    println!("{} {text}", timestamp(at_ms));
}
