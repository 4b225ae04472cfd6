//! Zero-copy pixel access: `VideoFrame.data()` and `VideoFrame.planes()`.
//!
//! Both return a [`PixelAccess`] context manager. Entering it maps the
//! buffer's memory and yields numpy arrays that point straight into the
//! mapped pixels; leaving it releases the mapping.
//!
//! Lifetime design:
//! - The mapping is owned by a [`PixelMapping`] object, which holds a
//!   reference to the `GstMemory` (not to the buffer, so the buffer stays
//!   writable for metadata) and keeps it mapped until it is released or dropped.
//! - Each array handed out is a view of an inner array that we keep, whose
//!   numpy `base` is that `PixelMapping`. numpy makes every view derived from
//!   a handed-out array (slices, reshapes) a view of the inner array, so the
//!   inner array's reference count tells whether derived views exist, and the
//!   handed-out array's whether names or containers beyond the `with` target
//!   hold it.
//! - Leaving a writable `with` block: when nothing but the `with` target (or
//!   one name per array) refers to the arrays, they are emptied (shape
//!   `(0, ...)`, read-only) and the mapping is released, so a name that outlives
//!   the block can never reach pixels of a buffer that moved on. When more
//!   references or derived views exist, the mapping is kept alive (memory stays
//!   valid) and `BufferError` is raised.
//! - Read-only arrays are never emptied: they keep their mapping (and memory)
//!   alive until the last of them is gone. A later writer of the same memory
//!   gets a copy (GStreamer maps locked memory copy-on-write), so a kept
//!   read-only array keeps showing the pixels it was mapped with.

use std::ffi::CString;
use std::sync::{Arc, Mutex, MutexGuard};

use numpy::npyffi::{self, npy_intp, PY_ARRAY_API};
use numpy::{PyArray3, PyArrayDescr, PyArrayMethods};

use super::ndarray::borrowed_array;
use pyo3::exceptions::{PyBufferError, PyRuntimeError, PyTypeError, PyUserWarning};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use super::helpers::type_name;
use super::mapping::{map_buffer, parse_flags, MapFailure, Mapped};
use super::slot::BufferSlot;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the data
    // inconsistent (every critical section is a single assignment or read).
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn refcount(object: &Bound<'_, PyAny>) -> isize {
    // SAFETY: `object` is a live Python object and the GIL is held (it is a `Bound`).
    unsafe { pyo3::ffi::Py_REFCNT(object.as_ptr()) }
}

// ---------------------------------------------------------------------------
// Layout

/// One plane of the mapped frame, in bytes relative to the mapped data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plane {
    /// Offset of the first row.
    offset: usize,
    /// Distance between rows (negative for bottom-up images).
    stride: isize,
    /// Number of rows.
    rows: usize,
    /// Bytes of pixel data in each row (excluding padding).
    row_bytes: usize,
}

impl Plane {
    /// Offset of row `row`; `None` when it would lie before the data.
    fn row_offset(&self, row: usize) -> Option<usize> {
        let delta = (row as isize).checked_mul(self.stride)?;
        self.offset.checked_add_signed(delta)
    }
}

/// Element type of an array.
#[derive(Debug, Clone, Copy)]
enum Dtype {
    U8,
    U16Le,
    U16Be,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::U8 => 1,
            Dtype::U16Le | Dtype::U16Be => 2,
        }
    }

    fn descr(self, py: Python<'_>) -> PyResult<Bound<'_, PyArrayDescr>> {
        match self {
            Dtype::U8 => Ok(numpy::dtype::<u8>(py)),
            Dtype::U16Le => PyArrayDescr::new(py, "<u2"),
            Dtype::U16Be => PyArrayDescr::new(py, ">u2"),
        }
    }
}

/// A zero-copy array over the mapped data.
#[derive(Debug, Clone)]
struct View {
    offset: usize,
    shape: Vec<usize>,
    strides: Vec<isize>,
    dtype: Dtype,
}

