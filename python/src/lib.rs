//! Read and write DL Streamer-compatible video-analytics metadata on GStreamer buffers.
//!
//! The crate is plain Rust over GStreamer types:
//! - [`meta`]: the GVA tensor, JSON and audio event metas (registration with DL Streamer's exact
//!   names and C layouts, and safe wrappers);
//! - [`tensor`]: a typed view of a tensor `GstStructure` ([`tensor::Tensor`]), with the
//!   [`tensor::Precision`] and [`tensor::Layout`] enums;
//! - [`region`]: helpers over `GstVideoRegionOfInterestMeta` (detection parameters, object ids,
//!   clipping);
//! - [`analytics`]: the [`analytics::MetadataMode`] choice and, with the `analytics` feature
//!   (GStreamer >= 1.24), the mirror between region metas and GstAnalytics records;
//! - [`frame`]: per-buffer operations (list, add and remove regions, tensors and messages);
//! - [`transfer`]: a buffer's metadata as bytes and back (for callbacks in another process).
//!
//! The optional `python` feature adds the gstgva-compatible Python classes in `py`.

#![warn(missing_docs)]

pub mod analytics;
pub mod frame;
pub mod meta;
pub mod region;
pub mod tensor;
pub mod transfer;

#[cfg(feature = "python")]
pub mod py;

pub use meta::{AudioEventMeta, JsonMeta, TensorMeta};
pub use tensor::{Layout, Precision, Tensor, TensorError};

/// Initializes GStreamer once for unit tests.
#[cfg(test)]
pub(crate) fn test_init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| gst::init().expect("GStreamer initialization failed"));
}

#[cfg(feature = "python")]
mod extension;
