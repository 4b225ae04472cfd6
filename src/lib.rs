//! gvarust: a GStreamer element that runs user Python code on every buffer,
//! with DL Streamer-compatible video-analytics metadata.
//!
//! The plugin registers one element, `gvarust`. Python is started lazily at the
//! first element start (plugin loading and `gst-inspect-1.0` never start it).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod gva_exports;
pub mod gvarust;
pub mod pyhost;

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
    env!("CARGO_PKG_REPOSITORY"),
    env!("BUILD_REL_DATE")
);