impl View {
    /// Whether every element lies inside `size` bytes.
    fn fits(&self, size: usize) -> bool {
        if self.shape.contains(&0) {
            return true;
        }
        let (mut low, mut high) = (self.offset as i128, self.offset as i128);
        for (&dim, &stride) in self.shape.iter().zip(&self.strides) {
            let span = (dim as i128 - 1) * stride as i128;
            if span < 0 {
                low += span;
            } else {
                high += span;
            }
        }
        low >= 0 && high + self.dtype.size() as i128 <= size as i128
    }
}

/// How `data()` presents a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataShape {
    /// One plane, `(H, W, channels)` elements of `dtype`.
    Packed { channels: usize },
    /// Y plane then interleaved chroma plane (NV12, NV21) as `(H + H/2, W, 1)`.
    SemiPlanar,
    /// Y, then two chroma planes (I420, YV12) as `(H + H/2, W, 1)`.
    Planar,
}

fn data_shape(format: gst_video::VideoFormat) -> Option<(DataShape, Dtype)> {
    use gst_video::VideoFormat as F;
    Some(match format {
        F::Rgb | F::Bgr => (DataShape::Packed { channels: 3 }, Dtype::U8),
        F::Rgbx | F::Bgrx | F::Xrgb | F::Xbgr | F::Rgba | F::Bgra | F::Argb | F::Abgr => {
            (DataShape::Packed { channels: 4 }, Dtype::U8)
        }
        // 16 bits per channel (what an unconstrained videotestsrc negotiates):
        // (H, W, 4) uint16 in the format's byte order; ARGB64 is native-endian.
        F::Argb64 if cfg!(target_endian = "little") => {
            (DataShape::Packed { channels: 4 }, Dtype::U16Le)
        }
        F::Argb64 => (DataShape::Packed { channels: 4 }, Dtype::U16Be),
        F::Argb64Le | F::Rgba64Le | F::Bgra64Le | F::Abgr64Le => {
            (DataShape::Packed { channels: 4 }, Dtype::U16Le)
        }
        F::Argb64Be | F::Rgba64Be | F::Bgra64Be | F::Abgr64Be => {
            (DataShape::Packed { channels: 4 }, Dtype::U16Be)
        }
        F::Gray8 => (DataShape::Packed { channels: 1 }, Dtype::U8),
        F::Gray16Le => (DataShape::Packed { channels: 1 }, Dtype::U16Le),
        F::Gray16Be => (DataShape::Packed { channels: 1 }, Dtype::U16Be),
        F::Yuy2 | F::Uyvy | F::Yvyu => (DataShape::Packed { channels: 2 }, Dtype::U8),
        F::Nv12 | F::Nv21 => (DataShape::SemiPlanar, Dtype::U8),
        F::I420 | F::Yv12 => (DataShape::Planar, Dtype::U8),
        _ => return None,
    })
}

const SUPPORTED_FORMATS: &str = "RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, \
     ARGB64, ARGB64_LE, ARGB64_BE, RGBA64_LE, RGBA64_BE, BGRA64_LE, BGRA64_BE, ABGR64_LE, ABGR64_BE, \
     GRAY8, GRAY16_LE, GRAY16_BE, YUY2, UYVY, YVYU, NV12, NV21, I420, YV12";

/// Offsets and strides of the frame: from the buffer's `GstVideoMeta` when it
/// has one, else the defaults of the caps' video info.
#[derive(Debug, Clone)]
struct Geometry {
    offsets: Vec<usize>,
    strides: Vec<i32>,
}

