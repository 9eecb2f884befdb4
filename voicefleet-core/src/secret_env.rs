//! Secrets a server is handed in its environment (`VOICEFLEET_MASTER_KEY`,
//! `VOICEFLEET_ADMIN_PASSWORD`, `VOICEFLEET_TOKEN`, …): read once at start, then gone from the
//! process's environment, so no child it starts and no later code that reads the environment
//! sees them.
//!
//! A server's `main` calls [`take_from_environment`] before any thread starts; code that needs
//! such a value asks [`var`], which answers what was taken (or, in a process that took nothing,
//! such as a library user's, the environment itself).
//!
//! What removal cannot do: `/proc/PID/environ` shows the memory the kernel placed the initial
//! environment in, not the C library's current list. So the values are also overwritten there
//! (their bytes zeroed: the names stay visible, the values do not), which is best effort: a
//! reader who looked before the overwrite, or a core dump taken before it, saw them.

use std::collections::BTreeMap;
use std::ffi::{CStr, c_char};
use std::sync::OnceLock;

/// The values taken from the environment, by name.
static TAKEN: OnceLock<BTreeMap<String, String>> = OnceLock::new();

/// The words that mark a name as secret-bearing (as for `runtime.env`).
const SECRET_WORDS: [&str; 5] = ["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL"];

/// A `VOICEFLEET_` name that holds a secret (or may: a key file's path is taken too, harmlessly).
pub fn is_secret_name(name: &str) -> bool {
    name.starts_with("VOICEFLEET_") && SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// Takes every secret-bearing `VOICEFLEET_*` variable out of the process's environment (keeping
/// the values for [`var`]) and overwrites the values in the initial environment's memory.
/// Returns the names taken.
///
/// # Safety
///
/// Changes the process's environment: call it in `main`, before any other thread starts (no
/// tokio runtime yet), as [`std::env::remove_var`] requires.
pub unsafe fn take_from_environment() -> Vec<String> {
    let taken: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(name, _)| is_secret_name(name))
        .collect();
    // SAFETY: no other thread runs (the caller's promise), so nothing reads or changes the
    // environment while its strings are overwritten.
    unsafe { overwrite_initial_values() };
    for name in taken.keys() {
        // SAFETY: as above.
        unsafe { std::env::remove_var(name) };
    }
    let names = taken.keys().cloned().collect();
    let _ = TAKEN.set(taken);
    names
}

/// A secret-bearing variable: what [`take_from_environment`] took, else the environment's.
pub fn var(name: &str) -> Option<String> {
    match TAKEN.get().and_then(|taken| taken.get(name)) {
        Some(value) => Some(value.clone()),
        None => std::env::var(name).ok(),
    }
}

unsafe extern "C" {
    /// The C library's environment: `NAME=VALUE` strings, null-terminated.
    static environ: *const *mut c_char;
}

/// Zeroes the value bytes of every secret-bearing entry of the environment, in place (the
/// initial entries live in the memory `/proc/PID/environ` reads).
///
/// # Safety
///
/// No other thread may read or change the environment meanwhile.
unsafe fn overwrite_initial_values() {
    // SAFETY: `environ` is the C library's null-terminated array of C strings; each entry is
    // writable memory (the initial stack's, or a copy `setenv` made) of its length plus one.
    unsafe {
        let mut entry = environ;
        if entry.is_null() {
            return;
        }
        while !(*entry).is_null() {
            let string = *entry;
            let bytes = CStr::from_ptr(string).to_bytes();
            if let Some(equals) = bytes.iter().position(|byte| *byte == b'=')
                && std::str::from_utf8(&bytes[..equals]).is_ok_and(is_secret_name)
            {
                let value_length = bytes.len() - equals - 1;
                std::ptr::write_bytes(string.add(equals + 1), 0, value_length);
            }
            entry = entry.add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_secret_name;

    #[test]
    fn secret_names_are_voicefleet_names_with_a_secret_word() {
        for name in ["VOICEFLEET_MASTER_KEY", "VOICEFLEET_ADMIN_PASSWORD", "VOICEFLEET_TOKEN"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["VOICEFLEET_LOG", "VOICEFLEET_CONSOLE", "VOICEFLEET_DATA", "OPENAI_API_KEY", "PATH"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
