//! File helpers shared by every frontend that writes documents.

use std::io::Write as _;
use std::path::Path;

/// Writes `contents` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over the target. A reader sees the old file or the new one, never half of
/// either; on any failure the target is untouched. The target's permissions are kept; a new file
/// gets `mode` (on Unix).
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    write_replacing(path, contents, mode, true)
}

/// Like [`write_atomic`] without the flushes to disk: for runtime state that means nothing after
/// a machine crash (process identities, exit records), where a restart must not wait for a disk.
pub fn write_atomic_volatile(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    write_replacing(path, contents, mode, false)
}

fn write_replacing(path: &Path, contents: &[u8], mode: u32, durable: bool) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".tmp-{}", std::process::id()));
    let temporary = directory.join(temporary_name);
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            // An existing file keeps its mode, unless a private one is asked for (no group or
            // other bits: secrets, keys): then a world-readable file left behind becomes private.
            let existing = std::fs::metadata(path).ok().map(|meta| meta.permissions().mode() & 0o7777);
            let chosen = match existing {
                Some(existing) if mode & 0o077 != 0 => existing,
                _ => mode,
            };
            options.mode(chosen);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(&temporary)?;
        file.write_all(contents)?;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        std::fs::rename(&temporary, path)?;
        if durable && let Ok(dir) = std::fs::File::open(directory) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
