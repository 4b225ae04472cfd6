//! Entry point of the `gvarust._native` extension module (the pip package).

use pyo3::prelude::*;

/// The native half of the `gvarust` Python package.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    crate::py::init_module(m)
}
