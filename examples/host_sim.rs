//! The host-fleet simulator as a process: `host_sim N CONSOLE_PUB_PEM [PREFIX]` serves N
//! simulated hosts (real host API, real token checks, real SSE) on loopback ports and prints
//! `ID ENDPOINT` per host, then `ready`. Commands on stdin, one per line: `crash INDEX` (the
//! agent dies of SIGKILL and restarts; prints `crashed INDEX PID subscribers N`, N counting the
//! host API's event recorder), `streamed` (prints how many hosts have an event stream open),
//! `quit`. Ends with stdin.

use std::io::{BufRead as _, Write as _};

use voicefleet_tests::sim::SimFleet;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().ok_or("usage: host_sim N CONSOLE_PUB_PEM [PREFIX]")?.parse()?;
    let key = std::fs::read_to_string(args.next().ok_or("the console's public key (PEM) is needed")?)?;
    let prefix = args.next().unwrap_or_else(|| "customer".to_owned());
    let fleet = SimFleet::start(count, &prefix, &key).await?;
    let mut out = std::io::stdout().lock();
    for served in &fleet.hosts {
        writeln!(out, "{} {}", served.customer_id, served.endpoint)?;
    }
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    let (lines_tx, mut lines) = tokio::sync::mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if lines_tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    while let Some(line) = lines.recv().await {
        let mut out = std::io::stdout().lock();
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["crash", index] => match index.parse::<usize>().ok().and_then(|i| fleet.hosts.get(i)) {
                Some(served) => {
                    let pid = served.host.crash();
                    writeln!(out, "crashed {index} {pid} subscribers {}", served.host.subscribers())?
                }
                None => writeln!(out, "error no host {index}")?,
            },
            ["streamed"] => writeln!(out, "streamed {}", fleet.streamed())?,
            ["quit"] => break,
            _ => writeln!(out, "error unknown command")?,
        }
        out.flush()?;
    }
    fleet.shutdown();
    Ok(())
}
