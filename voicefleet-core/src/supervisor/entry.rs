//! How the supervisor starts its shim ([`ShimCommand`]), and the entry point that lets any
//! binary serve as the shim ([`shim_entry_point`]).

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// The first argument that makes a binary run as the shim (see [`shim_entry_point`]).
pub const SHIM_ARG: &str = "__shim";

/// Set in the shim's environment (not the agent's): a process started as a shim that opens a
/// supervisor instead (its `main` does not begin with [`shim_entry_point`]) is refused at
/// `open`, rather than starting shims of itself without end.
pub(super) const SHIM_ENV: &str = "VOICEFLEET_SHIM";

/// Errs when this process was started as a shim (see [`SHIM_ENV`]).
pub(super) fn refuse_inside_shim() -> Result<()> {
    if std::env::var_os(SHIM_ENV).is_some() {
        return Err(Error::Unavailable {
            message: format!(
                "this process was started as a supervisor's shim (first argument {SHIM_ARG}) but opened a \
                 supervisor: call voicefleet_core::supervisor::shim_entry_point() first in main"
            ),
        });
    }
    Ok(())
}

/// The name of the dedicated shim binary (`voicefleet-shim`, built from this crate).
const DEDICATED_SHIM: &str = "voicefleet-shim";

/// How to start the shim: a program and the arguments before the shim's own (for example the
/// `voicefleet-shim` binary, or a binary that calls [`shim_entry_point`] with [`SHIM_ARG`]).
#[derive(Debug, Clone)]
pub struct ShimCommand {
    /// The program.
    pub program: PathBuf,
    /// The arguments before the shim's own.
    pub args: Vec<OsString>,
}

impl ShimCommand {
    /// The running binary, started with [`SHIM_ARG`]: the shim of a program whose `main` begins
    /// with [`shim_entry_point`].
    pub fn current_exe() -> Result<Self> {
        let program = std::env::current_exe().map_err(|error| Error::Unavailable {
            message: format!("cannot find this program's path to run it as the shim: {error}"),
        })?;
        Ok(Self { program, args: vec![SHIM_ARG.into()] })
    }

    /// The dedicated `voicefleet-shim` binary when it is installed beside the running binary
    /// (a smaller process per supervised agent), else [`ShimCommand::current_exe`].
    pub fn installed_or_current_exe() -> Result<Self> {
        let current = Self::current_exe()?;
        let dedicated = current.program.with_file_name(DEDICATED_SHIM);
        Ok(if dedicated.is_file() { Self { program: dedicated, args: Vec::new() } } else { current })
    }
}

/// Runs the shim when this process was started as one (its first argument is [`SHIM_ARG`]) and
/// returns its exit code; `None` otherwise. Call it first in `main`, so the binary serves as its
/// own shim with [`ShimCommand::current_exe`]:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     if let Some(code) = voicefleet_core::supervisor::shim_entry_point() {
///         return code;
///     }
///     // ... the program, which opens a Supervisor (its shim: ShimCommand::current_exe()).
///     std::process::ExitCode::SUCCESS
/// }
/// ```
pub fn shim_entry_point() -> Option<std::process::ExitCode> {
    let mut argv = std::env::args_os();
    if argv.nth(1)? != SHIM_ARG {
        return None;
    }
    let code = super::shim::run(argv.collect());
    Some(std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
