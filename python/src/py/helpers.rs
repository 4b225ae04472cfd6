//! Small Python-side building blocks shared by the classes: the `helpers.py`
//! module, `types.SimpleNamespace` objects and type names for messages.
//!
//! This module imports none of the classes: every class may import it.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The Python-side helpers (`helpers.py`): `Message`, `Segment`, PyGObject
/// info look-ups and the `to_dict()` export, loaded once per interpreter.
pub(crate) fn helpers(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static HELPERS: pyo3::sync::PyOnceLock<Py<PyModule>> = pyo3::sync::PyOnceLock::new();
    const SOURCE: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(include_str!("helpers.py"), "\0").as_bytes(),
    ) {
        Ok(source) => source,
        Err(_) => panic!("helpers.py contains a NUL byte"),
    };
    HELPERS
        .get_or_try_init(py, || -> PyResult<_> {
            // One module per copy of this code in the process (the plugin's and the pip
            // package's): under a shared sys.modules name, the second copy would execute
            // into the first one's module and replace its classes (Segment, Rect, ...).
            let name = std::ffi::CString::new(format!(
                "gvarust._helpers_{:x}",
                &HELPERS as *const _ as usize
            ))
            .expect("no NUL in the name");
            Ok(PyModule::from_code(py, SOURCE, c"gvarust/helpers.py", &name)?.unbind())
        })
        .map(|module| module.bind(py))
}

/// A `types.SimpleNamespace` with `kwargs` as attributes.
pub(crate) fn namespace<'py>(
    py: Python<'py>,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("types")?
        .getattr("SimpleNamespace")?
        .call((), Some(kwargs))
}

/// The name of `obj`'s type, or `fallback` when it has none that reads as text.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>, fallback: &str) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| fallback.into())
}
