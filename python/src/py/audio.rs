//! The audio side of the Python API: the per-stream [`AudioStream`], audio
//! events ([`AudioEvent`], a view of one GVA audio event meta, and its live
//! `AudioEventMeta` fields), the `Segment` namedtuple, and the zero-copy
//! sample arrays of `AudioFrame.data()`.
//!
//! An event is identified like a `RegionOfInterest`: by its frame's
//! [`BufferSlot`] and the meta's sequence number. Every access looks the meta
//! up again, so an event kept after the callback raises `InvalidatedError` and
//! a removed one `RuntimeError`.
//!
//! Sample arrays own a mapping of the buffer's `GstMemory` (not of the buffer,
//! which stays writable for metadata), so a kept array stays valid after the
//! callback returned: a read-only array keeps showing the samples it was
//! mapped with (later writers of that memory get a copy).

use std::sync::Arc;

use gst::glib::translate::IntoGlib;
use numpy::npyffi::npy_intp;
use numpy::PyArrayDescr;

use super::ndarray::borrowed_array;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use super::errors::{audio_event_removed, InvalidatedError};
use super::helpers::{helpers, namespace};
use super::mapping::{self, MapFailure, Mapped};
use super::slot::BufferSlot;
use super::tensor::{check_name, Tensor};
use crate::frame as model;
use crate::meta::AudioEventMeta as EventMeta;

// ---------------------------------------------------------------------------
// The stream

/// The audio side of a stream, decided once per caps and shared by its frames.
#[derive(Clone)]
pub struct AudioStream {
    /// The audio info; `None` when the caps are not raw audio.
    pub info: Option<Arc<gst_audio::AudioInfo>>,
    /// What `audio_info()` returns, built at first use once per caps.
    pub(crate) py_info: Arc<PyOnceLock<Py<PyAny>>>,
}

impl AudioStream {
    /// A stream with `info` (its Python `audio_info()` object is built lazily).
    pub fn new(info: Option<gst_audio::AudioInfo>) -> Self {
        AudioStream {
            info: info.map(Arc::new),
            py_info: Arc::new(PyOnceLock::new()),
        }
    }

    /// A stream whose `audio_info()` is the given Python object (for frames
    /// built from PyGObject objects: the `GstAudio.AudioInfo` the caller passed).
    pub fn with_py_info(
        py: Python<'_>,
        info: Option<gst_audio::AudioInfo>,
        py_info: Py<PyAny>,
    ) -> Self {
        let stream = AudioStream::new(info);
        let _ = stream.py_info.set(py, py_info);
        stream
    }
}

impl Default for AudioStream {
    fn default() -> Self {
        AudioStream::new(None)
    }
}

impl std::fmt::Debug for AudioStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioStream")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// Python helpers

/// The `gvarust.Segment` class: `collections.namedtuple("Segment", "start_time end_time")`.
pub fn segment_class(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    helpers(py)?.getattr("Segment")
}

/// Builds what `AudioFrame.audio_info()` returns for `info`: a PyGObject
/// `GstAudio.AudioInfo` when PyGObject is importable, else a plain object with
/// `rate`, `channels`, `bpf`, `layout`, `flags` and `finfo` (`format`, `name`,
/// `width`, `depth`).
pub(crate) fn build_audio_info(py: Python<'_>, info: &gst_audio::AudioInfo) -> PyResult<Py<PyAny>> {
    let caps = info
        .to_caps()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
        .to_string();
    let gi_info = helpers(py)?.call_method1("gi_info", ("GstAudio", "AudioInfo", caps))?;
    if !gi_info.is_none() {
        return Ok(gi_info.unbind());
    }
    let finfo = PyDict::new(py);
    finfo.set_item("format", info.format().into_glib())?;
    finfo.set_item("name", info.format().to_str().as_str())?;
    finfo.set_item("width", info.width())?;
    finfo.set_item("depth", info.depth())?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("rate", info.rate())?;
    kwargs.set_item("channels", info.channels())?;
    kwargs.set_item("bpf", info.bpf())?;
    kwargs.set_item("layout", info.layout().into_glib())?;
    kwargs.set_item("flags", info.flags().bits())?;
    kwargs.set_item("finfo", namespace(py, &finfo)?)?;
    Ok(namespace(py, &kwargs)?.unbind())
}

