//! Voice-agent logs on disk: every line numbered and timestamped, files rotated by rename (never
//! copy-and-truncate), and readers that tail, page from a cursor, or follow across rotations
//! without losing or repeating a line.
//!
//! One line of a log file is `SEQ TS_MS STREAM TEXT\n`: the sequence number (never reused, kept
//! across restarts of the writer), milliseconds since the Unix epoch, `o` for stdout or `e` for
//! stderr, then the text as written (lossy UTF-8).

mod writer;

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use writer::LogWriter;

/// Longest stored line; longer output is split into several lines, never dropped.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The agent's standard output (its protocol events included).
    Stdout,
    /// The agent's standard error.
    Stderr,
}

impl Stream {
    /// `stdout` or `stderr`, as every API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn code(self) -> char {
        match self {
            Stream::Stdout => 'o',
            Stream::Stderr => 'e',
        }
    }
}

/// Which streams a reader wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StreamFilter {
    /// Both streams.
    #[default]
    All,
    /// One stream.
    Only(Stream),
}

impl StreamFilter {
    /// `all`, `stdout` or `stderr`.
    pub fn parse(text: &str) -> crate::Result<StreamFilter> {
        match text {
            "all" => Ok(StreamFilter::All),
            "stdout" => Ok(StreamFilter::Only(Stream::Stdout)),
            "stderr" => Ok(StreamFilter::Only(Stream::Stderr)),
            other => Err(crate::Error::InvalidValue {
                value: other.to_owned(),
                reason: "a log stream is stdout, stderr or all".to_owned(),
            }),
        }
    }

    /// The name [`StreamFilter::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamFilter::All => "all",
            StreamFilter::Only(Stream::Stdout) => "stdout",
            StreamFilter::Only(Stream::Stderr) => "stderr",
        }
    }

    /// Whether a line of `stream` is wanted.
    pub fn accepts(self, stream: Stream) -> bool {
        match self {
            StreamFilter::All => true,
            StreamFilter::Only(wanted) => wanted == stream,
        }
    }
}

/// One stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The line's sequence number: one more than the line before it, across instances and log
    /// rotation (a cursor for [`LogQuery::After`](crate::host::LogQuery::After)).
    pub seq: u64,
    /// When the shim read it, in milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// Which stream it came from.
    pub stream: Stream,
    /// The line, without its newline; at most [`MAX_LINE_BYTES`].
    pub text: String,
}

/// `SEQ TS_MS STREAM TEXT`, the line as stored (`42 1767225600000 stdout ready`).
impl std::fmt::Display for LogLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} {}", self.seq, self.ts_ms, self.stream.as_str(), self.text)
    }
}

impl LogLine {
    fn decode(line: &[u8]) -> Option<LogLine> {
        let text = String::from_utf8_lossy(line);
        let mut parts = text.splitn(4, ' ');
        let seq = parts.next()?.parse().ok()?;
        let ts_ms = parts.next()?.parse().ok()?;
        let stream = match parts.next()? {
            "o" => Stream::Stdout,
            "e" => Stream::Stderr,
            _ => return None,
        };
        let text = parts.next().unwrap_or("").to_owned();
        Some(LogLine { seq, ts_ms, stream, text })
    }
}

/// Rotation limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// Rotate when the current file would grow past this many bytes (default 10 MiB).
    pub max_file_bytes: u64,
    /// Rotated files kept besides the current one (default 5).
    pub keep_files: u32,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self { max_file_bytes: 10 * 1024 * 1024, keep_files: 5 }
    }
}

/// The log files of one voice agent: `DIR/agent.log` and its rotations `agent.log.1` (newest) to
/// `agent.log.N` (oldest).
#[derive(Debug, Clone)]
pub struct LogFiles {
    dir: PathBuf,
}

impl LogFiles {
    /// The log files in `dir` (a state directory's `logs/`).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file being written now: `agent.log` in the directory.
    pub fn current(&self) -> PathBuf {
        self.dir.join("agent.log")
    }

    fn rotated(&self, index: u32) -> PathBuf {
        self.dir.join(format!("agent.log.{index}"))
    }

