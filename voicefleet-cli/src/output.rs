//! Output formats shared by every command that prints data: tables for people, JSON for scripts.

use clap::ValueEnum;
use voicefleet_core::clock::Clock as _;

/// How data is printed on standard output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// Stable JSON, for scripts.
    Json,
    /// For people, with more columns where a command has them (`status`: host agent version and
    /// the host machine; `metrics`: the host machine); like text elsewhere.
    Wide,
}

impl OutputFormat {
    /// The format for a command without a wide view: wide is text there.
    pub(crate) fn plain(self) -> OutputFormat {
        match self {
            OutputFormat::Wide => OutputFormat::Text,
            other => other,
        }
    }
}

/// Prints a JSON value, pretty, on standard output.
pub(crate) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A table with left-aligned columns sized to their content.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    painted_table(headers, rows, |_, _| None)
}

/// A table whose cells `paint` may colour (an ANSI SGR code such as `"31"`), after the padding is
/// measured on the plain text.
pub(crate) fn painted_table(
    headers: &[&str],
    rows: &[Vec<String>],
    paint: impl Fn(usize, &str) -> Option<&'static str>,
) -> String {
    // A cell may hold what a caller typed (a login name in the audit log, a tag, a message):
    // control characters are shown escaped, never sent to the terminal.
    let rows: Vec<Vec<String>> =
        rows.iter().map(|row| row.iter().map(|cell| escape_control(cell)).collect()).collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(index) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>, header: bool| {
        let mut out = String::new();
        for (index, cell) in cells.iter().enumerate() {
            let code = if header { None } else { paint(index, cell) };
            let padded = if index + 1 == cells.len() {
                cell.to_string()
            } else {
                format!("{cell:<width$}  ", width = widths[index])
            };
            match code {
                Some(code) => {
                    let trimmed = padded.trim_end();
                    out.push_str(&format!("\x1b[{code}m{trimmed}\x1b[0m{}", &padded[trimmed.len()..]));
                }
                None => out.push_str(&padded),
            }
        }
        out.trim_end().to_owned()
    };
    let mut out = line(headers.to_vec(), true);
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect(), false));
        out.push('\n');
    }
    out
}

/// `text` with every control character (escape, newline, bell, …) written as its Rust escape
/// (`\u{1b}`, `\n`), so it cannot move the cursor, recolour or rewrite a terminal.
pub(crate) fn escape_control(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// Whether to colour standard output: a terminal, and no `NO_COLOR` (no-color.org).
pub(crate) fn colour_stdout() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub(crate) fn duration(seconds: f64) -> String {
    let seconds = seconds.max(0.0) as u64;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        3600..86_400 => format!("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60),
        _ => format!("{}d{:02}h", seconds / 86_400, (seconds % 86_400) / 3600),
    }
}

pub(crate) fn bytes(value: u64) -> String {
    if value >= 1 << 30 {
        format!("{:.1}G", value as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.0}M", value as f64 / (1u64 << 20) as f64)
    }
}

pub(crate) fn ago(at_ms: Option<u64>) -> String {
    match at_ms {
        None => "never".to_owned(),
        Some(at) => {
            let now = voicefleet_core::clock::SystemClock.now_ms();
            format!("{} ago", duration(now.saturating_sub(at) as f64 / 1000.0))
        }
    }
}

/// A moment as `2026-11-26T19:22:01.123Z` (UTC, milliseconds): sortable, and the same on every
/// machine.
pub(crate) fn timestamp(at_ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(at_ms);
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_in_cells_are_escaped() {
        let table = super::table(
            &["ACTOR", "ACTION"],
            &[vec!["\u{1b}[2J\u{1b}[31mevil\nforged row".to_owned(), "login\u{7}".to_owned()]],
        );
        assert!(!table.chars().any(|c| c.is_control() && c != '\n'), "{table:?}");
        assert_eq!(table.lines().count(), 2, "no forged row: {table}");
        assert!(table.contains("\\u{1b}[2J\\u{1b}[31mevil\\nforged row"), "{table}");
        assert!(table.contains("login\\u{7}"), "{table}");
        assert_eq!(super::escape_control("plain é text"), "plain é text");
    }
}