// ---------------------------------------------------------------------------
// AudioEvent

/// An audio event: a detected audio segment (start and end timestamps, a
/// label) with tensors (the detection, and further inference results).
///
/// Obtained from `frame.events()` and `frame.add_event()`; valid during the
/// callback only (then `InvalidatedError`), or, in pad-probe use, while the
/// frame's `Gst.Buffer` is alive.
#[pyclass(module = "gvarust", frozen)]
pub struct AudioEvent {
    pub(crate) slot: Arc<BufferSlot>,
    pub(crate) seqnum: u64,
}

impl AudioEvent {
    /// A view of the audio event meta `seqnum` of the slot's buffer.
    pub(crate) fn new(slot: Arc<BufferSlot>, seqnum: u64) -> Self {
        AudioEvent { slot, seqnum }
    }

    /// Runs `f` on the event meta (read-only). `f` must not run Python code.
    fn read<R>(&self, f: impl FnOnce(&EventMeta) -> R) -> PyResult<R> {
        let buffer = self.slot.buffer()?;
        let meta =
            model::audio_event_by_seqnum(buffer, self.seqnum).ok_or_else(audio_event_removed)?;
        Ok(f(&meta))
    }

    /// Runs `f` on the event meta for writing. `f` must not run Python code.
    fn write<R>(&self, f: impl FnOnce(&mut EventMeta) -> R) -> PyResult<R> {
        self.slot.buffer()?;
        let seqnum = self.seqnum;
        self.slot.with_buffer_mut(|b| {
            let mut meta = model::audio_event_mut(b, seqnum).ok_or_else(audio_event_removed)?;
            Ok(f(&mut meta))
        })?
    }

    fn param_tensor(&self, ptr: usize) -> Tensor {
        Tensor::from_event_param(
            self.slot.clone(),
            self.seqnum,
            ptr as *const gst::ffi::GstStructure,
        )
    }
}

