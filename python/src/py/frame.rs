//! `Frame`, `VideoFrame` and `AudioFrame`: Python views of one buffer.
//!
//! A frame handed to a callback does not own its buffer: it points at the
//! buffer through a shared [`BufferSlot`] that the element clears when the
//! callback returns, so a frame (or anything derived from it) kept by Python
//! raises `InvalidatedError` instead of touching freed memory.
//!
//! The frame classes sit at the top of the layer: they import the other
//! classes, and no class imports them.

use std::sync::Arc;

use gst::glib::translate::IntoGlib;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::audio::{AudioEvent, AudioStream};
use super::helpers::{helpers, namespace, type_name};
use super::region::RegionOfInterest;
use super::slot::BufferSlot;
use super::tensor::Tensor;
use crate::frame as model;
use crate::region as roi_model;

/// The video side of a stream, decided once per caps and shared by its frames.
#[derive(Clone)]
pub struct VideoStream {
    /// The video info; `None` when the caps are not raw video.
    pub info: Option<Arc<gst_video::VideoInfo>>,
    /// What `video_info()` returns, built at first use once per caps.
    py_info: Arc<PyOnceLock<Py<PyAny>>>,
}

impl VideoStream {
    /// A stream with `info` (its Python `video_info()` object is built lazily).
    pub fn new(info: Option<gst_video::VideoInfo>) -> Self {
        VideoStream {
            info: info.map(Arc::new),
            py_info: Arc::new(PyOnceLock::new()),
        }
    }

    /// A stream whose `video_info()` is the given Python object (for frames
    /// built from PyGObject objects: the `GstVideo.VideoInfo` the caller passed).
    pub fn with_py_info(
        py: Python<'_>,
        info: Option<gst_video::VideoInfo>,
        py_info: Py<PyAny>,
    ) -> Self {
        let stream = VideoStream::new(info);
        let _ = stream.py_info.set(py, py_info);
        stream
    }
}

impl Default for VideoStream {
    fn default() -> Self {
        VideoStream::new(None)
    }
}

impl std::fmt::Debug for VideoStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoStream")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// What kind of frame a stream's caps call for, decided once per caps.
#[derive(Debug, Clone, Default)]
pub enum FrameKind {
    /// `video/*` and `image/*` caps (see [`VideoStream`]).
    Video(VideoStream),
    /// `audio/*` caps (see [`AudioStream`]).
    Audio(AudioStream),
    /// Any other caps, or no caps at all: metadata and messages only.
    #[default]
    Other,
}

impl FrameKind {
    /// Chooses the frame class for `caps` (`None` for a stream without caps).
    pub fn from_caps(caps: Option<&gst::CapsRef>) -> Self {
        let Some(structure) = caps.and_then(|caps| caps.structure(0)) else {
            return FrameKind::Other;
        };
        let name = structure.name();
        let caps = caps.expect("structure came from caps");
        if name.starts_with("video/") || name.starts_with("image/") {
            FrameKind::Video(VideoStream::new(gst_video::VideoInfo::from_caps(caps).ok()))
        } else if name.starts_with("audio/") {
            FrameKind::Audio(AudioStream::new(gst_audio::AudioInfo::from_caps(caps).ok()))
        } else {
            FrameKind::Other
        }
    }

    /// Name of the Python class this kind produces.
    pub fn class_name(&self) -> &'static str {
        match self {
            FrameKind::Video(_) => "VideoFrame",
            FrameKind::Audio(_) => "AudioFrame",
            FrameKind::Other => "Frame",
        }
    }

    /// Builds the frame object for one buffer.
    pub fn make_frame<'py>(
        &self,
        py: Python<'py>,
        slot: Arc<BufferSlot>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let base = Frame { slot };
        Ok(match self {
            FrameKind::Video(stream) => Bound::new(
                py,
                PyClassInitializer::from(base).add_subclass(VideoFrame::from_stream(stream)),
            )?
            .into_any(),
            FrameKind::Audio(stream) => Bound::new(
                py,
                PyClassInitializer::from(base).add_subclass(AudioFrame::from_stream(stream)),
            )?
            .into_any(),
            FrameKind::Other => Bound::new(py, base)?.into_any(),
        })
    }
}

fn clock_time(time: Option<gst::ClockTime>) -> Option<u64> {
    time.map(gst::ClockTime::nseconds)
}

/// A buffer with its metadata and messages (the base of every frame class).
#[pyclass(module = "gvarust", subclass, frozen)]
pub struct Frame {
    pub(crate) slot: Arc<BufferSlot>,
}

