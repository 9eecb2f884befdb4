//! Writing the log: lines are encoded into one buffer and reach the file in one `write()` per
//! flush (the shim flushes once per batch it reads, not once per line), rotating by rename.
//!
//! A full disk does not stop the writer: the lines of a flush that cannot be written are
//! dropped and counted ([`LogWriter::dropped_lines`]), a line cut in the middle is cut back out
//! of the file (so a reader never sees half a line), and writing resumes once there is room.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::{LogFiles, LogLimits, MAX_LINE_BYTES, Stream};

/// Buffered bytes that trigger a flush on their own.
const FLUSH_BYTES: usize = 256 * 1024;

/// Appends lines to the current file, rotating by rename. Used by the shim, which owns the
/// voice agent's pipes.
#[derive(Debug)]
pub struct LogWriter {
    files: LogFiles,
    limits: LogLimits,
    file: File,
    /// Bytes in the file (what was written, not what is buffered).
    size: u64,
    /// Encoded lines not written yet.
    buffer: Vec<u8>,
    next_seq: u64,
    dropped: u64,
}

impl LogWriter {
    /// Opens (creating) the log directory and continues numbering after the last stored line.
    pub fn open(dir: impl Into<PathBuf>, limits: LogLimits) -> io::Result<Self> {
        let files = LogFiles::new(dir);
        fs::create_dir_all(&files.dir)?;
        let next_seq = files.last_seq()? + 1;
        let (file, size) = open_append(&files.current())?;
        let mut writer =
            Self { files, limits, file, size, buffer: Vec::with_capacity(64 * 1024), next_seq, dropped: 0 };
        if writer.size > 0 && !ends_with_newline(&writer.files.current())? {
            // A writer died mid-line: end that line so the next one starts clean.
            writer.file.write_all(b"\n")?;
            writer.size += 1;
        }
        Ok(writer)
    }

    /// The sequence number the next line will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Lines that could not be written (a full disk, a failing device) since this writer
    /// opened. Their sequence numbers are not reused: a reader sees the gap.
    pub fn dropped_lines(&self) -> u64 {
        self.dropped
    }

    /// Stores `text` (without its newline), split into pieces of at most [`MAX_LINE_BYTES`];
    /// a newline inside `text` becomes a space. The lines reach the file at the next
    /// [`LogWriter::flush`] (or once enough are buffered). Returns the sequence number of the
    /// last piece.
    pub fn write(&mut self, stream: Stream, text: &[u8], ts_ms: u64) -> io::Result<u64> {
        let mut rest = text;
        let mut result = Ok(());
        loop {
            let cut = split_point(rest);
            let (piece, tail) = rest.split_at(cut);
            let start = self.buffer.len();
            encode(&mut self.buffer, self.next_seq, ts_ms, stream, piece);
            let encoded = (self.buffer.len() - start) as u64;
            let pending = start as u64;
            if self.size + pending > 0 && self.size + pending + encoded > self.limits.max_file_bytes {
                // The new line opens the next file: write what came before it, then rotate.
                let line = self.buffer.split_off(start);
                result = result.and(self.flush()).and(self.rotate());
                self.buffer = line;
            }
            self.next_seq += 1;
            rest = tail;
            if self.buffer.len() >= FLUSH_BYTES {
                result = result.and(self.flush());
            }
            if rest.is_empty() {
                return result.map(|()| self.next_seq - 1);
            }
        }
    }

    /// Writes the buffered lines to the file, in one `write()` when it can, so readers see
    /// them. On failure the unwritten lines are dropped and counted.
    pub fn flush(&mut self) -> io::Result<()> {
        let mut written = 0;
        while written < self.buffer.len() {
            match self.file.write(&self.buffer[written..]) {
                Ok(0) => return self.drop_unwritten(written, io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return self.drop_unwritten(written, error),
            }
        }
        self.size += written as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Keeps the whole lines among the first `written` bytes, cuts a partly written one back out
    /// of the file, and counts the rest as dropped.
    fn drop_unwritten(&mut self, written: usize, error: io::Error) -> io::Result<()> {
        let whole = self.buffer[..written].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        if whole < written {
            let _ = self.file.set_len(self.size + whole as u64);
        }
        self.dropped += self.buffer[whole..].iter().filter(|b| **b == b'\n').count() as u64;
        self.size += whole as u64;
        self.buffer.clear();
        Err(error)
    }

    fn rotate(&mut self) -> io::Result<()> {
        let keep = self.limits.keep_files;
        if keep == 0 {
            fs::remove_file(self.files.current())?;
        } else {
            let _ = fs::remove_file(self.files.rotated(keep));
            for index in (1..keep).rev() {
                let from = self.files.rotated(index);
                if from.exists() {
                    fs::rename(&from, self.files.rotated(index + 1))?;
                }
            }
            fs::rename(self.files.current(), self.files.rotated(1))?;
        }
        let (file, size) = open_append(&self.files.current())?;
        self.file = file;
        self.size = size;
        Ok(())
    }
}

/// `SEQ TS_MS STREAM TEXT\n`, the text as lossy UTF-8 with newlines made spaces.
fn encode(out: &mut Vec<u8>, seq: u64, ts_ms: u64, stream: Stream, text: &[u8]) {
    use std::io::Write as _;
    let _ = write!(out, "{seq} {ts_ms} {} ", stream.code());
    let start = out.len();
    out.extend_from_slice(String::from_utf8_lossy(text).as_bytes());
    for byte in &mut out[start..] {
        if *byte == b'\n' {
            *byte = b' ';
        }
    }
    out.push(b'\n');
}

/// Where to cut `text` so the piece is at most [`MAX_LINE_BYTES`] and, when possible, does not
/// split a UTF-8 character.
fn split_point(text: &[u8]) -> usize {
    if text.len() <= MAX_LINE_BYTES {
        return text.len();
    }
    let mut cut = MAX_LINE_BYTES;
    while cut > MAX_LINE_BYTES - 4 && (text[cut] & 0b1100_0000) == 0b1000_0000 {
        cut -= 1;
    }
    cut
}

fn ends_with_newline(path: &Path) -> io::Result<bool> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

fn open_append(path: &Path) -> io::Result<(File, u64)> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
    }
    let size = file.metadata()?.len();
    Ok((file, size))
}