#[pymethods]
impl AudioEvent {
    /// The event's span as `Segment(start_time, end_time)`, in nanoseconds
    /// (the meta's `start_timestamp` and `end_timestamp`).
    fn segment<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (start, end) = self.read(|m| (m.start_timestamp(), m.end_timestamp()))?;
        segment_class(py)?.call1((start, end))
    }

    /// The label (the meta's `event_type` quark string; `""` when unset).
    fn label(&self) -> PyResult<&'static str> {
        self.read(|m| m.event_type().unwrap_or(""))
    }

    /// The detection's `label_id`, or `None` without a detection or field.
    fn label_id(&self) -> PyResult<Option<i32>> {
        self.read(EventMeta::label_id)
    }

    /// The detection's `confidence`, or `None` without a detection or field.
    fn confidence(&self) -> PyResult<Option<f64>> {
        self.read(EventMeta::confidence)
    }

    /// The event id (the meta's `id`; `add_event` leaves it 0, as DL Streamer does).
    fn event_id(&self) -> PyResult<i32> {
        self.read(EventMeta::id)
    }

    /// The first `detection` tensor, or `None` when there is none (as
    /// DL Streamer's Python `AudioEvent.detection()`; unlike
    /// `RegionOfInterest.detection()`, none is created).
    fn detection(&self) -> PyResult<Option<Tensor>> {
        let ptr = self.read(|m| m.detection().map(|s| s.as_ptr() as usize))?;
        Ok(ptr.map(|ptr| self.param_tensor(ptr)))
    }

    /// An iterator over the event's tensors: its parameter structures in list
    /// order (the detection first when added by `add_event`).
    fn tensors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ptrs: Vec<usize> = self.read(|m| m.params().map(|s| s.as_ptr() as usize).collect())?;
        let list = PyList::empty(py);
        for ptr in ptrs {
            list.append(Bound::new(py, self.param_tensor(ptr))?)?;
        }
        Ok(list.try_iter()?.into_any())
    }

    /// Appends a tensor (parameter structure) and returns it: a copy of
    /// `tensor` renamed to `name` when `name` is given, or a new empty tensor
    /// named `name` (`"tensor"` when empty).
    #[pyo3(signature = (name = "", tensor = None))]
    fn add_tensor(&self, name: &str, tensor: Option<PyRef<'_, Tensor>>) -> PyResult<Tensor> {
        if !name.is_empty() {
            check_name(name)?;
        }
        let structure = match tensor {
            Some(tensor) => {
                let mut s = tensor.to_structure()?;
                if !name.is_empty() {
                    s.set_name(name);
                }
                s
            }
            None => gst::Structure::new_empty(if name.is_empty() { "tensor" } else { name }),
        };
        let ptr = self.write(|m| m.add_param(structure).as_ptr() as usize)?;
        Ok(self.param_tensor(ptr))
    }

    /// A live view of the underlying `GstGVAAudioEventMeta` fields
    /// (`event_type`, `id`, `start_timestamp`, `end_timestamp`).
    fn meta(&self) -> AudioEventMetaView {
        AudioEventMetaView {
            event: AudioEvent::new(self.slot.clone(), self.seqnum),
        }
    }

    /// Whether the event can still be used (during the callback, while on its frame).
    fn is_valid(&self) -> bool {
        self.read(|_| ()).is_ok()
    }

    /// Events are equal when they view the same meta of the same frame.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<AudioEvent>()
            .map(|o| {
                let o = o.get();
                Arc::ptr_eq(&o.slot, &self.slot) && o.seqnum == self.seqnum
            })
            .unwrap_or(false)
    }

    /// Hash consistent with `==` (the meta's sequence number).
    fn __hash__(&self) -> u64 {
        self.seqnum
    }

    /// Label, segment and confidence, or a note that the event is invalid.
    fn __repr__(&self, py: Python<'_>) -> String {
        match self.read(|m| {
            (
                m.event_type().unwrap_or(""),
                m.start_timestamp(),
                m.end_timestamp(),
                m.confidence(),
            )
        }) {
            Ok((label, start, end, confidence)) => format!(
                "<gvarust.AudioEvent label={label:?} segment=({start}, {end}) confidence={}>",
                confidence.map_or("None".to_string(), |c| c.to_string())
            ),
            Err(err) if err.is_instance_of::<InvalidatedError>(py) => {
                "<gvarust.AudioEvent (invalidated)>".into()
            }
            Err(_) => "<gvarust.AudioEvent (removed)>".into(),
        }
    }
}

/// The fields of an event's `GstGVAAudioEventMeta`, live: reading looks at
/// the meta, assigning writes it (`id`, `start_timestamp`, `end_timestamp`;
/// `event_type` is the label's quark, read-only).
#[pyclass(module = "gvarust", name = "AudioEventMeta", frozen)]
pub struct AudioEventMetaView {
    event: AudioEvent,
}

#[pymethods]
impl AudioEventMetaView {
    /// The label as a GQuark (int); `label()` of the event gives its string.
    #[getter]
    fn event_type(&self) -> PyResult<u32> {
        self.event.read(|m| {
            let ptr = m as *const EventMeta as *const crate::meta::GstGVAAudioEventMeta;
            // SAFETY: `AudioEventMeta` is #[repr(transparent)] over the C struct and
            // `m` is a live meta borrowed for this closure; this reads one field.
            unsafe { (*ptr).event_type }
        })
    }

    /// The event id.
    #[getter]
    fn id(&self) -> PyResult<i32> {
        self.event.read(EventMeta::id)
    }

    /// Sets the event id.
    #[setter]
    fn set_id(&self, value: i32) -> PyResult<()> {
        self.event.write(|m| m.set_id(value))
    }

    /// Start of the event in nanoseconds.
    #[getter]
    fn start_timestamp(&self) -> PyResult<u64> {
        self.event.read(EventMeta::start_timestamp)
    }