    /// Existing files, oldest first, current last.
    fn oldest_first(&self) -> Vec<PathBuf> {
        let mut rotated: Vec<(u32, PathBuf)> = fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let index = name.strip_prefix("agent.log.")?.parse::<u32>().ok()?;
                Some((index, entry.path()))
            })
            .collect();
        rotated.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        let mut files: Vec<PathBuf> = rotated.into_iter().map(|(_, path)| path).collect();
        if self.current().exists() {
            files.push(self.current());
        }
        files
    }

    /// The last `n` lines (after filtering), oldest first.
    pub fn tail(&self, n: usize, filter: StreamFilter) -> io::Result<Vec<LogLine>> {
        let mut collected: Vec<LogLine> = Vec::new();
        for path in self.oldest_first().into_iter().rev() {
            let mut lines = read_lines(&path)?;
            lines.retain(|line| filter.accepts(line.stream));
            let wanted = n.saturating_sub(collected.len());
            let start = lines.len().saturating_sub(wanted);
            let mut chunk = lines.split_off(start);
            chunk.append(&mut collected);
            collected = chunk;
            if collected.len() >= n {
                break;
            }
        }
        Ok(collected)
    }

    /// Up to `limit` lines with a sequence number above `cursor`, oldest first. Lines already
    /// rotated away are gone; the first returned line then starts after a gap the caller can see.
    pub fn read_after(&self, cursor: u64, limit: usize, filter: StreamFilter) -> io::Result<Vec<LogLine>> {
        let files = self.oldest_first();
        // Start in the newest file whose first line is at or before the wanted one.
        let mut start = 0;
        for (index, path) in files.iter().enumerate() {
            match first_seq(path)? {
                Some(first) if first <= cursor.saturating_add(1) => start = index,
                _ => {}
            }
        }
        let mut out = Vec::new();
        for path in &files[start.min(files.len())..] {
            for line in read_lines(path)? {
                if line.seq > cursor && filter.accepts(line.stream) {
                    out.push(line);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The highest sequence number stored, 0 when there is none.
    pub fn last_seq(&self) -> io::Result<u64> {
        for path in self.oldest_first().into_iter().rev() {
            if let Some(seq) = last_seq_of(&path)? {
                return Ok(seq);
            }
        }
        Ok(0)
    }
}

fn read_lines(path: &Path) -> io::Result<Vec<LogLine>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    // A trailing piece without its newline is a line still being written: not yet a line.
    let complete = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(last) => &bytes[..=last],
        None => return Ok(Vec::new()),
    };
    Ok(complete.split(|b| *b == b'\n').filter(|line| !line.is_empty()).filter_map(LogLine::decode).collect())
}

fn first_seq(path: &Path) -> io::Result<Option<u64>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut head = [0u8; 32];
    let read = file.read(&mut head)?;
    let head = &head[..read];
    let end = head.iter().position(|b| *b == b' ').unwrap_or(0);
    Ok(std::str::from_utf8(&head[..end]).ok().and_then(|text| text.parse().ok()))
}

fn last_seq_of(path: &Path) -> io::Result<Option<u64>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let len = file.metadata()?.len();
    let window = len.min(2 * MAX_LINE_BYTES as u64 + 64);
    file.seek(SeekFrom::Start(len - window))?;
    let mut tail = Vec::with_capacity(window as usize);
    // At most the window: the file may grow meanwhile.
    file.take(window).read_to_end(&mut tail)?;
    Ok(tail
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(LogLine::decode)
        .map(|line| line.seq)
        .next_back())
}

/// Follows the log as it grows, across rotations: each [`LogFollower::poll`] returns the lines
/// written since the last one, none lost, none repeated.
#[derive(Debug)]
pub struct LogFollower {
    files: LogFiles,
    file: Option<(File, u64)>,
    pending: Vec<u8>,
    last_seq: u64,
}

impl LogFollower {
    /// Starts after sequence number `cursor` (0 = from the beginning of what is stored).
    pub fn new(files: LogFiles, cursor: u64) -> Self {
        Self { files, file: None, pending: Vec::new(), last_seq: cursor }
    }

    /// The sequence number of the last line returned.
    pub fn cursor(&self) -> u64 {
        self.last_seq
    }

    /// New lines since the last poll.
    pub fn poll(&mut self) -> io::Result<Vec<LogLine>> {
        let mut out = Vec::new();
        if self.file.is_none() {
            // Open the current file first, then catch up from every file: a rotation in between
            // is seen by the inode check below, and duplicates are dropped by sequence number.
            let opened = match File::open(self.files.current()) {
                Ok(file) => {
                    let inode = inode_of(&file)?;
                    Some((file, inode))
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                Err(error) => return Err(error),
            };
            out = self.files.read_after(self.last_seq, usize::MAX, StreamFilter::All)?;
            if let Some(last) = out.last() {
                self.last_seq = last.seq;
            }
            self.file = opened;
        }
        out.extend(self.read_available()?);
        // Rotated? Finish the old file, then switch to the new current one.
        let current_inode =
            fs::metadata(self.files.current()).ok().map(|meta| std::os::unix::fs::MetadataExt::ino(&meta));
        let open_inode = self.file.as_ref().map(|(_, inode)| *inode);
        if current_inode.is_some() && current_inode != open_inode {
            out.extend(self.read_available()?);
            self.pending.clear();
            if let Ok(file) = File::open(self.files.current()) {
                let inode = inode_of(&file)?;
                self.file = Some((file, inode));
                out.extend(self.read_available()?);
            }
        }
        Ok(out)
    }

    fn read_available(&mut self) -> io::Result<Vec<LogLine>> {
        let Some((file, _)) = &mut self.file else { return Ok(Vec::new()) };
        let mut chunk = Vec::new();
        file.read_to_end(&mut chunk)?;
        if chunk.is_empty() {
            return Ok(Vec::new());
        }
        self.pending.extend_from_slice(&chunk);
        let Some(last_newline) = self.pending.iter().rposition(|b| *b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.pending.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        let mut out = Vec::new();
        for raw in complete.split(|b| *b == b'\n').filter(|line| !line.is_empty()) {
            if let Some(line) = LogLine::decode(raw)
                && line.seq > self.last_seq
            {
                self.last_seq = line.seq;
                out.push(line);
            }
        }
        Ok(out)
    }
}

fn inode_of(file: &File) -> io::Result<u64> {
    Ok(std::os::unix::fs::MetadataExt::ino(&file.metadata()?))
}