fn geometry(buffer: &gst::BufferRef, info: &gst_video::VideoInfo) -> PyResult<Geometry> {
    if let Some(meta) = buffer.meta::<gst_video::VideoMeta>() {
        if meta.format() != info.format() || meta.n_planes() != info.n_planes() {
            return Err(PyRuntimeError::new_err(format!(
                "the buffer's GstVideoMeta ({} with {} planes) does not match the caps ({} with {} planes)",
                meta.format().to_str(),
                meta.n_planes(),
                info.format().to_str(),
                info.n_planes()
            )));
        }
        return Ok(Geometry {
            offsets: meta.offset().to_vec(),
            strides: meta.stride().to_vec(),
        });
    }
    Ok(Geometry {
        offsets: info.offset().to_vec(),
        strides: info.stride().to_vec(),
    })
}

/// The planes of `info` placed by `geometry`, checked against `size` mapped bytes.
fn planes_of(
    info: &gst_video::VideoInfo,
    geometry: &Geometry,
    size: usize,
) -> PyResult<Vec<Plane>> {
    let finfo = info.format_info();
    let name = info.format().to_str();
    if finfo.is_tiled() {
        return Err(PyRuntimeError::new_err(format!(
            "pixel access does not support the tiled format {name}"
        )));
    }
    let (width, height) = (info.width(), info.field_height());
    let n_planes = info.n_planes() as usize;
    let mut planes = Vec::with_capacity(n_planes);
    for p in 0..n_planes {
        let (Some(&offset), Some(&stride)) = (geometry.offsets.get(p), geometry.strides.get(p))
        else {
            return Err(PyRuntimeError::new_err(format!(
                "the video layout of {name} has no offset or stride for plane {p}"
            )));
        };
        let stride = stride as isize;
        let component =
            (0..finfo.n_components() as usize).find(|&c| finfo.plane()[c] as usize == p);
        let (rows, row_bytes) = match component {
            Some(c) => {
                let rows = finfo.scale_height(c as u8, height) as usize;
                let pstride = finfo.pixel_stride()[c];
                let row_bytes = if pstride > 0 {
                    (finfo.scale_width(c as u8, width) as usize) * pstride as usize
                } else {
                    stride.unsigned_abs()
                };
                // Formats packing several pixels in fewer bytes never exceed the stride.
                let row_bytes = if stride != 0 {
                    row_bytes.min(stride.unsigned_abs())
                } else {
                    row_bytes
                };
                (rows, row_bytes)
            }
            // The palette of a paletted format: 256 entries of 4 bytes.
            None if finfo.has_palette() => (256, 4),
            None => {
                return Err(PyRuntimeError::new_err(format!(
                    "cannot tell the size of plane {p} of format {name}"
                )))
            }
        };
        let plane = Plane {
            offset,
            stride,
            rows,
            row_bytes,
        };
        let view = plane_view(&plane);
        if !view.fits(size) {
            return Err(PyRuntimeError::new_err(format!(
                "plane {p} of {name} {width}x{height} (offset {offset}, stride {stride}, {rows} rows of \
                 {row_bytes} bytes) does not fit in the buffer's {size} bytes"
            )));
        }
        planes.push(plane);
    }
    Ok(planes)
}

/// `(rows, row_bytes)` uint8 view of a plane.
fn plane_view(plane: &Plane) -> View {
    View {
        offset: plane.offset,
        shape: vec![plane.rows, plane.row_bytes],
        strides: vec![plane.stride, 1],
        dtype: Dtype::U8,
    }
}

/// What `data()` yields: a zero-copy view, or a copy of the planes (one after another).
#[derive(Debug, Clone)]
enum DataLayout {
    View(View),
    Copy { shape: [usize; 3] },
}