#[pymethods]
impl Frame {
    /// `Frame(buffer)`: metadata and messages of a PyGObject `Gst.Buffer`
    /// (for example in a pad probe). The frame keeps the buffer alive.
    #[new]
    fn py_new(buffer: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Frame {
            slot: BufferSlot::from_py_buffer(buffer)?,
        })
    }

    /// The frame's buffer as a PyGObject `Gst.Buffer`.
    ///
    /// For a frame built from a `Gst.Buffer`, that same object. Inside a gvarust
    /// callback, a new wrapper holding its own reference: while it is referenced
    /// the buffer counts as shared, so metadata writes raise `NotWritableError`.
    fn buffer(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let buffer = self.slot.buffer()?;
        match self.slot.owner() {
            Some(owner) => Ok(owner.clone_ref(py)),
            None => Ok(super::pygobject::buffer_to_py(py, buffer)?.unbind()),
        }
    }

    /// Presentation timestamp in nanoseconds, or `None`.
    #[getter]
    fn pts(&self) -> PyResult<Option<u64>> {
        Ok(clock_time(self.slot.buffer()?.pts()))
    }

    /// Decoding timestamp in nanoseconds, or `None`.
    #[getter]
    fn dts(&self) -> PyResult<Option<u64>> {
        Ok(clock_time(self.slot.buffer()?.dts()))
    }

    /// Duration in nanoseconds, or `None`.
    #[getter]
    fn duration(&self) -> PyResult<Option<u64>> {
        Ok(clock_time(self.slot.buffer()?.duration()))
    }

    /// Buffer offset (for video usually the frame number), or `None`.
    #[getter]
    fn offset(&self) -> PyResult<Option<u64>> {
        let offset = self.slot.buffer()?.offset();
        Ok((offset != gst::ffi::GST_BUFFER_OFFSET_NONE).then_some(offset))
    }

    /// Size of the buffer's data in bytes.
    fn size(&self) -> PyResult<usize> {
        Ok(self.slot.buffer()?.size())
    }

    /// Whether the frame can still be used (it is valid during the callback only).
    fn is_valid(&self) -> bool {
        self.slot.buffer().is_ok()
    }

    /// Address of the underlying `GstBuffer` (for ctypes interop), valid during the callback.
    fn buffer_address(&self) -> PyResult<usize> {
        let buffer = self.slot.buffer()?;
        let ptr: *const gst::ffi::GstBuffer = buffer.as_ptr();
        Ok(ptr as usize)
    }

    /// An iterator over the frame's tensors (GVA tensor metas), in the order
    /// they were added.
    fn tensors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let seqnums = model::tensor_seqnums(self.slot.buffer()?);
        let tensors = seqnums
            .into_iter()
            .map(|seqnum| Tensor::from_meta(self.slot.clone(), seqnum));
        Ok(PyTuple::new(py, tensors)?.try_iter()?.into_any())
    }

    /// Adds a GVA tensor meta (an empty structure named `meta`) and returns its tensor.
    fn add_tensor(&self) -> PyResult<Tensor> {
        self.slot.buffer()?;
        let seqnum = self
            .slot
            .with_buffer_mut(|b| model::add_tensor(b).map(|m| model::meta_seqnum(&*m)))?;
        let seqnum = seqnum.map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(Tensor::from_meta(self.slot.clone(), seqnum))
    }

    /// The frame's JSON messages (GVA JSON metas) in the order they were
    /// added, as a list of `Message` (a `str` that remembers its meta, for
    /// `remove_message()`).
    fn messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let found: Vec<(u64, String)> = model::messages(self.slot.buffer()?)
            .iter()
            .filter_map(|m| {
                m.message()
                    .map(|text| (model::meta_seqnum(&**m), text.into_owned()))
            })
            .collect();
        let list = PyList::empty(py);
        for (seqnum, text) in found {
            list.append(make_message(py, &self.slot, seqnum, text)?)?;
        }
        Ok(list)
    }

    /// Adds a JSON message (a GVA JSON meta) and returns it as a `Message`.
    /// Raises `ValueError` for a text with a NUL character.
    fn add_message<'py>(&self, py: Python<'py>, message: &str) -> PyResult<Bound<'py, PyAny>> {
        self.slot.buffer()?;
        let seqnum = self
            .slot
            .with_buffer_mut(|b| model::add_message(b, message).map(|m| model::meta_seqnum(&*m)))?;
        let seqnum = seqnum.map_err(|e| PyValueError::new_err(e.to_string()))?;
        make_message(py, &self.slot, seqnum, message.to_owned())
    }

    /// Removes a message obtained from this frame's `messages()` or
    /// `add_message()`. Raises `RuntimeError` if it did not come from this
    /// frame (a plain `str` included) or was already removed.
    fn remove_message(&self, message: &Bound<'_, PyAny>) -> PyResult<()> {
        self.slot.buffer()?;
        let not_ours = || PyRuntimeError::new_err("the message does not belong to this frame");
        let meta = message.getattr_opt("meta")?.ok_or_else(not_ours)?;
        let meta = meta.cast::<MessageMeta>().map_err(|_| not_ours())?.get();
        meta.slot.buffer()?;
        if !Arc::ptr_eq(&meta.slot, &self.slot) {
            return Err(not_ours());
        }
        let seqnum = meta.seqnum;
        if self
            .slot
            .with_buffer_mut(|b| model::remove_message(b, seqnum))?
        {
            Ok(())
        } else {
            Err(PyRuntimeError::new_err(
                "the message was already removed from this frame",
            ))
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let class = type_name(slf.as_any(), "Frame");
        match slf.get().slot.buffer() {
            Ok(buffer) => format!(
                "<gvarust.{class} pts={} size={}>",
                buffer
                    .pts()
                    .map_or("none".to_string(), |t| t.nseconds().to_string()),
                buffer.size()
            ),
            Err(_) => format!("<gvarust.{class} (invalidated)>"),
        }
    }
}

/// A video (or image) frame: a [`Frame`] with the stream's video geometry.
#[pyclass(module = "gvarust", extends = Frame, frozen)]
pub struct VideoFrame {
    pub(crate) info: Option<Arc<gst_video::VideoInfo>>,
    /// What `video_info()` returns, shared by the frames of one stream/caps.
    pub(crate) py_info: Arc<PyOnceLock<Py<PyAny>>>,
}