    /// Sets the start of the event (nanoseconds).
    #[setter]
    fn set_start_timestamp(&self, value: u64) -> PyResult<()> {
        self.event
            .write(|m| m.set_timestamps(value, m.end_timestamp()))
    }

    /// End of the event in nanoseconds.
    #[getter]
    fn end_timestamp(&self) -> PyResult<u64> {
        self.event.read(EventMeta::end_timestamp)
    }

    /// Sets the end of the event (nanoseconds).
    #[setter]
    fn set_end_timestamp(&self, value: u64) -> PyResult<()> {
        self.event
            .write(|m| m.set_timestamps(m.start_timestamp(), value))
    }

    /// The meta's fields, or a note that it is invalid.
    fn __repr__(&self) -> String {
        match self.event.read(|m| {
            (
                m.event_type().unwrap_or(""),
                m.id(),
                m.start_timestamp(),
                m.end_timestamp(),
            )
        }) {
            Ok((label, id, start, end)) => format!(
                "<gvarust.AudioEventMeta event_type={label:?} id={id} start_timestamp={start} \
                 end_timestamp={end}>"
            ),
            Err(_) => "<gvarust.AudioEventMeta (invalid)>".into(),
        }
    }
}

// ---------------------------------------------------------------------------
// Samples

/// numpy dtype (with byte order) of one sample of `format`, or `None` when
/// numpy has no matching type (packed 24/20/18-bit formats).
fn sample_dtype(format: gst_audio::AudioFormat) -> Option<&'static str> {
    Some(match format.to_str().as_str() {
        "S8" => "i1",
        "U8" => "u1",
        "S16LE" => "<i2",
        "S16BE" => ">i2",
        "U16LE" => "<u2",
        "U16BE" => ">u2",
        "S24_32LE" | "S32LE" => "<i4",
        "S24_32BE" | "S32BE" => ">i4",
        "U24_32LE" | "U32LE" => "<u4",
        "U24_32BE" | "U32BE" => ">u4",
        "F32LE" => "<f4",
        "F32BE" => ">f4",
        "F64LE" => "<f8",
        "F64BE" => ">f8",
        _ => return None,
    })
}

/// Where the samples lie in the mapped bytes: a 2-D strided view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SampleView {
    /// numpy dtype of one sample.
    pub(crate) dtype: &'static str,
    /// `[samples, channels]` (interleaved) or `[channels, samples]` (non-interleaved).
    pub(crate) shape: [usize; 2],
    /// Byte strides of the two axes.
    pub(crate) strides: [usize; 2],
    /// Byte offset of the first sample.
    pub(crate) offset: usize,
}

impl SampleView {
    /// Whether every addressed sample lies inside `size` bytes.
    fn fits(&self, size: usize, sample: usize) -> bool {
        if self.shape[0] == 0 || self.shape[1] == 0 {
            return self.offset <= size;
        }
        let last = (self.shape[0] - 1)
            .checked_mul(self.strides[0])
            .and_then(|a| {
                (self.shape[1] - 1)
                    .checked_mul(self.strides[1])
                    .and_then(|b| a.checked_add(b))
            })
            .and_then(|v| v.checked_add(self.offset))
            .and_then(|v| v.checked_add(sample));
        last.is_some_and(|end| end <= size)
    }
}

