//! The host daemon's errors: its settings, or what the library below it refused.

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why the host daemon cannot start or stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing or wrong; `hint` says how to give it.
    #[error("{message}")]
    Settings { message: String },

    /// A file the settings name cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The supervisor, the store or the server refused.
    #[error(transparent)]
    Core(#[from] voicefleet_core::Error),
}

impl Error {
    /// The error kind, for exit codes: settings are invalid input.
    pub fn kind(&self) -> voicefleet_core::ErrorKind {
        match self {
            Error::Settings { .. } => voicefleet_core::ErrorKind::InvalidInput,
            Error::Read { .. } => voicefleet_core::ErrorKind::Internal,
            Error::Core(error) => error.kind(),
        }
    }
}