#[pymethods]
impl VideoFrame {
    /// `VideoFrame(buffer, video_info=None, caps=None)` over a PyGObject
    /// `Gst.Buffer`. Geometry comes from `video_info` (a `GstVideo.VideoInfo`),
    /// else from `caps` (a `Gst.Caps`), else from the buffer's `GstVideoMeta`;
    /// without any, only metadata and messages work. A `Gst.Caps` passed as the
    /// second argument is taken as `caps`, so DL Streamer's documented
    /// `VideoFrame(buffer, caps)` works too. `metadata` (`"gva"`, `"both"` or
    /// `"analytics"`) chooses this frame's metadata, as `set_metadata()` does for
    /// every frame built afterwards (its default when not given).
    #[new]
    #[pyo3(signature = (buffer, video_info=None, caps=None, *, metadata=None))]
    fn py_new(
        py: Python<'_>,
        buffer: &Bound<'_, PyAny>,
        video_info: Option<&Bound<'_, PyAny>>,
        caps: Option<&Bound<'_, PyAny>>,
        metadata: Option<&str>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let mode = metadata
            .map(crate::analytics::MetadataMode::from_nick)
            .transpose()
            .map_err(PyValueError::new_err)?;
        let slot = BufferSlot::from_py_buffer(buffer)?;
        if let Some(mode) = mode {
            slot.set_metadata(mode);
        }
        let mut video_info = video_info.filter(|i| !i.is_none());
        let mut caps = caps.filter(|c| !c.is_none());
        if let Some(info) = video_info {
            if super::pygobject::is_gi_instance(info, "Gst", "Caps") {
                if caps.is_some() {
                    return Err(PyTypeError::new_err(
                        "VideoFrame() got caps twice: as the second argument and as caps=",
                    ));
                }
                caps = Some(info);
                video_info = None;
            }
        }
        let stream = match (video_info, caps) {
            (Some(info), _) => VideoStream::with_py_info(
                py,
                Some(super::pygobject::video_info_from_py(info)?),
                info.clone().unbind(),
            ),
            (None, Some(caps)) => {
                let caps = super::pygobject::caps_from_py(caps)?;
                VideoStream::new(gst_video::VideoInfo::from_caps(&caps).ok())
            }
            (None, None) => VideoStream::new(video_info_from_meta(slot.buffer()?)),
        };
        Ok(PyClassInitializer::from(Frame { slot }).add_subclass(VideoFrame::from_stream(&stream)))
    }

    /// Frame width in pixels (raises `RuntimeError` without video info).
    #[getter]
    fn width(&self) -> PyResult<u32> {
        Ok(self.video_info_ref()?.width())
    }

    /// Frame height in pixels (raises `RuntimeError` without video info).
    #[getter]
    fn height(&self) -> PyResult<u32> {
        Ok(self.video_info_ref()?.height())
    }

    /// Pixel format name such as `"BGRx"` (raises `RuntimeError` without video info).
    #[getter]
    fn format(&self) -> PyResult<String> {
        Ok(self.video_info_ref()?.format().to_str().to_string())
    }

    /// Context manager mapping the pixels as a zero-copy numpy array.
    ///
    /// `with frame.data() as a:` yields an `ndarray` over the mapped pixels;
    /// the mapping is released when the block ends. The context manager itself
    /// is not an array: indexing it, iterating over it or passing it to
    /// `numpy.asarray()` raises `TypeError`.
    ///
    /// `flags`: `None` maps READ|WRITE when the buffer is writable (always so
    /// inside gvarust callbacks), else READ; or an int / `Gst.MapFlags`
    /// (READ=1, WRITE=2, READ|WRITE=3). The array is writable only for a WRITE
    /// mapping.
    ///
    /// Shapes (row strides always come from the buffer's `GstVideoMeta` or the
    /// caps, so padded rows stay aligned):
    /// - RGB, BGR: `(H, W, 3)` uint8; RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB,
    ///   ABGR: `(H, W, 4)` uint8;
    /// - ARGB64, ARGB64_LE/BE, RGBA64_LE/BE, BGRA64_LE/BE, ABGR64_LE/BE (16 bits
    ///   per channel; an unconstrained `videotestsrc` negotiates ABGR64_LE):
    ///   `(H, W, 4)` uint16 in the format's byte order (`<u2` or `>u2`; ARGB64
    ///   is native-endian), channels in the format's order;
    /// - GRAY8: `(H, W, 1)` uint8; GRAY16_LE / GRAY16_BE: `(H, W, 1)` uint16;
    /// - YUY2, UYVY, YVYU: `(H, W, 2)` uint8;
    /// - NV12, NV21, I420, YV12: `(H + ceil(H/2), W, 1)` uint8 (`H*3/2` rows for
    ///   an even height; the width must be even): the luma rows, then the chroma
    ///   bytes packed into rows of `W` bytes. A zero-copy view when the planes
    ///   lie one after another with matching strides; otherwise a copy, with a
    ///   `UserWarning` (a WRITE copy is written back when the block ends).
    ///
    /// Lifetime: leaving the block empties a WRITE array (shape `(0, ...)`,
    /// read-only) and releases the mapping. If a WRITE array is still referenced
    /// elsewhere (a second name, a container, a slice of it), leaving the block
    /// raises `BufferError` instead. A READ array stays valid as long as it is
    /// referenced, even after the callback returned (it keeps the memory alive;
    /// later writers of the buffer get a copy).
    ///
    /// Raises `RuntimeError` for formats not listed above (naming the format),
    /// memory that cannot be mapped (naming its type) or a frame without video
    /// info; `InvalidatedError` after the callback returned; `NotWritableError`
    /// for WRITE on a shared buffer; `ValueError`/`TypeError` for bad flags.
    #[pyo3(signature = (flags=None))]
    fn data(
        slf: &Bound<'_, Self>,
        flags: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<super::pixels::PixelAccess> {
        super::pixels::PixelAccess::new(
            slf.as_super().get().slot.clone(),
            slf.get().info.clone(),
            flags,
            super::pixels::Request::Data,
        )
    }

    /// An iterator over the frame's regions (`RegionOfInterest`), in the order
    /// they were added. With `metadata` "both", GstAnalytics object-detection
    /// records without a region meta are read as regions first (a region meta is
    /// added for each, with the record's id; they come after the others, in record
    /// order); that needs a writable buffer, and is skipped on a shared one.
    fn regions<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let slot = Self::listed_slot(slf)?;
        let found: Vec<(u64, *const crate::region::RoiMeta)> =
            model::regions_with_seqnums(slot.buffer()?)
                .iter()
                .map(|(seqnum, roi)| (*seqnum, &**roi as *const _))
                .collect();
        // The tuple is filled straight from the addresses, with no list of
        // objects in between.
        let regions = found
            .into_iter()
            .map(|(seqnum, ptr)| RegionOfInterest::found(slot.clone(), seqnum, ptr));
        Ok(PyTuple::new(py, regions)?.try_iter()?.into_any())
    }

