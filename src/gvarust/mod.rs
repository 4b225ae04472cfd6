//! The `gvarust` element: calls a user Python function (or a method of a user
//! class instance) on every buffer. See `imp.rs` for its whole life; the files
//! beside it hold its property values (`settings.rs`), statistics (`stats.rs`),
//! the slow-call watchdog (`watchdog.rs`) and the warning rate limit
//! (`warnings.rs`). The Python side is `crate::pyhost`.

use gst::glib;
use gst::prelude::*;

mod imp;
mod settings;
mod stats;
mod warnings;
mod watchdog;

glib::wrapper! {
    /// The `gvarust` element (an in-place `GstBaseTransform`).
    pub struct GvaRust(ObjectSubclass<imp::GvaRust>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

/// What happens when the Python callback (or a hook) raises.
#[derive(Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Clone, Copy, glib::Enum, Default)]
#[repr(u32)]
#[enum_type(name = "GstGvaRustOnError")]
pub enum OnError {
    /// Post an error and stop the stream.
    #[default]
    #[enum_value(
        name = "Fail: post an element error with the traceback and stop",
        nick = "fail"
    )]
    Fail = 0,
    /// Drop the buffer and post a (rate-limited) warning.
    #[enum_value(
        name = "Drop: drop the buffer and post a rate-limited warning",
        nick = "drop"
    )]
    Drop = 1,
    /// Pass the buffer on unchanged and post a (rate-limited) warning.
    #[enum_value(
        name = "Pass: push the buffer on and post a rate-limited warning",
        nick = "pass"
    )]
    Pass = 2,
}

/// Registers the element with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    OnError::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "gvarust",
        gst::Rank::NONE,
        GvaRust::static_type(),
    )
}
