//! The gstgva-compatible Python API, a thin pyo3 layer over the Rust model.
//!
//! The same classes serve two hosts: the `gvarust` element registers them in
//! `sys.modules` of its embedded interpreter (see [`builtin_modules`]),
//! and the maturin build exposes them as the `gvarust` extension module for
//! PyGObject applications.
//!
//! Modules import one way (`scripts/check-import-graph.py` checks it). At the
//! bottom, building blocks that import no class: [`BufferSlot`] (`slot`), the
//! exceptions (`errors`), `helpers` (helpers.py, namespaces), `mapping`
//! (buffer memory for numpy arrays), `values`, `ndarray`, `pygobject`. Above
//! them the classes: `tensor`, then `region` and `audio` (which hand out
//! tensors), `pixels`, `event`, `util`; at the top `frame`, which hands out
//! all of them. This file only declares, re-exports and registers.

mod audio;
mod bulk;
mod errors;
mod event;
mod frame;
mod helpers;
mod mapping;
mod ndarray;
mod pixels;
mod pygobject;
mod region;
mod slot;
mod tensor;
mod util;
mod values;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

pub use audio::{segment_class, AudioEvent, AudioEventMetaView, AudioMapping, AudioStream};
pub use errors::{InvalidatedError, NotWritableError};
pub use event::Event;
pub use frame::{
    message_class, AudioFrame, Frame, FrameKind, MessageMeta, VideoFrame, VideoStream,
};
pub use mapping::writable_maps;
pub use pixels::{PixelAccess, PixelMapping};
pub use region::{rect_class, RegionMeta, RegionOfInterest};
pub use slot::BufferSlot;
pub use tensor::{Tensor, TensorBytes};
pub use values::{py_to_value, structure_to_dict, value_to_py};

/// Fills `m` with the classes, exceptions and helpers of the `gvarust` module.
pub fn init_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Frame>()?;
    m.add_class::<VideoFrame>()?;
    m.add_class::<AudioFrame>()?;
    m.add_class::<AudioEvent>()?;
    m.add_class::<AudioEventMetaView>()?;
    m.add_class::<AudioMapping>()?;
    m.add_class::<Event>()?;
    m.add_class::<PixelAccess>()?;
    m.add_class::<PixelMapping>()?;
    m.add_class::<RegionOfInterest>()?;
    m.add_class::<RegionMeta>()?;
    m.add_class::<Tensor>()?;
    m.add_class::<TensorBytes>()?;
    m.add_class::<MessageMeta>()?;
    m.add("Rect", rect_class(py)?)?;
    m.add("Message", message_class(py)?)?;
    m.add("Segment", segment_class(py)?)?;
    m.add("InvalidatedError", py.get_type::<InvalidatedError>())?;
    m.add("NotWritableError", py.get_type::<NotWritableError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(set_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(metadata, m)?)?;
    m.add(
        "ANALYTICS",
        crate::analytics::MetadataMode::analytics_available(),
    )?;
    m.add("util", util::util_module(py, "gvarust.util")?)?;
    let aliases = PyDict::new(py);
    for (sub, names) in GSTGVA_ALIASES {
        aliases.set_item(*sub, PyList::new(py, *names)?)?;
    }
    // Not in `__all__`: `from gvarust._native import *` does not copy it.
    m.setattr("_GSTGVA_ALIASES", aliases)?;
    Ok(())
}

/// Chooses the metadata of frames built from now on from PyGObject buffers (pad
/// probes): `"gva"` (region metas and their parameters only), `"both"` (region
/// metas mirrored to GstAnalytics records, as DL Streamer 2025.2; the default
/// where `gvarust.ANALYTICS` is true) or `"analytics"` (records only: frames work
/// as with `"both"`, and when a `GST_PAD_PROBE_INFO_BUFFER`/`TRANSFORM_IP_BUFFER`
/// block ends, the region metas that mirror records are removed, their
/// classifications kept as records). Raises `ValueError` for another name, or
/// for `"both"`/`"analytics"` in a build without GstAnalytics. Frames handed to a
/// `gvarust` element's callback follow the element's `metadata` property instead.
#[pyfunction]
fn set_metadata(mode: &str) -> PyResult<()> {
    let mode = crate::analytics::MetadataMode::from_nick(mode)
        .map_err(pyo3::exceptions::PyValueError::new_err)?;
    slot::set_default_metadata(mode);
    Ok(())
}

