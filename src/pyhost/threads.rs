//! Taking the GIL from GStreamer threads, and which element's Python code a
//! thread is running (so Python `logging` records name that element).
//!
//! Lock order everywhere: the GIL first, then any Rust mutex (waited for with
//! the GIL released, see `Session`).

use std::cell::Cell;

use gst::glib::translate::ToGlibPtr;
use gst::prelude::*;
use pyo3::ffi;
use pyo3::prelude::*;

/// A Python thread state owned by a thread that Python did not create
/// (a GStreamer streaming thread), kept for the thread's whole life.
struct ThreadAnchor {
    tstate: Cell<*mut ffi::PyThreadState>,
}

impl ThreadAnchor {
    /// Gives this thread a lasting thread state if it has none yet.
    fn ensure(&self) {
        if !self.tstate.get().is_null() {
            return;
        }
        // SAFETY: the interpreter is initialized (callers run after `ensure_started`).
        // A thread without a thread state does not hold the GIL, so Ensure creates a
        // thread state and takes the GIL, and SaveThread releases the GIL while the
        // gilstate counter (1) keeps the thread state alive for later Ensure calls.
        unsafe {
            if !ffi::PyGILState_GetThisThreadState().is_null() {
                // A Python-created thread (or one already anchored by someone else).
                return;
            }
            ffi::PyGILState_Ensure();
            self.tstate.set(ffi::PyEval_SaveThread());
        }
    }
}

impl Drop for ThreadAnchor {
    fn drop(&mut self) {
        let tstate = self.tstate.get();
        if tstate.is_null() {
            return;
        }
        // SAFETY: `tstate` is this thread's state created in `ensure`, not current.
        // Restoring it takes the GIL; releasing the matching gilstate reference (taken
        // as UNLOCKED in `ensure`) clears and deletes it and drops the GIL. When the
        // interpreter is gone, or this is the main thread at process exit (where
        // another thread might hold the GIL forever), it is left to the process exit.
        unsafe {
            if ffi::Py_IsInitialized() == 0 || libc::getpid() == libc::gettid() {
                return;
            }
            ffi::PyEval_RestoreThread(tstate);
            ffi::PyGILState_Release(ffi::PyGILState_STATE::PyGILState_UNLOCKED);
        }
    }
}

thread_local! {
    static ANCHOR: ThreadAnchor = const { ThreadAnchor { tstate: Cell::new(std::ptr::null_mut()) } };
    static CURRENT_ELEMENT: Cell<*mut gst::ffi::GstObject> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs `f` with the GIL held. The interpreter must be started
/// (`bootstrap::ensure_started`). Streaming threads keep one Python thread state
/// for their whole life instead of creating one per buffer.
pub(crate) fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    // `try_with` fails only while the thread is being torn down; Python::attach then
    // falls back to a temporary thread state.
    let _ = ANCHOR.try_with(ThreadAnchor::ensure);
    Python::attach(f)
}

/// Marks `element` as the one whose Python code runs on this thread until the
/// returned guard drops, so Python `logging` records are attributed to it.
pub(super) fn running_for(element: &gst::Element) -> RunningGuard {
    let ptr: *mut gst::ffi::GstObject = element.upcast_ref::<gst::Object>().to_glib_none().0;
    let previous = CURRENT_ELEMENT.with(|c| c.replace(ptr));
    RunningGuard { previous }
}

/// The element marked by [`running_for`] on this thread (null when none).
pub(super) fn current_element() -> *mut gst::ffi::GstObject {
    CURRENT_ELEMENT.with(Cell::get)
}

/// Restores the previous current element when dropped.
pub(super) struct RunningGuard {
    previous: *mut gst::ffi::GstObject,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        CURRENT_ELEMENT.with(|c| c.set(self.previous));
    }
}

/// Number of Python thread states in the interpreter (for leak tests).
pub fn thread_state_count(_py: Python<'_>) -> usize {
    let mut count = 0;
    // SAFETY: the GIL is held (we have a `Python` token), which keeps the
    // interpreter's thread list stable while we walk it.
    unsafe {
        let interp = ffi::PyInterpreterState_Get();
        let mut tstate = ffi::PyInterpreterState_ThreadHead(interp);
        while !tstate.is_null() {
            count += 1;
            tstate = ffi::PyThreadState_Next(tstate);
        }
    }
    count
}
