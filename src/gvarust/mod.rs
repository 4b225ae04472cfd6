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

/// Which metadata regions are written as, and read from.
#[derive(Debug, Eq, PartialEq, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstGvaRustMetadata")]
pub enum Metadata {
    /// DL Streamer's classic metadata only (region metas and their parameters).
    #[enum_value(
        name = "Gva: region metas (GstVideoRegionOfInterestMeta) and their parameters only",
        nick = "gva"
    )]
    Gva = 0,
    /// Region metas mirrored to GstAnalytics records, as DL Streamer 2025.2 does.
    #[enum_value(
        name = "Both: region metas mirrored to GstAnalytics records (GStreamer >= 1.24 builds)",
        nick = "both"
    )]
    Both = 1,
    #[enum_value(
        name = "Analytics: GstAnalytics records only; region metas are removed after the callback (GStreamer >= 1.24 builds)",
        nick = "analytics"
    )]
    Analytics = 2,
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata::from(gvarust_meta::analytics::MetadataMode::build_default())
    }
}

impl From<gvarust_meta::analytics::MetadataMode> for Metadata {
    fn from(mode: gvarust_meta::analytics::MetadataMode) -> Self {
        match mode {
            gvarust_meta::analytics::MetadataMode::Gva => Metadata::Gva,
            gvarust_meta::analytics::MetadataMode::Both => Metadata::Both,
            gvarust_meta::analytics::MetadataMode::Analytics => Metadata::Analytics,
        }
    }
}

impl Metadata {
    /// The model's mode.
    pub fn mode(self) -> gvarust_meta::analytics::MetadataMode {
        match self {
            Metadata::Gva => gvarust_meta::analytics::MetadataMode::Gva,
            Metadata::Both => gvarust_meta::analytics::MetadataMode::Both,
            Metadata::Analytics => gvarust_meta::analytics::MetadataMode::Analytics,
        }
    }
}

/// Where the user's Python runs.
#[derive(Debug, Eq, PartialEq, Hash, Clone, Copy, glib::Enum, Default)]
#[repr(u32)]
#[enum_type(name = "GstGvaRustIsolation")]
pub enum Isolation {
    /// In the pipeline's process (one GIL shared by every element of it).
    #[default]
    #[enum_value(
        name = "None: in the pipeline's process, sharing its one Python interpreter (fastest)",
        nick = "none"
    )]
    None = 0,
    /// In a worker process of the element's own.
    #[enum_value(
        name = "Process: in a worker process of this element's own (a GIL of its own; a crash ends the worker, not the pipeline)",
        nick = "process"
    )]
    Process = 1,
}

/// Registers the element with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    OnError::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    Metadata::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    Isolation::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "gvarust",
        gst::Rank::NONE,
        GvaRust::static_type(),
    )
}
