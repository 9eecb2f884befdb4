//! `voicefleet-py`: the `voicefleet` Python package (pyo3 + maturin), for notebooks and scripts.
//!
//! A thin layer: every rule lives in `voicefleet-core`, every transport in `voicefleet-http`.
//! Values cross the boundary as JSON text; the pure-Python wrapper in `python/voicefleet/` turns
//! them into value classes. `runtime.rs` holds the process's one tokio runtime and the one
//! blocking helper (GIL released, signals checked), `exceptions.rs` the one error table,
//! `config.rs` configuration documents and `console/` the fleet.

mod config;
mod console;
mod exceptions;
mod runtime;

use pyo3::prelude::*;

#[pymodule]
fn _voicefleet(module: &Bound<'_, PyModule>) -> PyResult<()> {
    exceptions::register(module)?;
    module.add_class::<config::RawConfigDocument>()?;
    module.add_class::<console::RawConsole>()?;
    module.add_function(wrap_pyfunction!(config::template_names, module)?)?;
    module.add_function(wrap_pyfunction!(config::json_schema, module)?)?;
    module.add_function(wrap_pyfunction!(parse_duration_seconds, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Seconds in a duration such as `90s`, `1h30m` or `7d` (or plain seconds): core's one parser.
#[pyfunction]
fn parse_duration_seconds(text: &str) -> PyResult<f64> {
    voicefleet_core::clock::parse_duration(text).map(|d| d.as_secs_f64()).map_err(exceptions::to_py_err)
}