    /// All regions as one numpy structured array, a row per region in
    /// `regions()` order, with the fields `x`, `y`, `w`, `h` (int32, pixels),
    /// `confidence` (float32, NaN without a detection confidence), `label_id`
    /// (int32), `id` (int32), `parent_id` and `object_id` (int32); -1 stands for
    /// a missing `label_id`, `parent_id` or `object_id`. A copy: changing it
    /// changes nothing on the frame. `regions_labels()` gives the labels.
    fn regions_array<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let slot = Self::listed_slot(slf)?;
        super::bulk::regions_array(slf.py(), slot.buffer()?)
    }

    /// The labels of all regions as a list of `str`, in `regions()` order (the
    /// rows of `regions_array()`); `""` for a region without a label.
    fn regions_labels<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let slot = Self::listed_slot(slf)?;
        super::bulk::regions_labels(slf.py(), slot.buffer()?)
    }

    /// Adds one region per row of `boxes`, an (N, 4) array-like of `x, y, w, h`
    /// (pixels, or fractions of the frame size when `normalized`), with the
    /// rules of `add_region()`: boxes outside the frame are clipped (one
    /// `UserWarning` for the call), each region gets a fresh id and a first
    /// `detection` tensor. `labels` is one `str` for all or one per box,
    /// `confidences` one float or one per box (default 0.0), `label_ids` one
    /// int or one per box (stored as the detection's `label_id`; none by
    /// default). `tensors` adds, after each region's detection, one tensor
    /// per name of a dict `{name: {field: values}}`, as
    /// `roi.add_tensor(name)` and `tensor[field] = value` would: `values` is
    /// one value for every box, or a list, tuple or 1-D numpy array of one
    /// value per box. Returns the new regions' ids as an int32 array. Nothing
    /// is added when an argument is refused.
    #[pyo3(signature = (boxes, labels = None, confidences = None, label_ids = None, normalized = false, tensors = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_regions<'py>(
        slf: &Bound<'py, Self>,
        boxes: &Bound<'py, PyAny>,
        labels: Option<&Bound<'py, PyAny>>,
        confidences: Option<&Bound<'py, PyAny>>,
        label_ids: Option<&Bound<'py, PyAny>>,
        normalized: bool,
        tensors: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let slot = slf.as_super().get().slot.clone();
        let frame_size = slf.get().frame_size(slot.buffer()?)?;
        super::bulk::add_regions(
            slf.py(),
            &slot,
            frame_size,
            boxes,
            labels,
            confidences,
            label_ids,
            normalized,
            tensors,
        )
    }

    /// Adds a region and returns it.
    ///
    /// `x, y, w, h` are pixels, or fractions of the frame size when
    /// `normalized` (converted with `int()`). A box not inside the frame is
    /// clipped, with a `UserWarning`. The region gets `label` (its `roi_type`),
    /// a fresh id and a first `detection` tensor with `confidence` and the
    /// normalized box (`x_min`, `x_max`, `y_min`, `y_max`); `extra_params` (any
    /// JSON-serializable value) is stored there as the string field
    /// `extra_params_json`. With `metadata` "both", the region is mirrored to a
    /// GstAnalytics object-detection record whose id becomes the region id.
    /// Raises `RuntimeError` without video info.
    #[pyo3(signature = (x, y, w, h, label = "", confidence = 0.0, normalized = false, extra_params = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_region(
        slf: &Bound<'_, Self>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        w: &Bound<'_, PyAny>,
        h: &Bound<'_, PyAny>,
        label: &str,
        confidence: f64,
        normalized: bool,
        extra_params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RegionOfInterest> {
        let py = slf.py();
        let slot = slf.as_super().get().slot.clone();
        let (width, height) = slf.get().frame_size(slot.buffer()?)?;
        if label.contains('\0') {
            return Err(PyValueError::new_err(
                "a label cannot contain NUL characters",
            ));
        }
        let (x, y, w, h) = if normalized {
            let f = |v: &Bound<'_, PyAny>| -> PyResult<f64> { v.extract::<f64>() };
            let (fx, fy, fw, fh) = (f(x)?, f(y)?, f(w)?, f(h)?);
            if [fx, fy, fw, fh].iter().any(|v| !v.is_finite()) {
                return Err(PyValueError::new_err("region coordinates must be finite"));
            }
            roi_model::denormalize(fx, fy, fw, fh, width, height)
        } else {
            (pixel(x)?, pixel(y)?, pixel(w)?, pixel(h)?)
        };
        let (rect, clipped) = roi_model::clip_rect(x, y, w, h, width, height);
        if clipped {
            let message = std::ffi::CString::new(format!(
                "ROI coordinates [x, y, w, h] are out of image borders and will be clipped: \
                 [{x}, {y}, {w}, {h}] -> [{}, {}, {}, {}]",
                rect.x, rect.y, rect.w, rect.h
            ))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
            PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)?;
        }
        let extra = match extra_params.filter(|p| !p.is_none()) {
            Some(params) => Some(
                py.import("json")?
                    .call_method1("dumps", (params,))?
                    .extract::<String>()?,
            ),
            None => None,
        };
        slot.buffer()?;
        let (seqnum, ptr) = slot
            .with_buffer_mut(|b| {
                let mut roi =
                    roi_model::add_region(b, label, rect, (width, height), confidence, None);
                if let Some(extra) = &extra {
                    roi_model::detection_mut(&mut roi).set("extra_params_json", extra.as_str());
                }
                let seqnum = model::meta_seqnum::<roi_model::RoiMeta>(&roi);
                let ptr = &*roi as *const roi_model::RoiMeta;
                crate::analytics::region_added(b, seqnum, slot.metadata()).map(|()| (seqnum, ptr))
            })?
            .map_err(PyRuntimeError::new_err)?;
        // The new meta stays where it is (mirroring only adds records elsewhere):
        // the region starts with its address cached.
        Ok(RegionOfInterest::found(slot, seqnum, ptr))
    }

    /// Removes `region` from the frame. Raises `RuntimeError` if it is not on
    /// this frame (another frame's region, or already removed).
    fn remove_region(slf: &Bound<'_, Self>, region: &Bound<'_, PyAny>) -> PyResult<()> {
        let slot = &slf.as_super().get().slot;
        slot.buffer()?;
        let region = region
            .cast::<RegionOfInterest>()
            .map_err(|_| PyTypeError::new_err("remove_region() takes a RegionOfInterest"))?;
        let region = region.get();
        let not_here = || PyRuntimeError::new_err("the region is not on this frame");
        if !Arc::ptr_eq(&region.slot, slot) {
            region.slot.buffer()?;
            return Err(not_here());
        }
        let seqnum = region.seqnum;
        let mode = slot.metadata();
        if slot
            .with_buffer_mut(|b| {
                crate::analytics::region_removing(b, seqnum, mode)
                    .map(|()| model::remove_region(b, seqnum))
            })?
            .map_err(PyRuntimeError::new_err)?
        {
            Ok(())
        } else {
            Err(not_here())
        }
    }

    /// The frame's metadata as a `dict` in the JSON layout of DL Streamer's
    /// `gvametaconvert`: `objects` (one per region: `x`, `y`, `w`, `h`,
    /// `region_id`, `roi_type`, `detection` with `bounding_box`, `confidence`,
    /// `label_id`, `label`, and each classification by name), `tensors`,
    /// `resolution` and `timestamp` (the PTS in nanoseconds). Tensor data is
    /// left out unless `include_data=True`. Non-finite numbers (a NaN or
    /// infinite confidence) become `None`, so the result is strict JSON.
    #[pyo3(signature = (include_data=false))]
    fn to_dict<'py>(slf: &Bound<'py, Self>, include_data: bool) -> PyResult<Bound<'py, PyAny>> {
        helpers(slf.py())?.call_method1("frame_to_dict", (slf, include_data))
    }

    /// `to_dict()` serialized as strict JSON text (`null` for non-finite
    /// numbers, never `NaN` or `Infinity`; `indent` as in `json.dumps`).
    #[pyo3(signature = (include_data=false, indent=None))]
    fn to_json<'py>(
        slf: &Bound<'py, Self>,
        include_data: bool,
        indent: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        helpers(slf.py())?.call_method1("frame_to_json", (slf, include_data, indent))
    }

    /// The stream's video info: a PyGObject `GstVideo.VideoInfo` when PyGObject
    /// is importable (built once per caps, shared by the stream's frames),
    /// else an object with `width`, `height`, `fps_n`, `fps_d`, `par_n`,
    /// `par_d`, `stride`, `offset`, `size`, `finfo.format`, `finfo.name`.
    /// `None` when the caps are not raw video.
    fn video_info<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        slf.as_super().get().slot.buffer()?;
        let this = slf.get();
        let Some(info) = this.info.as_deref() else {
            return Ok(py.None().into_bound(py));
        };
        this.py_info
            .get_or_try_init(py, || build_video_info(py, info))
            .map(|o| o.bind(py).clone())
    }

    /// The buffer's `GstVideoMeta` as an object with `flags`, `format` (name),
    /// `id`, `width`, `height`, `n_planes`, `offset` and `stride` (lists), or
    /// `None` when the buffer has none.
    fn video_meta<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let buffer = slf.as_super().get().slot.buffer()?;
        let Some(meta) = buffer.meta::<gst_video::VideoMeta>() else {
            return Ok(py.None().into_bound(py));
        };
        let n_planes = meta.n_planes() as usize;
        let kwargs = PyDict::new(py);
        kwargs.set_item("flags", meta.flags().bits())?;
        kwargs.set_item("format", meta.format().to_str().as_str())?;
        kwargs.set_item("id", meta.id())?;
        kwargs.set_item("width", meta.width())?;
        kwargs.set_item("height", meta.height())?;
        kwargs.set_item("n_planes", n_planes)?;
        kwargs.set_item("offset", meta.offset().get(..n_planes).unwrap_or_default())?;
        kwargs.set_item("stride", meta.stride().get(..n_planes).unwrap_or_default())?;
        namespace(py, &kwargs)
    }

    /// Context manager mapping every plane as a zero-copy numpy array.
    ///
    /// `with frame.planes() as planes:` yields a list with one 2-D uint8 array
    /// per plane, shaped `(plane rows, plane row length in bytes)` with the
    /// plane's stride (e.g. NV12: `[(H, W), (ceil(H/2), 2*ceil(W/2))]`; I420:
    /// `[(H, W), (ceil(H/2), ceil(W/2)), (ceil(H/2), ceil(W/2))]`; BGRx:
    /// `[(H, 4*W)]`). Works for every non-tiled format, including those `data()`
    /// does not support (such as v210 or I420_10LE, whose rows are raw bytes).
    /// `flags` and the lifetime rules are those of `data()`.
    #[pyo3(signature = (flags=None))]
    fn planes(
        slf: &Bound<'_, Self>,
        flags: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<super::pixels::PixelAccess> {
        super::pixels::PixelAccess::new(
            slf.as_super().get().slot.clone(),
            slf.get().info.clone(),
            flags,
            super::pixels::Request::Planes,
        )
    }
}

