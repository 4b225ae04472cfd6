//! `Event`: what the `process_event(event)` hook receives.

use gst::glib::translate::IntoGlib;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::values::structure_to_dict;

/// A GStreamer event seen by the element, as plain Python values.
///
/// `type` is the event type's name (`"eos"`, `"caps"`, `"segment"`,
/// `"flush-start"`, `"custom-downstream"`, ...); `structure` is a `dict` of the
/// event's structure fields (for a caps event: the first caps structure with
/// its name under `"name"`), or `None`.
#[pyclass(module = "gvarust", frozen)]
pub struct Event {
    #[pyo3(get, name = "type")]
    event_type: String,
    #[pyo3(get)]
    structure: Option<Py<PyDict>>,
    #[pyo3(get)]
    seqnum: u32,
}

impl Event {
    /// Converts `event` (under the GIL) into the Python object.
    pub fn new(py: Python<'_>, event: &gst::EventRef) -> PyResult<Self> {
        let structure = match event.view() {
            gst::EventView::Caps(caps) => match caps.caps().structure(0) {
                Some(s) => Some(structure_to_dict(py, s, true)?.unbind()),
                None => None,
            },
            _ => match event.structure() {
                Some(s) => Some(structure_to_dict(py, s, true)?.unbind()),
                None => None,
            },
        };
        Ok(Event {
            event_type: event.type_().name().to_string(),
            structure,
            seqnum: event.seqnum().into_glib(),
        })
    }
}

#[pymethods]
impl Event {
    fn __repr__(&self) -> String {
        format!("<gvarust.Event type={:?}>", self.event_type)
    }
}
