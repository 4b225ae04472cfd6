//! The embedded Python host: one interpreter per process, shared by every
//! gvarust element.
//!
//! - [`ensure_started`] brings the interpreter up at the first element start
//!   (never while GStreamer scans plugins), or adopts the one that already runs
//!   when the host application is itself Python (PyGObject).
//! - [`attach`] runs Rust code with the GIL held. Streaming threads keep one
//!   Python thread state for their whole life instead of creating one per
//!   buffer; it is freed when the thread exits.
//! - [`Callback`] loads the user's module, class and function and calls them.
//!
//! Lock order everywhere: the GIL first, then any Rust mutex.

mod bootstrap;
mod callback;

use std::cell::Cell;
use std::sync::LazyLock;

use gst::glib;
use gst::glib::translate::{from_glib_borrow, Borrowed, ToGlibPtr};
use pyo3::ffi;
use pyo3::prelude::*;

pub use bootstrap::ensure_started;
pub use callback::{Callback, CallbackSpec, HookResult, PyFailure};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "gvarust",
        gst::DebugColorFlags::empty(),
        Some("gvarust Python callback element"),
    )
});

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

/// Runs `f` with the GIL held. The interpreter must be started ([`ensure_started`]).
pub fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    // `try_with` fails only while the thread is being torn down; Python::attach then
    // falls back to a temporary thread state.
    let _ = ANCHOR.try_with(ThreadAnchor::ensure);
    Python::attach(f)
}

/// Marks `element` as the one whose Python code runs on this thread until the
/// returned guard drops, so Python `logging` records are attributed to it.
pub fn running_for(element: &gst::Element) -> RunningGuard {
    let ptr: *mut gst::ffi::GstObject = element.upcast_ref::<gst::Object>().to_glib_none().0;
    let previous = CURRENT_ELEMENT.with(|c| c.replace(ptr));
    RunningGuard { previous }
}

/// Restores the previous current element when dropped.
pub struct RunningGuard {
    previous: *mut gst::ffi::GstObject,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        CURRENT_ELEMENT.with(|c| c.set(self.previous));
    }
}

use gst::prelude::*;

fn gst_level(python_level: i32) -> gst::DebugLevel {
    match python_level {
        l if l >= 40 => gst::DebugLevel::Error,
        l if l >= 30 => gst::DebugLevel::Warning,
        l if l >= 20 => gst::DebugLevel::Info,
        l if l >= 10 => gst::DebugLevel::Debug,
        _ => gst::DebugLevel::Log,
    }
}

/// The Python logging level matching the `gvarust` debug category's threshold,
/// so records the debug log would discard are not even formatted.
fn python_level() -> i32 {
    match CAT.threshold() {
        gst::DebugLevel::None => 50,
        gst::DebugLevel::Error => 40,
        gst::DebugLevel::Warning | gst::DebugLevel::Fixme => 30,
        gst::DebugLevel::Info => 20,
        gst::DebugLevel::Debug => 10,
        _ => 1,
    }
}

/// Receives records from the `gvarust` Python logger (see `host.py`).
#[pyfunction]
fn gst_log_sink(level: i32, file: &str, function: &str, line: u32, message: &str) {
    let level = gst_level(level);
    let file = glib::GString::from(file);
    let element = CURRENT_ELEMENT.with(Cell::get);
    if element.is_null() {
        CAT.log(
            None::<&gst::Object>,
            level,
            file.as_gstr(),
            function,
            line,
            format_args!("{message}"),
        );
    } else {
        // SAFETY: the pointer was set by `running_for` on this thread from an element
        // that is executing Python code right now, so it is alive.
        let object: Borrowed<gst::Object> = unsafe { from_glib_borrow(element) };
        CAT.log(
            Some(&*object),
            level,
            file.as_gstr(),
            function,
            line,
            format_args!("{message}"),
        );
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

/// Whether [`ensure_started`] has succeeded in this process.
pub fn is_started() -> bool {
    bootstrap::is_started()
}