impl VideoFrame {
    /// The frame fields for a buffer of `stream`. A constructor from PyGObject
    /// objects builds its `VideoStream` with [`VideoStream::with_py_info`].
    pub fn from_stream(stream: &VideoStream) -> Self {
        VideoFrame {
            info: stream.info.clone(),
            py_info: stream.py_info.clone(),
        }
    }

    /// Frame size from the video info, else from the buffer's `GstVideoMeta`.
    /// The frame's slot, once GstAnalytics records without region meta are
    /// imported as regions (with `metadata` "both" on a writable buffer), so
    /// listings see them.
    fn listed_slot<'a>(slf: &'a Bound<'_, Self>) -> PyResult<&'a Arc<BufferSlot>> {
        let slot = &slf.as_super().get().slot;
        let mode = slot.metadata();
        if crate::analytics::has_records(slot.buffer()?, mode) && slot.is_writable()? {
            let size = slf.get().frame_size(slot.buffer()?).ok();
            slot.with_buffer_mut(|b| crate::analytics::before_listing(b, size, mode))?
                .map_err(PyRuntimeError::new_err)?;
        }
        Ok(slot)
    }

    fn frame_size(&self, buffer: &gst::BufferRef) -> PyResult<(u32, u32)> {
        if let Some(info) = self.info.as_deref() {
            return Ok((info.width(), info.height()));
        }
        if let Some(meta) = buffer.meta::<gst_video::VideoMeta>() {
            return Ok((meta.width(), meta.height()));
        }
        Err(PyRuntimeError::new_err(
            "this frame has no video info (the caps are not raw video and the buffer has \
             no GstVideoMeta), so regions cannot be placed",
        ))
    }

