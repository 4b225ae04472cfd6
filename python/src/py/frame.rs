//! `Frame`, `VideoFrame` and `AudioFrame`: Python views of one buffer.
//!
//! A frame handed to a callback does not own its buffer: it points at the
//! buffer through a shared [`BufferSlot`] that the element clears when the
//! callback returns, so a frame (or anything derived from it) kept by Python
//! raises `InvalidatedError` instead of touching freed memory.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;

use super::{InvalidatedError, NotWritableError};

/// The buffer a frame refers to, valid until [`BufferSlot::invalidate`].
///
/// All access happens with the GIL held, and the element invalidates the slot
/// with the GIL held before the buffer moves on, so a pointer read from the slot
/// stays valid for the duration of one Python method call.
#[derive(Debug)]
pub struct BufferSlot {
    buffer: AtomicPtr<gst::ffi::GstBuffer>,
}

impl BufferSlot {
    /// A slot pointing at `buffer`, which the caller keeps alive and unmoved
    /// until it calls [`BufferSlot::invalidate`].
    pub fn new(buffer: &mut gst::BufferRef) -> Arc<Self> {
        Arc::new(BufferSlot {
            buffer: AtomicPtr::new(buffer.as_mut_ptr()),
        })
    }

    /// Detaches the slot from its buffer; later use raises `InvalidatedError`.
    pub fn invalidate(&self) {
        self.buffer.store(std::ptr::null_mut(), Ordering::Release);
    }

    /// The buffer, or `InvalidatedError` once the slot was invalidated.
    pub fn buffer(&self) -> PyResult<&gst::BufferRef> {
        let ptr = self.buffer.load(Ordering::Acquire);
        if ptr.is_null() {
            return Err(InvalidatedError::new_err(
                "this frame is no longer valid: it was used after the callback that received it returned",
            ));
        }
        // SAFETY: a non-null pointer in the slot refers to a live buffer: the owner
        // keeps the buffer alive until it invalidates the slot, and both that and
        // this call happen with the GIL held, so it cannot be invalidated meanwhile.
        Ok(unsafe { gst::BufferRef::from_ptr(ptr) })
    }

    /// Whether the buffer may be written (it has a single reference).
    pub fn is_writable(&self) -> PyResult<bool> {
        let buffer = self.buffer()?;
        let ptr = buffer.as_ptr() as *const gst::ffi::GstMiniObject;
        // SAFETY: `ptr` is a live buffer (see `buffer`); the call only reads its refcount.
        Ok(unsafe { gst::ffi::gst_mini_object_is_writable(ptr) } != 0)
    }

    /// Runs `f` on the buffer for writing metadata or pixels; `NotWritableError`
    /// if the buffer is shared. The mutable view cannot outlive `f`.
    pub fn with_buffer_mut<R>(&self, f: impl FnOnce(&mut gst::BufferRef) -> R) -> PyResult<R> {
        if !self.is_writable()? {
            return Err(NotWritableError::new_err(
                "the buffer is not writable (it is shared); in a pad probe use \
                 `with gstgva.util.GST_PAD_PROBE_INFO_BUFFER(info) as buffer:`",
            ));
        }
        let ptr = self.buffer.load(Ordering::Acquire);
        // SAFETY: the buffer is alive (checked by `is_writable` under the GIL, which
        // the caller holds throughout) and has a single reference, so a unique
        // mutable view confined to `f` is sound.
        Ok(f(unsafe { gst::BufferRef::from_mut_ptr(ptr) }))
    }
}

/// What kind of frame a stream's caps call for, decided once per caps.
#[derive(Debug, Clone, Default)]
pub enum FrameKind {
    /// `video/*` and `image/*` caps; the info is `None` when the caps are not raw video.
    Video(Option<Arc<gst_video::VideoInfo>>),
    /// `audio/*` caps; the info is `None` when the caps are not raw audio.
    Audio(Option<Arc<gst_audio::AudioInfo>>),
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
            FrameKind::Video(gst_video::VideoInfo::from_caps(caps).ok().map(Arc::new))
        } else if name.starts_with("audio/") {
            FrameKind::Audio(gst_audio::AudioInfo::from_caps(caps).ok().map(Arc::new))
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
            FrameKind::Video(info) => Bound::new(
                py,
                PyClassInitializer::from(base).add_subclass(VideoFrame { info: info.clone() }),
            )?
            .into_any(),
            FrameKind::Audio(info) => Bound::new(
                py,
                PyClassInitializer::from(base).add_subclass(AudioFrame { info: info.clone() }),
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

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let class = slf
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "Frame".into());
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
}

#[pymethods]
impl VideoFrame {
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
    /// the mapping is released when the block ends.
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
    /// - GRAY8: `(H, W, 1)` uint8; GRAY16_LE / GRAY16_BE: `(H, W, 1)` uint16;
    /// - YUY2, UYVY, YVYU: `(H, W, 2)` uint8;
    /// - NV12, NV21, I420, YV12: `(H + ceil(H/2), W, 1)` uint8 (`H*3/2` rows for
    ///   an even height; the width must be even): the luma rows, then the chroma
    ///   bytes packed into rows of `W` bytes. A zero-copy view when the planes
    ///   lie one after another with matching strides; otherwise a copy, with a
    ///   `UserWarning` (a WRITE copy is written back when the block ends).
    ///
    /// Lifetime: leaving the block empties the array (shape `(0, ...)`,
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
    fn video_info_ref(&self) -> PyResult<&gst_video::VideoInfo> {
        self.info.as_deref().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "this frame has no video info (the caps are not raw video)",
            )
        })
    }
}

/// An audio frame: a [`Frame`] with the stream's audio format.
#[pyclass(module = "gvarust", extends = Frame, frozen)]
pub struct AudioFrame {
    pub(crate) info: Option<Arc<gst_audio::AudioInfo>>,
}

#[pymethods]
impl AudioFrame {
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
}

impl AudioFrame {
    fn audio_info_ref(&self) -> PyResult<&gst_audio::AudioInfo> {
        self.info.as_deref().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "this frame has no audio info (the caps are not raw audio)",
            )
        })
    }
}
