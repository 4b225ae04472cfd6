//! The bridge from Python's `logging` (the `gvarust` logger, see `host.py`) to
//! the GStreamer debug log, attributed to the element whose code runs.

use gst::glib;
use gst::glib::translate::{from_glib_borrow, Borrowed};
use pyo3::prelude::*;

use crate::CAT;

fn gst_level(python_level: i32) -> gst::DebugLevel {
    match python_level {
        l if l >= 40 => gst::DebugLevel::Error,
        l if l >= 30 => gst::DebugLevel::Warning,
        l if l >= 20 => gst::DebugLevel::Info,
        l if l >= 10 => gst::DebugLevel::Debug,
        _ => gst::DebugLevel::Log,
    }
}

/// The Python logging level matching the debug category's threshold, so
/// records the debug log would discard are not even formatted.
pub(super) fn python_level() -> i32 {
    match CAT.threshold() {
        gst::DebugLevel::None => 50,
        gst::DebugLevel::Error => 40,
        gst::DebugLevel::Warning | gst::DebugLevel::Fixme => 30,
        gst::DebugLevel::Info => 20,
        gst::DebugLevel::Debug => 10,
        _ => 1,
    }
}

/// Receives records from the `gvarust` Python logger.
#[pyfunction]
pub(super) fn gst_log_sink(level: i32, file: &str, function: &str, line: u32, message: &str) {
    let level = gst_level(level);
    let file = glib::GString::from(file);
    let element = super::threads::current_element();
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
