//! `gvarust.util` (also `gstgva.util`): helpers for pad probes and gst-python
//! elements that write metadata.
//!
//! A `Gst.Buffer` seen from PyGObject carries an extra reference held by its
//! Python wrapper, so GStreamer considers it shared and refuses metadata
//! writes. These context managers drop that one reference for the block (the
//! buffer stays alive through its other owner) and restore it afterwards.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::pygobject::buffer_pointer;
use super::slot::{enter_writable_block, leave_writable_block, take_analytics_mark};
use crate::analytics::MetadataMode;

/// Context manager that makes a PyGObject `Gst.Buffer` writable for its block.
#[pyclass(module = "gvarust.util")]
pub struct WritableBuffer {
    buffer: Py<PyAny>,
    dropped: Option<usize>,
    /// The buffer recorded by `slot::enter_writable_block`, while in the block.
    entered: Option<usize>,
}

fn refcount(ptr: *mut gst::ffi::GstBuffer) -> i32 {
    // SAFETY: `ptr` is a live GstBuffer (held by the wrapper the caller holds);
    // reading the refcount field of its mini object is a plain load.
    unsafe { (*(ptr as *const gst::ffi::GstMiniObject)).refcount }
}

#[pymethods]
impl WritableBuffer {
    fn __enter__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if self.dropped.is_some() {
            return Err(PyRuntimeError::new_err(
                "this context manager is already in use",
            ));
        }
        let ptr = buffer_pointer(self.buffer.bind(py))?;
        // Only the wrapper's own reference is dropped, and only while another
        // owner (the pad probe's info, the base class) keeps the buffer alive.
        if refcount(ptr) >= 2 {
            // SAFETY: refcount >= 2, so after this unref another owner still keeps
            // the buffer alive; `__exit__` takes the reference back.
            unsafe { gst::ffi::gst_mini_object_unref(ptr.cast()) };
            self.dropped = Some(ptr as usize);
        } else {
            self.dropped = Some(0);
        }
        enter_writable_block(ptr);
        self.entered = Some(ptr as usize);
        Ok(self.buffer.clone_ref(py))
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        let mut finished = Ok(0);
        if let Some(address) = self.entered.take() {
            let ptr = address as *mut gst::ffi::GstBuffer;
            leave_writable_block(ptr);
            // Frames in "analytics" metadata leave only the records (see finish_frame),
            // while the buffer is still writable.
            // SAFETY: the buffer is alive (held by its other owner through the block);
            // is_writable only reads its refcount and flags.
            if take_analytics_mark(ptr)
                && unsafe { gst::ffi::gst_mini_object_is_writable(ptr.cast()) } != 0
            {
                // SAFETY: writable means this is the only reference in use, and the
                // mutable view ends with this statement.
                let buffer = unsafe { gst::BufferRef::from_mut_ptr(ptr) };
                finished = crate::analytics::finish_frame(buffer, MetadataMode::Analytics);
            }
        }
        if let Some(address) = self.dropped.take() {
            if address != 0 {
                // SAFETY: the buffer is still alive (its other owner holds it for the
                // duration of the probe / transform call this block runs in); this
                // restores the wrapper's reference dropped in `__enter__`.
                unsafe { gst::ffi::gst_mini_object_ref(address as *mut gst::ffi::GstMiniObject) };
            }
        }
        finished.map_err(|reason| {
            PyRuntimeError::new_err(format!(
                "leaving the writable block: the metadata \"analytics\" frame could not be \
                 finished: {reason}"
            ))
        })?;
        Ok(false)
    }
}

/// `with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:`: the probe's buffer, writable
/// for metadata inside the block.
#[pyfunction(name = "GST_PAD_PROBE_INFO_BUFFER")]
fn pad_probe_info_buffer(info: &Bound<'_, PyAny>) -> PyResult<WritableBuffer> {
    let buffer = info.call_method0("get_buffer")?;
    if buffer.is_none() {
        return Err(PyRuntimeError::new_err(
            "the pad probe info carries no buffer",
        ));
    }
    transform_ip_buffer(&buffer)
}

/// `with TRANSFORM_IP_BUFFER(buffer) as buffer:`: in a gst-python element's
/// `do_transform_ip`, the buffer made writable for metadata inside the block.
#[pyfunction(name = "TRANSFORM_IP_BUFFER")]
fn transform_ip_buffer(buffer: &Bound<'_, PyAny>) -> PyResult<WritableBuffer> {
    buffer_pointer(buffer)?;
    Ok(WritableBuffer {
        buffer: buffer.clone().unbind(),
        dropped: None,
        entered: None,
    })
}

/// Builds the `util` submodule.
pub fn util_module<'py>(py: Python<'py>, qualified_name: &str) -> PyResult<Bound<'py, PyModule>> {
    let util = PyModule::new(py, qualified_name)?;
    util.add_class::<WritableBuffer>()?;
    util.add_function(pyo3::wrap_pyfunction!(pad_probe_info_buffer, &util)?)?;
    util.add_function(pyo3::wrap_pyfunction!(transform_ip_buffer, &util)?)?;
    util.add_function(pyo3::wrap_pyfunction!(register_gva_metas, &util)?)?;
    Ok(util)
}

/// Registers the GVA tensor, JSON and audio event metas in this process (if
/// nothing did yet), so C-level code (classic gstgva's ctypes layer) finds them
/// with `gst_meta_get_info`.
#[pyfunction(name = "_register_gva_metas")]
fn register_gva_metas() {
    crate::meta::tensor_meta_info();
    crate::meta::json_meta_info();
    crate::meta::audio_event_meta_info();
}
