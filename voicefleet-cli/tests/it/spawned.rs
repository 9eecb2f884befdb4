//! A server started for real, read until it says it is serving.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Spawns `command` (stdin and stdout closed, stderr piped) and waits, at most 30 s, for a stderr
/// line containing `wanted`; the child and everything it printed until then. The rest of its
/// stderr is drained on a thread so it never blocks on a full pipe.
pub(crate) fn until_stderr(command: &mut Command, wanted: &str) -> (Child, String) {
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (deadline, mut seen) = (Instant::now() + Duration::from_secs(30), String::new());
    while !seen.contains(wanted) {
        assert!(Instant::now() < deadline, "no `{wanted}`: {seen}");
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("it ended before `{wanted}`: {seen}");
        }
        seen.push_str(&line);
    }
    std::thread::spawn(move || for _ in stderr.lines() {});
    (child, seen)
}

/// The URL a console printed in `voicefleet console on URL`.
pub(crate) fn console_url(seen: &str) -> String {
    let line = seen.lines().find(|l| l.contains("voicefleet console on ")).unwrap();
    line.split("voicefleet console on ").nth(1).unwrap().split_whitespace().next().unwrap().to_owned()
}