    fn video_info_ref(&self) -> PyResult<&gst_video::VideoInfo> {
        self.info.as_deref().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "this frame has no video info (the caps are not raw video)",
            )
        })
    }
}

/// A pixel coordinate given to `add_region`: an int, or a float truncated like `int()`.
fn pixel(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    if let Ok(i) = value.extract::<i64>() {
        return Ok(i);
    }
    let f: f64 = value.extract()?;
    if !f.is_finite() {
        return Err(PyValueError::new_err("region coordinates must be finite"));
    }
    // `as` saturates out-of-range values; clipping then brings them into the frame.
    Ok(f as i64)
}

/// The geometry a buffer's `GstVideoMeta` describes (format, size, plane offsets
/// and strides), as classic gstgva takes it when it is given no caps.
fn video_info_from_meta(buffer: &gst::BufferRef) -> Option<gst_video::VideoInfo> {
    let meta = buffer.meta::<gst_video::VideoMeta>()?;
    gst_video::VideoInfo::builder(meta.format(), meta.width(), meta.height())
        .offset(meta.offset())
        .stride(meta.stride())
        .build()
        .ok()
}

/// Builds what `video_info()` returns for `info` (see there).
fn build_video_info(py: Python<'_>, info: &gst_video::VideoInfo) -> PyResult<Py<PyAny>> {
    let caps = info
        .to_caps()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
        .to_string();
    let gi_info = helpers(py)?.call_method1("gi_info", ("GstVideo", "VideoInfo", caps))?;
    if !gi_info.is_none() {
        return Ok(gi_info.unbind());
    }
    let n_planes = info.n_planes() as usize;
    let finfo = PyDict::new(py);
    finfo.set_item("format", info.format().into_glib())?;
    finfo.set_item("name", info.format().to_str().as_str())?;
    finfo.set_item("n_planes", n_planes)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("width", info.width())?;
    kwargs.set_item("height", info.height())?;
    kwargs.set_item("fps_n", info.fps().numer())?;
    kwargs.set_item("fps_d", info.fps().denom())?;
    kwargs.set_item("par_n", info.par().numer())?;
    kwargs.set_item("par_d", info.par().denom())?;
    kwargs.set_item("stride", info.stride().get(..n_planes).unwrap_or_default())?;
    kwargs.set_item("offset", info.offset().get(..n_planes).unwrap_or_default())?;
    kwargs.set_item("size", info.size())?;
    kwargs.set_item("finfo", namespace(py, &finfo)?)?;
    Ok(namespace(py, &kwargs)?.unbind())
}

