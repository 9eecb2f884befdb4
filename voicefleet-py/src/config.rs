//! Configuration documents for Python: a raw class over JSON text, wrapped in Python.

use pyo3::prelude::*;
use voicefleet_core::config::{ConfigDocument, ValidateOptions};

use crate::exceptions::to_py_err;

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

fn from_json(text: &str) -> PyResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|error| {
        to_py_err(voicefleet_core::Error::MalformedJson {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })
    })
}

/// A configuration document; use `voicefleet.ConfigDocument`, which wraps this.
#[pyclass(module = "voicefleet._voicefleet")]
pub(crate) struct RawConfigDocument {
    inner: ConfigDocument,
}

#[pymethods]
impl RawConfigDocument {
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        ConfigDocument::parse(text).map(|inner| Self { inner }).map_err(to_py_err)
    }

    #[staticmethod]
    fn template(name: &str) -> PyResult<Self> {
        voicefleet_core::config::template(name).map(|inner| Self { inner }).map_err(to_py_err)
    }

    fn to_json(&self) -> String {
        self.inner.to_json_pretty()
    }

    fn redacted_json(&self) -> String {
        to_json(&self.inner.redacted())
    }

    #[pyo3(signature = (secrets=None))]
    fn validate_json(&self, secrets: Option<Vec<String>>) -> String {
        let options = secrets.map(ValidateOptions::with_secrets).unwrap_or_default();
        to_json(&self.inner.validate_with(&options))
    }

    fn get_json(&self, path: &str) -> PyResult<String> {
        self.inner.get(path).map(to_json).map_err(to_py_err)
    }

    fn set_json(&mut self, path: &str, value_json: &str) -> PyResult<String> {
        let value = from_json(value_json)?;
        self.inner.set(path, value).map(|validation| to_json(&validation)).map_err(to_py_err)
    }

    fn unset(&mut self, path: &str) -> PyResult<String> {
        self.inner.unset(path).map(|validation| to_json(&validation)).map_err(to_py_err)
    }

    fn diff_json(&self, other: &RawConfigDocument) -> String {
        to_json(&self.inner.diff(&other.inner))
    }

    fn content_hash(&self) -> String {
        self.inner.content_hash()
    }

    fn secret_references(&self) -> Vec<String> {
        self.inner.secret_references().into_iter().collect()
    }

    fn __eq__(&self, other: &RawConfigDocument) -> bool {
        self.inner == other.inner
    }
}

/// The names of the built-in templates, `default` first.
#[pyfunction]
pub(crate) fn template_names() -> Vec<&'static str> {
    voicefleet_core::config::template_names()
}

/// The JSON Schema of a configuration document, as JSON text.
#[pyfunction]
pub(crate) fn json_schema() -> String {
    to_json(voicefleet_core::config::json_schema())
}
