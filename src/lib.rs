//! gvarust: a GStreamer element that runs user Python code on every buffer,
//! with DL Streamer-compatible video-analytics metadata.
//!
//! The plugin registers one element, `gvarust`. Python is started lazily at the
//! first element start (plugin loading and `gst-inspect-1.0` never start it).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod gva_exports;
pub mod gvarust;
pub mod isolation;
mod library;
pub mod pyhost;

use std::sync::LazyLock;

/// The plugin's one debug category: the element, the Python host, and Python
/// `logging` records of callbacks (`GST_DEBUG=gvarust:5`).
pub(crate) static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "gvarust",
        gst::DebugColorFlags::empty(),
        Some("gvarust Python callback element"),
    )
});

fn plugin_init(plugin: &gst::Plugin) -> Result<(), gst::glib::BoolError> {
    gvarust::register(plugin)
}

gst::plugin_define!(
    gvarust,
    env!("CARGO_PKG_DESCRIPTION"),
    plugin_init,
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("COMMIT_ID")),
    "MIT/X11",
    env!("CARGO_PKG_NAME"),
    env!("CARGO_PKG_NAME"),
    // The origin URL: GStreamer's own default when a build names none (the
    // project has no public address to point at).
    "Unknown package origin",
    env!("BUILD_REL_DATE")
);