/// The `gvarust.Message` class (a `str` subclass).
pub fn message_class(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    helpers(py)?.getattr("Message")
}

fn make_message<'py>(
    py: Python<'py>,
    slot: &Arc<BufferSlot>,
    seqnum: u64,
    text: String,
) -> PyResult<Bound<'py, PyAny>> {
    let meta = MessageMeta {
        slot: slot.clone(),
        seqnum,
    };
    message_class(py)?.call1((text, meta))
}

/// The GVA JSON meta behind a `Message` (valid during the callback only).
#[pyclass(module = "gvarust", frozen)]
pub struct MessageMeta {
    slot: Arc<BufferSlot>,
    seqnum: u64,
}

#[pymethods]
impl MessageMeta {
    /// The meta's current text. Raises `InvalidatedError` after the callback,
    /// `RuntimeError` when the message was removed.
    fn message(&self) -> PyResult<Option<String>> {
        let buffer = self.slot.buffer()?;
        let meta = model::message_by_seqnum(buffer, self.seqnum)
            .ok_or_else(|| PyRuntimeError::new_err("the message was removed from its frame"))?;
        Ok(meta.message().map(|m| m.into_owned()))
    }

    /// Whether the message is still on its frame and the frame still valid.
    fn is_valid(&self) -> bool {
        self.message().is_ok()
    }

    /// The message text, or a note that it is invalid.
    fn __repr__(&self) -> String {
        match self.message() {
            Ok(text) => format!("<gvarust.MessageMeta {:?}>", text.unwrap_or_default()),
            Err(_) => "<gvarust.MessageMeta (invalid)>".into(),
        }
    }
}

/// An audio frame: a [`Frame`] with the stream's audio format.
#[pyclass(module = "gvarust", extends = Frame, frozen)]
pub struct AudioFrame {
    pub(crate) info: Option<Arc<gst_audio::AudioInfo>>,
    /// What `audio_info()` returns, shared by the frames of one stream/caps.
    pub(crate) py_info: Arc<PyOnceLock<Py<PyAny>>>,
}

#[pymethods]
impl AudioFrame {
    /// `AudioFrame(buffer, audio_info=None, caps=None)` over a PyGObject
    /// `Gst.Buffer`; the format comes from `audio_info` (a `GstAudio.AudioInfo`)
    /// or `caps` (a `Gst.Caps`). Without either (or with caps that are not raw
    /// audio), only metadata, events and messages work.
    #[new]
    #[pyo3(signature = (buffer, audio_info=None, caps=None))]
    fn py_new(
        py: Python<'_>,
        buffer: &Bound<'_, PyAny>,
        audio_info: Option<&Bound<'_, PyAny>>,
        caps: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let slot = BufferSlot::from_py_buffer(buffer)?;
        let stream = match (audio_info.filter(|i| !i.is_none()), caps) {
            (Some(info), _) => AudioStream::with_py_info(
                py,
                Some(super::pygobject::audio_info_from_py(info)?),
                info.clone().unbind(),
            ),
            (None, Some(caps)) if !caps.is_none() => {
                let caps = super::pygobject::caps_from_py(caps)?;
                AudioStream::new(gst_audio::AudioInfo::from_caps(&caps).ok())
            }
            _ => AudioStream::new(None),
        };
        Ok(PyClassInitializer::from(Frame { slot }).add_subclass(AudioFrame::from_stream(&stream)))
    }

    /// Sample rate in Hz (raises `RuntimeError` without audio info).
    #[getter]
    fn rate(&self) -> PyResult<u32> {
        Ok(self.audio_info_ref()?.rate())
    }

    /// Number of channels (raises `RuntimeError` without audio info).
    #[getter]
    fn channels(&self) -> PyResult<u32> {
        Ok(self.audio_info_ref()?.channels())
    }

    /// Sample format name such as `"S16LE"` (raises `RuntimeError` without audio info).
    #[getter]
    fn format(&self) -> PyResult<String> {
        Ok(self.audio_info_ref()?.format().to_str().to_string())
    }

