//! The exceptions of the `gvarust` module, and the errors more than one class raises.
//!
//! This module imports none of the classes: every class may import it.

use pyo3::exceptions::PyRuntimeError;
use pyo3::PyErr;

pyo3::create_exception!(
    gvarust,
    InvalidatedError,
    pyo3::exceptions::PyRuntimeError,
    "A frame, region, tensor or message was used after the callback that received it returned."
);
pyo3::create_exception!(
    gvarust,
    NotWritableError,
    pyo3::exceptions::PyRuntimeError,
    "Metadata was written to a buffer that is not writable (in a pad probe, wrap the code in \
     `with gstgva.util.GST_PAD_PROBE_INFO_BUFFER(info) as buffer:`)."
);

/// `RuntimeError` for an audio event (or a tensor of it) whose meta is no longer on its frame.
pub(crate) fn audio_event_removed() -> PyErr {
    PyRuntimeError::new_err("this audio event was removed from its frame")
}
