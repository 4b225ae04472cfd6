//! Bridging to PyGObject (`gi`): C pointers of `Gst.Buffer`, `Gst.Caps` and
//! `GstVideo.VideoInfo` wrappers, and new wrappers around our buffers.
//!
//! PyGObject boxed wrappers return their C pointer from `hash()`; the type is
//! checked against the `gi.repository` class first, so a wrong object gives a
//! `TypeError` instead of a wild pointer.

use std::ffi::c_void;

use gst::glib;
use gst::glib::translate::IntoGlib;
use pyo3::exceptions::{PyImportError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use super::helpers::type_name;

/// The `gi.repository` class `namespace.name` (e.g. `Gst.Buffer`), imported once.
fn gi_class<'py>(py: Python<'py>, namespace: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
    static GI_REPOSITORY: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let repository = GI_REPOSITORY.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("gi.repository")?.unbind())
    })?;
    let module = match repository.bind(py).getattr(namespace) {
        Ok(module) => module,
        Err(_) => {
            let gi = py.import("gi")?;
            let version = if namespace == "Gst" || namespace.starts_with("Gst") {
                "1.0"
            } else {
                "2.0"
            };
            gi.call_method1("require_version", (namespace, version))?;
            py.import(format!("gi.repository.{namespace}").as_str())?
                .into_any()
        }
    };
    module.getattr(name)
}

/// The C pointer behind a PyGObject boxed wrapper of class `namespace.name`.
pub fn boxed_pointer(obj: &Bound<'_, PyAny>, namespace: &str, name: &str) -> PyResult<*mut c_void> {
    let py = obj.py();
    let class = gi_class(py, namespace, name).map_err(|e| {
        PyImportError::new_err(format!(
            "PyGObject is needed for {namespace}.{name} objects: {e}"
        ))
    })?;
    if !obj.is_instance(&class)? {
        let got = type_name(obj, "");
        return Err(PyTypeError::new_err(format!(
            "expected a {namespace}.{name}, got {got}"
        )));
    }
    let address = obj.hash()?;
    if address == 0 || address == -1 {
        return Err(PyTypeError::new_err(format!(
            "this {namespace}.{name} has no underlying C object"
        )));
    }
    Ok(address as usize as *mut c_void)
}

/// Whether `obj` is a PyGObject `namespace.name` (false when PyGObject or the
/// namespace cannot be imported).
pub fn is_gi_instance(obj: &Bound<'_, PyAny>, namespace: &str, name: &str) -> bool {
    gi_class(obj.py(), namespace, name)
        .and_then(|class| obj.is_instance(&class))
        .unwrap_or(false)
}

/// The `Gst.Buffer` pointer of a PyGObject wrapper (borrowed: valid while `obj` lives).
pub fn buffer_pointer(obj: &Bound<'_, PyAny>) -> PyResult<*mut gst::ffi::GstBuffer> {
    Ok(boxed_pointer(obj, "Gst", "Buffer")?.cast())
}

/// A new reference to the caps behind a PyGObject `Gst.Caps`.
pub fn caps_from_py(obj: &Bound<'_, PyAny>) -> PyResult<gst::Caps> {
    let ptr: *mut gst::ffi::GstCaps = boxed_pointer(obj, "Gst", "Caps")?.cast();
    // SAFETY: `ptr` is the live GstCaps of a Gst.Caps wrapper (type checked above);
    // from_glib_none takes a new reference, so the result outlives the wrapper.
    Ok(unsafe { glib::translate::from_glib_none(ptr) })
}

/// A copy of the video info behind a PyGObject `GstVideo.VideoInfo`.
pub fn video_info_from_py(obj: &Bound<'_, PyAny>) -> PyResult<gst_video::VideoInfo> {
    let ptr: *const gst_video::ffi::GstVideoInfo =
        boxed_pointer(obj, "GstVideo", "VideoInfo")?.cast();
    // SAFETY: `ptr` is the live GstVideoInfo of a GstVideo.VideoInfo wrapper (type
    // checked above); from_glib_none copies the struct.
    Ok(unsafe { glib::translate::from_glib_none(ptr) })
}

/// A copy of the audio info behind a PyGObject `GstAudio.AudioInfo`.
pub fn audio_info_from_py(obj: &Bound<'_, PyAny>) -> PyResult<gst_audio::AudioInfo> {
    let ptr: *const gst_audio::ffi::GstAudioInfo =
        boxed_pointer(obj, "GstAudio", "AudioInfo")?.cast();
    // SAFETY: `ptr` is the live GstAudioInfo of a GstAudio.AudioInfo wrapper (type
    // checked above); from_glib_none copies the struct.
    Ok(unsafe { glib::translate::from_glib_none(ptr) })
}

/// PyGObject's C API table (`gi._gobject._PyGObject_API`), as laid out in
/// `pygobject.h`: only the entries used here, at their positions.
#[repr(C)]
struct PyGObjectFunctions {
    _unused: [*const c_void; 17],
    /// `PyObject *(*boxed_new)(GType, gpointer boxed, gboolean copy_boxed, gboolean own_ref)`
    boxed_new: Option<
        unsafe extern "C" fn(glib::ffi::GType, *mut c_void, i32, i32) -> *mut pyo3::ffi::PyObject,
    >,
}

struct ApiTable(*const PyGObjectFunctions);
// SAFETY: the table is a static struct inside PyGObject's extension module that
// is never freed or modified after import; reading it from any thread is sound.
unsafe impl Send for ApiTable {}
// SAFETY: see `Send`: the table is immutable.
unsafe impl Sync for ApiTable {}

fn api_table(py: Python<'_>) -> PyResult<&'static PyGObjectFunctions> {
    static TABLE: PyOnceLock<ApiTable> = PyOnceLock::new();
    let table = TABLE.get_or_try_init(py, || -> PyResult<_> {
        let capsule = py.import("gi._gobject")?.getattr("_PyGObject_API")?;
        let capsule = capsule
            .cast::<pyo3::types::PyCapsule>()
            .map_err(PyErr::from)?;
        let name = c"gobject._PyGObject_API";
        // SAFETY: a capsule object is passed with the name PyGObject created it with.
        let ptr = unsafe { pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), name.as_ptr()) };
        if ptr.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(ApiTable(ptr as *const PyGObjectFunctions))
    })?;
    // SAFETY: non-null pointer to PyGObject's static API table (see ApiTable).
    Ok(unsafe { &*table.0 })
}

/// A new `Gst.Buffer` wrapper holding its own reference to `buffer`.
pub fn buffer_to_py<'py>(py: Python<'py>, buffer: &gst::BufferRef) -> PyResult<Bound<'py, PyAny>> {
    // Importing Gst registers the Gst.Buffer wrapper class with PyGObject.
    gi_class(py, "Gst", "Buffer")?;
    let boxed_new = api_table(py)?
        .boxed_new
        .ok_or_else(|| PyImportError::new_err("PyGObject has no boxed_new entry"))?;
    let ptr = buffer.as_ptr() as *mut c_void;
    let gtype = <gst::Buffer as glib::types::StaticType>::static_type().into_glib();
    // SAFETY: boxed_new copies (for GstBuffer: refs) the live buffer, so the
    // wrapper owns its own reference; it returns a new reference or NULL with a
    // Python error set, which from_owned_ptr_or_err handles.
    unsafe { Bound::from_owned_ptr_or_err(py, boxed_new(gtype, ptr, 1, 1)) }
}