/// The layout of a buffer of `size` bytes in `info`'s format, with the
/// buffer's `GstAudioMeta` (`samples`, per-channel `offsets`) when it has one.
pub(crate) fn sample_view(
    info: &gst_audio::AudioInfo,
    size: usize,
    meta: Option<(usize, &[usize])>,
) -> PyResult<SampleView> {
    let format = info.format();
    let dtype = sample_dtype(format).ok_or_else(|| {
        PyRuntimeError::new_err(format!(
            "AudioFrame.data() does not support the audio format {}",
            format.to_str()
        ))
    })?;
    let channels = info.channels() as usize;
    let bps = (info.width() / 8) as usize;
    let bpf = info.bpf() as usize;
    if channels == 0 || bps == 0 || bpf != bps * channels {
        return Err(PyRuntimeError::new_err(format!(
            "the audio info is inconsistent ({channels} channels, {bpf} bytes per frame)"
        )));
    }
    let samples = match meta {
        Some((samples, _)) => samples,
        None => {
            if size % bpf != 0 {
                return Err(PyRuntimeError::new_err(format!(
                    "the buffer's {size} bytes are not a whole number of {bpf}-byte audio frames"
                )));
            }
            size / bpf
        }
    };
    let view = match info.layout() {
        gst_audio::AudioLayout::NonInterleaved => {
            let offsets: Vec<usize> = match meta {
                Some((_, offsets)) if offsets.len() == channels => offsets.to_vec(),
                Some((_, offsets)) if !offsets.is_empty() => {
                    return Err(PyRuntimeError::new_err(format!(
                        "the buffer's GstAudioMeta has {} channel offsets for {channels} channels",
                        offsets.len()
                    )))
                }
                _ => (0..channels).map(|c| c * samples * bps).collect(),
            };
            let step = if channels > 1 {
                offsets[1].checked_sub(offsets[0])
            } else {
                Some(samples * bps)
            };
            let even = step.is_some_and(|step| {
                offsets
                    .iter()
                    .enumerate()
                    .all(|(c, &o)| Some(o) == step.checked_mul(c).map(|d| d + offsets[0]))
            });
            let Some(step) = step.filter(|_| even) else {
                return Err(PyRuntimeError::new_err(
                    "the channel planes of this non-interleaved buffer are not evenly spaced, \
                     so they cannot be one array",
                ));
            };
            SampleView {
                dtype,
                shape: [channels, samples],
                strides: [step, bps],
                offset: offsets[0],
            }
        }
        _ => SampleView {
            dtype,
            shape: [samples, channels],
            strides: [bpf, bps],
            offset: match meta {
                Some((_, offsets)) => offsets.first().copied().unwrap_or(0),
                None => 0,
            },
        },
    };
    if !view.fits(size, bps) {
        return Err(PyRuntimeError::new_err(format!(
            "{} samples of {channels} channels do not fit in the buffer's {size} bytes",
            samples
        )));
    }
    Ok(view)
}

/// The mapped memory behind `AudioFrame.data()` arrays (their numpy `base`).
///
/// It holds a reference to the `GstMemory` (not the buffer) and keeps it mapped
/// for as long as an array over it exists.
#[pyclass(module = "gvarust", frozen)]
pub struct AudioMapping {
    mapped: Mapped,
    /// Address of the first mapped byte (stable: the mapping does not move).
    data: usize,
    size: usize,
}

#[pymethods]
impl AudioMapping {
    /// Size and access mode of the mapping.
    fn __repr__(&self) -> String {
        let mode = match self.mapped {
            Mapped::Read(_) => "read-only",
            Mapped::Write(_) => "read-write",
        };
        format!("<gvarust.AudioMapping {} bytes, {mode}>", self.size)
    }
}

/// Reads the `flags` argument of `data()`: whether to map for writing
/// (`None` means READ|WRITE when the buffer is writable, as for video).
pub(crate) fn parse_flags(slot: &BufferSlot, flags: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    match mapping::parse_flags(flags, |_| {
        PyTypeError::new_err("flags must be an int or Gst.MapFlags (READ=1, WRITE=2)")
    })? {
        Some(write) => Ok(write),
        None => slot.is_writable(),
    }
}

/// Maps all of the slot's buffer memory, for writing when `write`.
fn map_buffer(slot: &BufferSlot, write: bool) -> PyResult<AudioMapping> {
    let mapped = mapping::map_buffer(slot, write)?.map_err(|failure| {
        PyRuntimeError::new_err(match failure {
            MapFailure::NoMemory => "the buffer has no memory to map".to_string(),
            MapFailure::Map { write, .. } => format!(
                "cannot map the buffer's memory for {}",
                if write { "writing" } else { "reading" }
            ),
            MapFailure::NotMerged => "cannot map the buffer's memory for writing".to_string(),
        })
    })?;
    let (data, size) = (mapped.bytes().as_ptr() as usize, mapped.size());
    Ok(AudioMapping { mapped, data, size })
}

