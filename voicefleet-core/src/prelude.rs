//! The names most programs use, in one import: `use voicefleet_core::prelude::*;`.
//!
//! Configuration documents and their validation, the [`Host`] trait with its status and
//! control options, the [`Supervisor`] with its process spec and shim (feature
//! `unix-supervisor`), and the console with its [`Fleet`] trait (SQLite: feature `sqlite`).

pub use crate::auth::Role;
pub use crate::config::{ConfigDocument, Issue, Severity, Validation, template};
#[cfg(feature = "sqlite")]
pub use crate::console::OpenedConsole;
pub use crate::console::{Actor, Console, Fleet, HostConnector, NewCustomer, Selector};
pub use crate::customer::CustomerId;
pub use crate::host::{Host, HostStatus, LogQuery, RevisionMeta, StopOptions};
pub use crate::logs::{LogLine, StreamFilter};
#[cfg(all(unix, feature = "unix-supervisor"))]
pub use crate::supervisor::{ProcessSpec, ShimCommand, Supervisor, shim_entry_point};
pub use crate::{Error, ErrorKind, Remedy, Result};
