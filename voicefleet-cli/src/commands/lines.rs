//! Log lines as `logs` and `host logs` print them: the time (UTC, ms), `out` or `err`, the text;
//! or JSON lines.

use voicefleet_core::logs::{LogLine, Stream, StreamFilter};
use voicefleet_core::protocol::{LineKind, parse_line};

use crate::output::{OutputFormat, timestamp};

/// Which lines are shown, and how.
pub(crate) struct LineFilter {
    pub(crate) stream: StreamFilter,
    pub(crate) since_ms: Option<u64>,
    pub(crate) no_events: bool,
    pub(crate) output: OutputFormat,
}

impl LineFilter {
    pub(crate) fn shows(&self, line: &LogLine) -> bool {
        self.stream.accepts(line.stream)
            && self.since_ms.is_none_or(|since| line.ts_ms >= since)
            && !(self.no_events && matches!(parse_line(&line.text), LineKind::Event(_)))
    }

    pub(crate) fn print(&self, lines: &[LogLine]) {
        for line in lines.iter().filter(|line| self.shows(line)) {
            if self.output == OutputFormat::Json {
                println!(
                    "{}",
                    serde_json::json!({"seq": line.seq, "ts_ms": line.ts_ms, "stream": line.stream.as_str(), "text": line.text})
                );
            } else {
                let stream = if line.stream == Stream::Stderr { "err" } else { "out" };
                println!("{} {stream} {}", timestamp(line.ts_ms), line.text);
            }
        }
    }
}