/// `AudioFrame.data()`: a zero-copy array over the samples of the slot's buffer.
pub(crate) fn sample_array<'py>(
    py: Python<'py>,
    slot: &BufferSlot,
    info: &gst_audio::AudioInfo,
    write: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let meta = {
        let buffer = slot.buffer()?;
        buffer
            .meta::<gst_audio::AudioMeta>()
            .map(|m| (m.samples(), m.offsets().to_vec()))
    };
    let mapping = map_buffer(slot, write)?;
    let view = sample_view(
        info,
        mapping.size,
        meta.as_ref().map(|(s, o)| (*s, o.as_slice())),
    )?;
    let owner = Bound::new(py, mapping)?;
    let descr = PyArrayDescr::new(py, view.dtype)?;
    let mut dims = view.shape.map(|d| d as npy_intp);
    let mut strides = view.strides.map(|s| s as npy_intp);
    let data = owner.get().data + view.offset;
    // SAFETY: `sample_view` checked that every sample addressed by the view lies
    // inside the mapped bytes starting at `owner.data`; the mapping lives as long
    // as `owner`, the array's base. The array is writable only over a WRITE mapping.
    let array = unsafe {
        borrowed_array(
            descr,
            &mut dims,
            Some(&mut strides),
            data as *mut std::ffi::c_void,
            write,
            owner.into_any(),
        )
    }?;
    // Handed out as a view of class `AudioSamples`: an ndarray that is also a
    // context manager (its base is `array`, whose base keeps the mapping).
    static SAMPLES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let class = SAMPLES.get_or_try_init(py, || -> PyResult<_> {
        Ok(helpers(py)?.call_method0("audio_samples_class")?.unbind())
    })?;
    array.call_method1("view", (class.bind(py),))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        format: gst_audio::AudioFormat,
        channels: u32,
        interleaved: bool,
    ) -> gst_audio::AudioInfo {
        gst_audio::AudioInfo::builder(format, 8000, channels)
            .layout(if interleaved {
                gst_audio::AudioLayout::Interleaved
            } else {
                gst_audio::AudioLayout::NonInterleaved
            })
            .build()
            .unwrap()
    }

    #[test]
    fn interleaved_views() {
        crate::test_init();
        let v = sample_view(&info(gst_audio::AudioFormat::S16le, 2, true), 400, None).unwrap();
        assert_eq!(v.dtype, "<i2");
        assert_eq!(v.shape, [100, 2]);
        assert_eq!(v.strides, [4, 2]);
        let v = sample_view(&info(gst_audio::AudioFormat::F64le, 1, true), 80, None).unwrap();
        assert_eq!((v.dtype, v.shape), ("<f8", [10, 1]));
        assert!(sample_view(&info(gst_audio::AudioFormat::S16le, 2, true), 402, None).is_err());
        let v = sample_view(&info(gst_audio::AudioFormat::U8, 3, true), 0, None).unwrap();
        assert_eq!(v.shape, [0, 3]);
    }

    #[test]
    fn non_interleaved_views() {
        crate::test_init();
        let i = info(gst_audio::AudioFormat::F32le, 2, false);
        let v = sample_view(&i, 80, None).unwrap();
        assert_eq!((v.shape, v.strides, v.offset), ([2, 10], [40, 4], 0));
        // Planes with a gap between them, from a GstAudioMeta.
        let v = sample_view(&i, 100, Some((10, &[0, 60]))).unwrap();
        assert_eq!((v.shape, v.strides), ([2, 10], [60, 4]));
        // Planes that do not fit, or are out of order.
        assert!(sample_view(&i, 70, Some((10, &[0, 60]))).is_err());
        assert!(sample_view(&i, 100, Some((10, &[40, 0]))).is_err());
    }

    #[test]
    fn packed_24_bit_formats_have_no_dtype() {
        crate::test_init();
        assert_eq!(sample_dtype(gst_audio::AudioFormat::S24le), None);
        assert_eq!(sample_dtype(gst_audio::AudioFormat::S2432le), Some("<i4"));
    }
}