fn data_layout(
    info: &gst_video::VideoInfo,
    planes: &[Plane],
    shape: DataShape,
    dtype: Dtype,
) -> PyResult<DataLayout> {
    let name = info.format().to_str();
    let width = info.width() as usize;
    let y = planes[0];
    match shape {
        DataShape::Packed { channels } => Ok(DataLayout::View(View {
            offset: y.offset,
            shape: vec![y.rows, width, channels],
            strides: vec![
                y.stride,
                (channels * dtype.size()) as isize,
                dtype.size() as isize,
            ],
            dtype,
        })),
        DataShape::SemiPlanar | DataShape::Planar => {
            let chroma = &planes[1..];
            let chroma_row_bytes = match shape {
                DataShape::SemiPlanar => chroma[0].row_bytes,
                _ => chroma[0].row_bytes * 2,
            };
            if width % 2 != 0 || chroma_row_bytes != width {
                return Err(PyRuntimeError::new_err(format!(
                    "data() of {name} needs an even width (this frame is {width} pixels wide); use planes()"
                )));
            }
            let rows = y.rows + chroma[0].rows;
            let contiguous = match shape {
                DataShape::SemiPlanar => {
                    y.stride > 0
                        && chroma[0].stride == y.stride
                        && y.row_offset(y.rows) == Some(chroma[0].offset)
                }
                _ => {
                    let half = (width / 2) as isize;
                    y.stride == width as isize
                        && chroma.iter().all(|c| c.stride == half)
                        && y.row_offset(y.rows) == Some(chroma[0].offset)
                        && chroma[0].row_offset(chroma[0].rows) == Some(chroma[1].offset)
                }
            };
            if contiguous {
                Ok(DataLayout::View(View {
                    offset: y.offset,
                    shape: vec![rows, width, 1],
                    strides: vec![y.stride, 1, 1],
                    dtype,
                }))
            } else {
                Ok(DataLayout::Copy {
                    shape: [rows, width, 1],
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The mapping

/// The mapped memory of a frame, the `base` of the arrays over its pixels.
///
/// It holds the `GstMemory` (not the buffer), so the memory stays valid after
/// the buffer moved on, and it stays mapped until the `with` block releases it
/// or the last array over it is gone.
#[pyclass(module = "gvarust", frozen)]
pub struct PixelMapping {
    mapped: Mutex<Option<Mapped>>,
    writable: bool,
}

impl PixelMapping {
    /// Address of the first mapped byte; `None` once released.
    fn data_ptr(&self) -> Option<*mut u8> {
        let mut mapped = lock(&self.mapped);
        match mapped.as_mut()? {
            Mapped::Read(m) => Some(m.as_slice().as_ptr() as *mut u8),
            Mapped::Write(m) => Some(m.as_mut_slice().as_mut_ptr()),
        }
    }

    fn release(&self) {
        lock(&self.mapped).take();
    }
}

#[pymethods]
impl PixelMapping {
    fn __repr__(&self) -> String {
        match lock(&self.mapped).as_ref() {
            Some(mapped) => format!(
                "<gvarust.PixelMapping {} bytes, {}>",
                mapped.size(),
                if self.writable {
                    "read-write"
                } else {
                    "read-only"
                }
            ),
            None => "<gvarust.PixelMapping (released)>".into(),
        }
    }
}

/// A numpy array over `view` of the memory mapped by `owner`.
fn view_array<'py>(owner: &Bound<'py, PixelMapping>, view: &View) -> PyResult<Bound<'py, PyAny>> {
    let py = owner.py();
    let mapping = owner.get();
    let data = mapping
        .data_ptr()
        .ok_or_else(|| PyRuntimeError::new_err("the pixel mapping was already released"))?;
    let size = lock(&mapping.mapped).as_ref().map_or(0, Mapped::size);
    if !view.fits(size) {
        return Err(PyRuntimeError::new_err(format!(
            "the pixel layout {:?} does not fit in the buffer's {size} bytes",
            view.shape
        )));
    }
    let mut dims: Vec<npy_intp> = view.shape.iter().map(|&d| d as npy_intp).collect();
    let mut strides: Vec<npy_intp> = view.strides.iter().map(|&s| s as npy_intp).collect();
    let descr = view.dtype.descr(py)?;
    // SAFETY: `fits` checked that every element addressed by `view` lies inside
    // the mapped data starting at `data`; the mapping stays alive as long as the
    // array, which holds `owner` as its base and is emptied before the mapping
    // is released. It is writable only over a WRITE mapping.
    unsafe {
        borrowed_array(
            descr,
            &mut dims,
            Some(&mut strides),
            data.add(view.offset).cast(),
            mapping.writable,
            owner.clone().into_any(),
        )
    }
}

/// Makes a zero-copy array empty and read-only, so it no longer reaches the
/// mapped memory. Returns `false` for a 0-d array, which cannot be emptied.
fn empty_array(array: &Bound<'_, PyAny>) -> bool {
    let py = array.py();
    // SAFETY: `array` is an ndarray created by `view_array` (exact numpy type);
    // the GIL is held, so no other thread uses its fields meanwhile. Setting the
    // first dimension to 0 leaves a valid empty array that never dereferences
    // its data pointer.
    unsafe {
        let object = array.as_ptr() as *mut npyffi::PyArrayObject;
        let fields = &mut (*object).fields;
        if fields.nd < 1 || fields.dimensions.is_null() {
            return false;
        }
        *fields.dimensions = 0;
        fields.flags &= !npyffi::NPY_ARRAY_WRITEABLE;
        PY_ARRAY_API.PyArray_UpdateFlags(py, object, npyffi::NPY_ARRAY_UPDATE_ALL);
    }
    true
}

/// Bytes of `planes`, row by row without padding, one plane after another.
fn copy_planes(bytes: &[u8], planes: &[Plane]) -> PyResult<Vec<u8>> {
    let mut out = Vec::with_capacity(planes.iter().map(|p| p.rows * p.row_bytes).sum());
    for plane in planes {
        for row in 0..plane.rows {
            let start = plane.row_offset(row);
            let src = start
                .and_then(|s| bytes.get(s..s.checked_add(plane.row_bytes)?))
                .ok_or_else(|| PyRuntimeError::new_err("a plane row lies outside the buffer"))?;
            out.extend_from_slice(src);
        }
    }
    Ok(out)
}

/// Writes `data` (as produced by [`copy_planes`]) back into the planes.
fn write_planes(mapped: &mut Mapped, planes: &[Plane], data: &[u8]) -> PyResult<()> {
    let Mapped::Write(memory) = mapped else {
        return Err(PyRuntimeError::new_err(
            "the pixels were not mapped for writing",
        ));
    };
    let bytes = memory.as_mut_slice();
    let expected: usize = planes.iter().map(|p| p.rows * p.row_bytes).sum();
    if data.len() != expected {
        return Err(PyRuntimeError::new_err(format!(
            "the copied pixel array now holds {} bytes instead of {expected}; \
             its content was not written back",
            data.len()
        )));
    }
    let mut source = 0;
    for plane in planes {
        for row in 0..plane.rows {
            let dst = plane
                .row_offset(row)
                .and_then(|s| bytes.get_mut(s..s.checked_add(plane.row_bytes)?))
                .ok_or_else(|| PyRuntimeError::new_err("a plane row lies outside the buffer"))?;
            dst.copy_from_slice(&data[source..source + plane.row_bytes]);
            source += plane.row_bytes;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The context manager

/// What the context manager maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// `VideoFrame.data()`: one array.
    Data,
    /// `VideoFrame.planes()`: a list with one array per plane.
    Planes,
}

struct Entered {
    mapping: Py<PixelMapping>,
    /// The arrays over the pixels (or the copy), one per array handed out.
    /// Each handed-out array is a view of one of these, so numpy makes every
    /// view derived from a handed-out array a view of the inner one: the
    /// inner array's reference count tells whether derived views exist.
    inner: Vec<Py<PyAny>>,
    /// The arrays handed out, in plane order.
    arrays: Vec<Py<PyAny>>,
    /// The list handed out by `planes()`.
    list: Option<Py<PyList>>,
    /// Set when `data()` handed out a copy: the planes to write it back to.
    copied: Option<Vec<Plane>>,
}

enum State {
    Ready,
    Entered(Entered),
    Done,
}

/// Context manager returned by `VideoFrame.data()` and `VideoFrame.planes()`.
///
/// Entering maps the pixels and yields the array(s); leaving releases the
/// mapping (see the `VideoFrame.data` documentation for the rules).
#[pyclass(module = "gvarust", frozen)]
pub struct PixelAccess {
    slot: Arc<BufferSlot>,
    info: Arc<gst_video::VideoInfo>,
    write: bool,
    request: Request,
    state: Mutex<State>,
}

impl PixelAccess {
    /// Checks the request and builds the (not yet entered) context manager.
    pub(crate) fn new(
        slot: Arc<BufferSlot>,
        info: Option<Arc<gst_video::VideoInfo>>,
        flags: Option<&Bound<'_, PyAny>>,
        request: Request,
    ) -> PyResult<Self> {
        slot.buffer()?;
        let info = info
            .filter(|info| {
                !matches!(
                    info.format(),
                    gst_video::VideoFormat::Encoded | gst_video::VideoFormat::Unknown
                )
            })
            .ok_or_else(|| {
                PyRuntimeError::new_err(
                    "this frame has no raw video info (the caps are not raw video), so its pixels \
                     cannot be mapped",
                )
            })?;
        if request == Request::Data && data_shape(info.format()).is_none() {
            return Err(unsupported(&info));
        }
        let not_a_flag = |flags: &Bound<'_, PyAny>| {
            PyTypeError::new_err(format!(
                "flags must be an int or Gst.MapFlags (READ=1, WRITE=2), not {}",
                type_name(flags, "this object")
            ))
        };
        let write = match parse_flags(flags, not_a_flag)? {
            Some(write) => write,
            None => slot.is_writable().unwrap_or(false),
        };
        Ok(PixelAccess {
            slot,
            info,
            write,
            request,
            state: Mutex::new(State::Ready),
        })
    }

    fn build(&self, py: Python<'_>) -> PyResult<(Entered, Py<PyAny>)> {
        let info = &*self.info;
        let geometry = geometry(self.slot.buffer()?, info)?;
        let mapped = map_buffer(&self.slot, self.write)?.map_err(map_error)?;
        let planes = planes_of(info, &geometry, mapped.size())?;
        let mut copied = None;
        let mut copy = None;
        if self.request == Request::Data {
            let (shape, dtype) = data_shape(info.format()).ok_or_else(|| unsupported(info))?;
            if let DataLayout::Copy { shape } = data_layout(info, &planes, shape, dtype)? {
                copy = Some((shape, copy_planes(mapped.bytes(), &planes)?));
                copied = Some(planes.clone());
            }
        }
        let mapping = Bound::new(
            py,
            PixelMapping {
                mapped: Mutex::new(Some(mapped)),
                writable: self.write,
            },
        )?;
        let entered = |inner: Vec<Bound<'_, PyAny>>| {
            let arrays = inner
                .iter()
                .map(|a| a.call_method0("view").map(Bound::unbind))
                .collect::<PyResult<Vec<_>>>()?;
            Ok::<_, PyErr>(Entered {
                mapping: mapping.clone().unbind(),
                inner: inner.into_iter().map(Bound::unbind).collect(),
                arrays,
                list: None,
                copied: copied.clone(),
            })
        };
        match self.request {
            Request::Planes => {
                let inner = planes
                    .iter()
                    .map(|plane| view_array(&mapping, &plane_view(plane)))
                    .collect::<PyResult<Vec<_>>>()?;
                let mut entered = entered(inner)?;
                let list = PyList::new(py, entered.arrays.iter().map(|a| a.bind(py)))?;
                entered.list = Some(list.clone().unbind());
                Ok((entered, list.into_any().unbind()))
            }
            Request::Data => {
                let array = match copy {
                    Some((shape, bytes)) => {
                        let array = PyArray3::<u8>::zeros(py, shape, false);
                        array.readwrite().as_slice_mut()?.copy_from_slice(&bytes);
                        let array = array.into_any();
                        if !self.write {
                            set_read_only(&array)?;
                        }
                        let message = CString::new(format!(
                            "VideoFrame.data(): the planes of this {} frame are not laid out one \
                             after another with matching strides, so the array is a copy{}",
                            info.format().to_str(),
                            if self.write {
                                " (written back to the frame when the with block ends)"
                            } else {
                                ""
                            }
                        ))
                        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
                        PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)?;
                        array
                    }
                    None => {
                        let (shape, dtype) =
                            data_shape(info.format()).ok_or_else(|| unsupported(info))?;
                        let DataLayout::View(view) = data_layout(info, &planes, shape, dtype)?
                        else {
                            return Err(PyRuntimeError::new_err("unexpected pixel layout"));
                        };
                        view_array(&mapping, &view)?
                    }
                };
                let entered = entered(vec![array])?;
                let handed_out = entered.arrays[0].clone_ref(py);
                Ok((entered, handed_out))
            }
        }
    }

    /// Leaves the block; `Ok(true)` when a writable array is still referenced.
    fn leave(&self, py: Python<'_>, entered: Entered) -> PyResult<bool> {
        let mapping = entered.mapping.bind(py);
        let inner: Vec<&Bound<'_, PyAny>> = entered.inner.iter().map(|a| a.bind(py)).collect();
        let arrays: Vec<&Bound<'_, PyAny>> = entered.arrays.iter().map(|a| a.bind(py)).collect();
        // Our own references to a handed-out array: `arrays`, and the list of `planes()`.
        let own = if entered.list.is_some() { 2 } else { 1 };
        // Beyond our references, one name (the `with` target, or one unpacked
        // name per array) may remain; anything more keeps an array: a second
        // name, a container, or a view derived from it (which refers to the
        // inner array, held otherwise only by us and the handed-out view).
        let kept = || -> bool {
            let list_kept = entered
                .list
                .as_ref()
                .is_some_and(|l| refcount(l.bind(py).as_any()) > 2);
            let stored = arrays.iter().any(|a| refcount(a) > own + 1);
            let derived = inner.iter().any(|a| refcount(a) > 2);
            list_kept || stored || derived
        };

        if let Some(planes) = &entered.copied {
            let copy = inner[0];
            if self.write {
                let bytes = copy.call_method0("tobytes")?;
                let bytes = bytes.cast::<PyBytes>()?.as_bytes();
                let mut guard = lock(&mapping.get().mapped);
                let mapped = guard.as_mut().ok_or_else(|| {
                    PyRuntimeError::new_err("the pixel mapping was already released")
                })?;
                write_planes(mapped, planes, bytes)?;
            }
            // Later writes would be lost: make them fail instead.
            set_read_only(arrays[0])?;
            set_read_only(copy)?;
            mapping.get().release();
            return Ok(self.write && kept());
        }
        if !self.write {
            // Read-only arrays keep the mapping alive for as long as they live.
            return Ok(false);
        }
        if kept() {
            // Arrays in unreachable reference cycles are not really kept.
            py.import("gc")?.call_method0("collect")?;
            if kept() {
                // Leave everything mapped: the memory stays valid for whoever holds it.
                return Ok(true);
            }
        }
        let emptied = arrays.iter().chain(&inner).all(|a| empty_array(a));
        if emptied {
            mapping.get().release();
        }
        Ok(false)
    }
}

impl PixelAccess {
    /// The `TypeError` for using the context manager as if it were the array.
    fn not_an_array(&self, what: &str) -> PyErr {
        let hint = match self.request {
            Request::Data => "with frame.data() as a:\n    a[0, 0]",
            Request::Planes => "with frame.planes() as planes:\n    for p in planes: ...",
        };
        let call = match self.request {
            Request::Data => "data",
            Request::Planes => "planes",
        };
        PyTypeError::new_err(format!(
            "{what} frame.{call}() is not supported: it returns a context manager that maps the \
             pixels, not an array; use it in a with block:\n{hint}"
        ))
    }
}

/// The error for memory that [`map_buffer`] could not map.
fn map_error(failure: MapFailure) -> PyErr {
    PyRuntimeError::new_err(match failure {
        MapFailure::NoMemory => "the buffer has no memory to map".to_string(),
        MapFailure::Map { memory_type, write } => format!(
            "cannot map the buffer's memory of type '{memory_type}' for {}",
            if write { "writing" } else { "reading" }
        ),
        MapFailure::NotMerged => "the buffer's memory could not be merged for writing".to_string(),
    })
}

fn unsupported(info: &gst_video::VideoInfo) -> PyErr {
    PyRuntimeError::new_err(format!(
        "VideoFrame.data() does not support the pixel format {} (supported: {SUPPORTED_FORMATS}); \
         VideoFrame.planes() gives raw access to every plane",
        info.format().to_str()
    ))
}

fn set_read_only(array: &Bound<'_, PyAny>) -> PyResult<()> {
    let kwargs = PyDict::new(array.py());
    kwargs.set_item("write", false)?;
    array.call_method("setflags", (), Some(&kwargs))?;
    Ok(())
}

#[pymethods]
impl PixelAccess {
    /// Maps the pixels and returns the array (`data()`) or list of arrays (`planes()`).
    fn __enter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        {
            let mut state = lock(&self.state);
            if !matches!(*state, State::Ready) {
                return Err(PyRuntimeError::new_err(
                    "this pixel access was already entered; call frame.data() or frame.planes() again",
                ));
            }
            *state = State::Done;
        }
        let (entered, result) = self.build(py)?;
        *lock(&self.state) = State::Entered(entered);
        Ok(result)
    }

    /// Releases the mapping; raises `BufferError` when a writable array is still referenced.
    #[pyo3(signature = (exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let entered = match std::mem::replace(&mut *lock(&self.state), State::Done) {
            State::Entered(entered) => entered,
            _ => {
                return Err(PyRuntimeError::new_err(
                    "__exit__ without a matching __enter__",
                ))
            }
        };
        let kept = self.leave(py, entered)?;
        let propagating = exc_type.is_some_and(|t| !t.is_none());
        if kept && !propagating {
            return Err(PyBufferError::new_err(
                "a writable pixel array is still referenced when the `with` block ends; \
                 delete views that outlive the block (del), copy what you keep (a.copy()), \
                 or map with flags=READ to keep a read-only view",
            ));
        }
        Ok(false)
    }

    /// Refused: `data()` and `planes()` return a context manager, not an array.
    fn __getitem__(&self, _key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Err(self.not_an_array("indexing"))
    }

    /// Refused: `data()` and `planes()` return a context manager, not an array.
    fn __iter__(&self) -> PyResult<Py<PyAny>> {
        Err(self.not_an_array("iterating over"))
    }

    /// Refused, so `numpy.asarray(frame.data())` fails instead of giving a
    /// 0-d object array.
    #[pyo3(signature = (*_args, **_kwargs))]
    fn __array__(
        &self,
        _args: &Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        Err(self.not_an_array("converting to a numpy array"))
    }

    fn __repr__(&self) -> String {
        let state = match &*lock(&self.state) {
            State::Ready => "ready",
            State::Entered(_) => "entered",
            State::Done => "done",
        };
        format!(
            "<gvarust.PixelAccess {}() {} {} {}x{} ({state})>",
            match self.request {
                Request::Data => "data",
                Request::Planes => "planes",
            },
            if self.write { "READ|WRITE" } else { "READ" },
            self.info.format().to_str(),
            self.info.width(),
            self.info.height()
        )
    }
}
