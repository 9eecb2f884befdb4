//! One exception hierarchy rooted at `VoicefleetError`, and the one table from core error kind to
//! exception class.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use voicefleet_core::{Error, ErrorKind};

create_exception!(voicefleet, VoicefleetError, PyException, "Base class of every voicefleet error.");
create_exception!(
    voicefleet,
    InvalidInputError,
    VoicefleetError,
    "The input was refused; `issues` lists why."
);
create_exception!(voicefleet, NotFoundError, VoicefleetError, "The thing named does not exist.");
create_exception!(voicefleet, ConflictError, VoicefleetError, "The request clashes with the current state.");
create_exception!(voicefleet, UnauthorizedError, VoicefleetError, "No valid credentials.");
create_exception!(voicefleet, ForbiddenError, VoicefleetError, "Valid credentials without the needed role.");
create_exception!(
    voicefleet,
    UnavailableError,
    VoicefleetError,
    "A host, disk or process could not be reached."
);
create_exception!(voicefleet, InternalError, VoicefleetError, "An unexpected condition; please report it.");

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("VoicefleetError", py.get_type::<VoicefleetError>())?;
    module.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    module.add("NotFoundError", py.get_type::<NotFoundError>())?;
    module.add("ConflictError", py.get_type::<ConflictError>())?;
    module.add("UnauthorizedError", py.get_type::<UnauthorizedError>())?;
    module.add("ForbiddenError", py.get_type::<ForbiddenError>())?;
    module.add("UnavailableError", py.get_type::<UnavailableError>())?;
    module.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

/// Core's remedy said for a Python user, where core's library terms leave out what to set.
fn python_hint(error: &Error) -> Option<String> {
    match error.remedy()? {
        voicefleet_core::Remedy::ConfigureCloud => Some(
            "set VOICEFLEET_EC2=1 (with AWS credentials and region) where the console runs, in a build with \
             the aws feature (the packages; these bindings have none)"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Maps a core error to its exception, with `.kind`, `.hint`, `.issues` and `.remedy` attributes.
pub(crate) fn to_py_err(error: Error) -> PyErr {
    let message = error.to_string();
    let py_err = match error.kind() {
        ErrorKind::InvalidInput => InvalidInputError::new_err(message),
        ErrorKind::NotFound => NotFoundError::new_err(message),
        ErrorKind::Conflict => ConflictError::new_err(message),
        ErrorKind::Unauthorized => UnauthorizedError::new_err(message),
        ErrorKind::Forbidden => ForbiddenError::new_err(message),
        ErrorKind::Unavailable => UnavailableError::new_err(message),
        ErrorKind::Internal => InternalError::new_err(message),
    };
    Python::attach(|py| {
        let value = py_err.value(py);
        let issues = PyList::empty(py);
        for issue in error.issues() {
            let entry = PyDict::new(py);
            let _ = entry.set_item("path", &issue.path);
            let _ = entry.set_item("code", &issue.code);
            let _ = entry.set_item("severity", issue.severity.as_str());
            let _ = entry.set_item("message", &issue.message);
            let _ = issues.append(entry);
        }
        let _ = value.setattr("kind", error.kind().as_str());
        let _ = value.setattr("hint", python_hint(&error).or_else(|| error.hint()));
        let _ = value.setattr("issues", issues);
        // What to do, as data (`{"action": "sync_instances", "subject": None}`), for a script to act on.
        let remedy = error.remedy().map(|remedy| {
            let entry = PyDict::new(py);
            let _ = entry.set_item("action", remedy.action());
            let _ = entry.set_item("subject", remedy.subject());
            entry
        });
        let _ = value.setattr("remedy", remedy);
    });
    py_err
}
