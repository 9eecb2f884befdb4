//! `voicefleet-py`: the `voicefleet` Python package (pyo3 + maturin), for notebooks and scripts.
//!
//! A thin layer: every rule lives in `voicefleet-core`. Values cross the boundary as JSON text and
//! the pure-Python wrapper in `python/voicefleet/__init__.py` turns them into dicts and lists.

mod config;
mod exceptions;

use pyo3::prelude::*;

#[pymodule]
fn _voicefleet(module: &Bound<'_, PyModule>) -> PyResult<()> {
    exceptions::register(module)?;
    module.add_class::<config::RawConfigDocument>()?;
    module.add_function(wrap_pyfunction!(config::template_names, module)?)?;
    module.add_function(wrap_pyfunction!(config::json_schema, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