    /// The stream's audio info: a PyGObject `GstAudio.AudioInfo` when PyGObject
    /// is importable (built once per caps, shared by the stream's frames; in
    /// pad-probe use, the object passed to the constructor), else an object with
    /// `rate`, `channels`, `bpf`, `layout`, `flags`, `finfo.format`,
    /// `finfo.name`, `finfo.width`, `finfo.depth`. `None` when the caps are not
    /// raw audio.
    fn audio_info<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        slf.as_super().get().slot.buffer()?;
        let this = slf.get();
        let Some(info) = this.info.as_deref() else {
            return Ok(py.None().into_bound(py));
        };
        this.py_info
            .get_or_try_init(py, || super::audio::build_audio_info(py, info))
            .map(|o| o.bind(py).clone())
    }

    /// The samples as a zero-copy numpy array, usable directly (as in gstgva:
    /// `frame.data().mean()`) or as a context manager like `VideoFrame.data()`:
    /// `with frame.data() as samples: samples *= 0.5`.
    ///
    /// Shape `(samples, channels)` for interleaved audio (the usual layout),
    /// `(channels, samples)` for non-interleaved audio (planes placed by the
    /// buffer's `GstAudioMeta`; they must be evenly spaced). The dtype follows
    /// the format, in its byte order: S8 int8, U8 uint8, S16 int16, U16 uint16,
    /// S32 and S24_32 int32, U32 and U24_32 uint32, F32 float32, F64 float64.
    /// (DL Streamer's `AudioFrame.data()` gives a flat uint8 array instead.)
    ///
    /// `flags`: as for `VideoFrame.data()`, `None` maps READ|WRITE when the
    /// buffer is writable (always so inside gvarust callbacks), else READ; or
    /// an int / `Gst.MapFlags` (READ=1, WRITE=2, READ|WRITE=3). The array is
    /// writable only for a WRITE mapping, and its writes go into the buffer.
    ///
    /// The array keeps the mapped memory alive, so it stays valid after the
    /// callback returned. Leaving a `with` block makes it read-only. A kept
    /// read-only array keeps showing the samples it was mapped with. Do not
    /// write through an array kept past the callback: the memory then belongs
    /// to a buffer that has moved downstream.
    ///
    /// Raises `RuntimeError` for formats numpy has no type for (packed 24, 20
    /// and 18-bit formats, naming the format), memory that cannot be mapped, or
    /// a frame without audio info; `InvalidatedError` after the callback
    /// returned; `NotWritableError` for WRITE on a shared buffer.
    #[pyo3(signature = (flags=None))]
    fn data<'py>(
        slf: &Bound<'py, Self>,
        flags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let slot = &slf.as_super().get().slot;
        slot.buffer()?;
        let write = super::audio::parse_flags(slot, flags)?;
        let info = slf.get().audio_info_ref()?;
        super::audio::sample_array(slf.py(), slot, info, write)
    }

    /// An iterator over the frame's audio events (`AudioEvent`, over the GVA
    /// audio event metas), in the order they were added.
    fn events<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let slot = &slf.as_super().get().slot;
        let seqnums = model::audio_event_seqnums(slot.buffer()?);
        let list = PyList::empty(py);
        for seqnum in seqnums {
            list.append(Bound::new(py, AudioEvent::new(slot.clone(), seqnum))?)?;
        }
        Ok(list.try_iter()?.into_any())
    }

    /// Adds an audio event (a GVA audio event meta) and returns it.
    ///
    /// `start_time` and `end_time` are nanoseconds; `label` becomes the event
    /// type. Like DL Streamer's C++ `AudioFrame::add_event`, the event gets a
    /// first `detection` tensor with `start_timestamp`, `end_timestamp` and
    /// `confidence` (always stored, also 0.0), plus `label_id` when given. The
    /// event id is 0 (settable through `event.meta().id`). Raises `ValueError`
    /// when `end_time < start_time` or the label holds a NUL character.
    #[pyo3(signature = (start_time, end_time, label = "", confidence = 0.0, label_id = None))]
    fn add_event(
        slf: &Bound<'_, Self>,
        start_time: u64,
        end_time: u64,
        label: &str,
        confidence: f64,
        label_id: Option<i32>,
    ) -> PyResult<AudioEvent> {
        if end_time < start_time {
            return Err(PyValueError::new_err(format!(
                "end_time {end_time} is before start_time {start_time}"
            )));
        }
        if label.contains('\0') {
            return Err(PyValueError::new_err(
                "a label cannot contain NUL characters",
            ));
        }
        let slot = slf.as_super().get().slot.clone();
        slot.buffer()?;
        let seqnum = slot.with_buffer_mut(|b| {
            model::add_audio_event(b, start_time, end_time, label, confidence, label_id)
                .map(|m| model::meta_seqnum(&*m))
        })?;
        let seqnum = seqnum
            .map_err(|e| PyRuntimeError::new_err(format!("cannot add an audio event meta: {e}")))?;
        Ok(AudioEvent::new(slot, seqnum))
    }

    /// Removes `event` from the frame. Raises `RuntimeError` if it is not on
    /// this frame (another frame's event, or already removed).
    fn remove_event(slf: &Bound<'_, Self>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let slot = &slf.as_super().get().slot;
        slot.buffer()?;
        let event = event
            .cast::<AudioEvent>()
            .map_err(|_| PyTypeError::new_err("remove_event() takes an AudioEvent"))?;
        let event = event.get();
        let not_here = || PyRuntimeError::new_err("the audio event is not on this frame");
        if !Arc::ptr_eq(&event.slot, slot) {
            event.slot.buffer()?;
            return Err(not_here());
        }
        let seqnum = event.seqnum;
        if slot.with_buffer_mut(|b| model::remove_audio_event(b, seqnum))? {
            Ok(())
        } else {
            Err(not_here())
        }
    }
}

impl AudioFrame {
    /// The frame fields for a buffer of `stream`.
    pub fn from_stream(stream: &AudioStream) -> Self {
        AudioFrame {
            info: stream.info.clone(),
            py_info: stream.py_info.clone(),
        }
    }

    fn audio_info_ref(&self) -> PyResult<&gst_audio::AudioInfo> {
        self.info.as_deref().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "this frame has no audio info (the caps are not raw audio)",
            )
        })
    }
}