/// The metadata choice of frames built from PyGObject buffers: `"gva"`, `"both"`
/// or `"analytics"` (see `set_metadata()`).
#[pyfunction]
fn metadata() -> &'static str {
    slot::default_metadata().nick()
}

/// What the `gstgva` compatibility package re-exports from `gvarust`, as
/// `(submodule, names)`; `""` is the package itself: everything `gvarust`
/// exports (its `__all__`), with its own `util`.
///
/// The one list for both hosts: [`builtin_modules`] builds the element's
/// `gstgva` modules from it, and the pip package's `gstgva/*.py` files read it
/// as `gvarust._native._GSTGVA_ALIASES` (a `dict` of lists).
pub const GSTGVA_ALIASES: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "AudioEvent",
            "AudioEventMeta",
            "AudioFrame",
            "AudioMapping",
            "Event",
            "Frame",
            "InvalidatedError",
            "Message",
            "MessageMeta",
            "NotWritableError",
            "PixelAccess",
            "PixelMapping",
            "Rect",
            "RegionMeta",
            "RegionOfInterest",
            "Segment",
            "Tensor",
            "TensorBytes",
            "VideoFrame",
            "__version__",
            "ANALYTICS",
            "metadata",
            "set_metadata",
        ],
    ),
    ("video_frame", &["VideoFrame"]),
    (
        "audio",
        &["AudioFrame", "AudioEvent", "AudioEventMeta", "Segment"],
    ),
    // Classic gstgva's audio is a package of these modules.
    ("audio.audio_frame", &["AudioFrame"]),
    ("audio.audio_event", &["AudioEvent"]),
    ("audio.audio_event_meta", &["AudioEventMeta"]),
    ("region_of_interest", &["RegionOfInterest", "Rect"]),
    ("tensor", &["Tensor"]),
];

/// Builds the `gvarust` module and its compatibility aliases `gstgva`,
/// `gstgva.util`, `gstgva.video_frame`, `gstgva.audio`,
/// `gstgva.region_of_interest` and `gstgva.tensor` (see [`GSTGVA_ALIASES`]),
/// as `(sys.modules key, module)` pairs.
///
/// The element puts them into `sys.modules` of its interpreter, so callbacks
/// resolve `import gvarust` and `from gstgva import VideoFrame` to these classes
/// even when another `gstgva` is on `sys.path`.
pub fn builtin_modules(py: Python<'_>) -> PyResult<Vec<(String, Bound<'_, PyModule>)>> {
    let module = PyModule::new(py, "gvarust")?;
    init_module(&module)?;
    let compat = PyModule::new(py, "gstgva")?;
    compat.setattr("__path__", PyList::empty(py))?;
    let mut modules = vec![
        ("gvarust".to_string(), module.clone()),
        (
            "gvarust.util".to_string(),
            module.getattr("util")?.cast_into::<PyModule>()?,
        ),
    ];
    let compat_util = util::util_module(py, "gstgva.util")?;
    compat.setattr("util", &compat_util)?;
    modules.push(("gstgva.util".to_string(), compat_util));
    for (sub, names) in GSTGVA_ALIASES {
        let target = if sub.is_empty() {
            compat.clone()
        } else {
            PyModule::new(py, &format!("gstgva.{sub}"))?
        };
        for name in *names {
            target.setattr(*name, module.getattr(*name)?)?;
        }
        if !sub.is_empty() {
            // `audio.audio_frame` hangs off `gstgva.audio`, made before it.
            let (parent, leaf) = match sub.rsplit_once('.') {
                Some((parent, leaf)) => {
                    let parent_key = format!("gstgva.{parent}");
                    let parent = modules
                        .iter()
                        .find(|(key, _)| *key == parent_key)
                        .map(|(_, m)| m.clone())
                        .expect("GSTGVA_ALIASES lists a package before its modules");
                    (parent, leaf)
                }
                None => (compat.clone(), *sub),
            };
            parent.setattr(leaf, &target)?;
            modules.push((format!("gstgva.{sub}"), target));
        }
    }
    modules.push(("gstgva".to_string(), compat));
    Ok(modules)
}
