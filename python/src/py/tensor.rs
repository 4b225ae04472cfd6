//! `Tensor`: a Python view of one tensor `GstStructure`.
//!
//! A tensor lives in one of four places:
//! - a frame-level GVA tensor meta, identified by the frame's [`BufferSlot`]
//!   and the meta's sequence number;
//! - a parameter structure of a region of interest, identified by the slot,
//!   the ROI meta's sequence number and the structure's address (re-validated
//!   by scanning the region's parameters on every access, never dereferenced
//!   unless found there);
//! - a parameter structure of an audio event (a GVA audio event meta), identified
//!   the same way by the event meta's sequence number and the address;
//! - an owned `GstStructure` (a tensor created standalone with `Tensor(...)`
//!   or by `copy()`).
//!
//! Every access through a buffer re-checks the slot (`InvalidatedError` once
//! the callback returned) and that the meta or parameter still exists
//! (`RuntimeError` if it was removed). Writes need the buffer to be writable
//! (`NotWritableError`). Python values are converted before the buffer is
//! touched and results are copied out before they are converted to Python, so
//! no Python code runs while a pointer into the buffer is in use.

use std::sync::Arc;

use gst::glib;
use numpy::npyffi::npy_intp;

use super::ndarray::borrowed_array;
use numpy::{PyArrayDescr, PyArrayDescrMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};

use super::errors::{audio_event_removed, InvalidatedError};
use super::slot::{BufferSlot, PtrCache};
use super::values::{
    field_quark, new_field_quark, py_to_value, scalar_to_py, structure_to_dict, value_to_py,
};
use crate::frame as model;
use crate::region;
use crate::tensor::{is_valid_structure_name, Layout, Precision, Tensor as TensorView};

/// Where a [`Tensor`]'s structure lives.
pub(crate) enum Source {
    /// The structure of a frame-level GVA tensor meta.
    Meta { slot: Arc<BufferSlot>, seqnum: u64 },
    /// A parameter structure of a region (ROI meta `roi`), at address `ptr`.
    Param {
        slot: Arc<BufferSlot>,
        roi: u64,
        ptr: usize,
    },
    /// A parameter structure of an audio event (GVA audio event meta `event`), at address `ptr`.
    EventParam {
        slot: Arc<BufferSlot>,
        event: u64,
        ptr: usize,
    },
    /// A structure owned by the Python object.
    Owned(gst::Structure),
    /// A structure at an address that classic gstgva code passed (a ctypes pointer
    /// to a `GstStructure` it owns or borrowed); reads and writes go to it.
    Borrowed(usize),
}

fn tensor_removed() -> PyErr {
    PyRuntimeError::new_err("this tensor was removed from its frame or region")
}

fn region_removed() -> PyErr {
    PyRuntimeError::new_err("the region this tensor belongs to was removed from its frame")
}

/// Checks a structure name supplied by Python code.
pub(crate) fn check_name(name: &str) -> PyResult<()> {
    if is_valid_structure_name(name) {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "invalid tensor name {name:?}: it must start with an ASCII letter and contain only \
             letters, digits and /-_.:+"
        )))
    }
}

/// The value `tensor[field] = value` stores: see `Tensor.__setitem__`; `dims`
/// is always an array of UINT.
pub(crate) fn field_value(field: &str, value: &Bound<'_, PyAny>) -> PyResult<glib::SendValue> {
    if field == "dims" {
        let dims: Vec<u32> = value.extract().map_err(|_| {
            PyTypeError::new_err("dims must be a sequence of non-negative 32-bit ints")
        })?;
        return Ok(crate::tensor::dims_value(&dims));
    }
    py_to_value(value, field)
}

/// Checks a field name supplied by Python code.
pub(crate) fn check_field(key: &str) -> PyResult<()> {
    if key.is_empty() || key.contains('\0') {
        Err(PyValueError::new_err(format!("invalid field name {key:?}")))
    } else {
        Ok(())
    }
}

static PRECISION_ENUM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LAYOUT_ENUM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Builds an `enum.IntEnum` named `name` in module `gvarust`.
fn int_enum(py: Python<'_>, name: &str, members: Vec<(&str, i32)>) -> PyResult<Py<PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("module", "gvarust")?;
    kwargs.set_item("qualname", format!("Tensor.{name}"))?;
    let enum_class = py
        .import("enum")?
        .getattr("IntEnum")?
        .call((name, members), Some(&kwargs))?;
    Ok(enum_class.unbind())
}

/// The `Tensor.PRECISION` IntEnum (the C `GVAPrecision` names and values).
pub(crate) fn precision_enum(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    PRECISION_ENUM
        .get_or_try_init(py, || {
            int_enum(
                py,
                "PRECISION",
                Precision::ALL
                    .iter()
                    .map(|p| (p.as_str(), p.as_i32()))
                    .collect(),
            )
        })
        .map(|e| e.bind(py))
}

/// The `Tensor.LAYOUT` IntEnum (the C `GVALayout` names and values).
pub(crate) fn layout_enum(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LAYOUT_ENUM
        .get_or_try_init(py, || {
            int_enum(
                py,
                "LAYOUT",
                Layout::ALL
                    .iter()
                    .map(|l| (l.as_str(), l.as_i32()))
                    .collect(),
            )
        })
        .map(|e| e.bind(py))
}

/// numpy dtype name for a precision, or `None` when it has none (raw bytes).
fn numpy_dtype(precision: Precision) -> Option<&'static str> {
    Some(match precision {
        Precision::Fp32 => "float32",
        Precision::Fp16 => "float16",
        Precision::Fp64 => "float64",
        Precision::U8 => "uint8",
        Precision::I8 => "int8",
        Precision::U16 => "uint16",
        Precision::I16 => "int16",
        Precision::U32 => "uint32",
        Precision::I32 => "int32",
        Precision::U64 => "uint64",
        Precision::I64 => "int64",
        Precision::Bool => "bool",
        _ => return None,
    })
}

/// Precision for a numpy dtype name, the inverse of [`numpy_dtype`].
fn precision_of_dtype(name: &str) -> Option<Precision> {
    Precision::ALL
        .into_iter()
        .find(|p| numpy_dtype(*p) == Some(name))
}

/// Keeps the GVariant behind a `Tensor.data()` array alive: a GVariant is
/// immutable and reference-counted, so the bytes stay valid (and unchanged)
/// for as long as the array exists, even after the callback returned or the
/// tensor's data was replaced.
#[pyclass(module = "gvarust", frozen)]
pub struct TensorBytes {
    variant: glib::Variant,
}

#[pymethods]
impl TensorBytes {
    /// Number of bytes held.
    fn __len__(&self) -> usize {
        self.variant.fixed_array::<u8>().map_or(0, |b| b.len())
    }

    /// `<gvarust.TensorBytes N bytes>`.
    fn __repr__(&self) -> String {
        format!("<gvarust.TensorBytes {} bytes>", self.__len__())
    }
}

/// A zero-copy, read-only numpy array over the bytes of `variant` (type `ay`).
fn variant_array<'py>(
    py: Python<'py>,
    variant: glib::Variant,
    dtype: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let descr = PyArrayDescr::new(py, dtype)?;
    let itemsize = descr.itemsize().max(1);
    let (ptr, len) = match variant.fixed_array::<u8>() {
        Ok(bytes) => (bytes.as_ptr(), bytes.len()),
        Err(_) => {
            return Err(PyRuntimeError::new_err(
                "the tensor's data_buffer is not a byte array (GVariant 'ay')",
            ))
        }
    };
    if len % itemsize != 0 {
        return Err(PyRuntimeError::new_err(format!(
            "the tensor holds {len} bytes, not a whole number of {dtype} elements"
        )));
    }
    if len == 0 {
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", dtype)?;
        return py
            .import("numpy")?
            .call_method("zeros", (0,), Some(&kwargs));
    }
    let owner = Bound::new(py, TensorBytes { variant })?;
    let mut dims = [(len / itemsize) as npy_intp];
    // SAFETY: `ptr` points at `len` bytes of the serialized GVariant held by
    // `owner`, the array's base; GVariant data is immutable and lives as long as
    // the variant. The array covers exactly `len` bytes (a whole number of
    // elements, checked above) and is read-only.
    unsafe {
        borrowed_array(
            descr,
            &mut dims,
            None,
            ptr as *mut std::ffi::c_void,
            false,
            owner.into_any(),
        )
    }
}

/// A tensor: a view of one `GstStructure` (inference result or raw output).
///
/// Tensors come from `frame.tensors()`, `frame.add_tensor()`,
/// `region.tensors()`, `region.detection()` and `region.add_tensor()`; those
/// are valid during the callback only (then `InvalidatedError`). `Tensor(name,
/// fields)` creates a standalone tensor that owns its structure.
///
/// Field values map to Python as: bool, int (INT, UINT, INT64, UINT64), float,
/// str, list (arrays and lists), dict (nested structures), bytes (byte
/// variants). A missing field reads as `None`.
#[pyclass(module = "gvarust")]
pub struct Tensor {
    source: Source,
    /// The structure's address while no write went through the slot.
    cache: PtrCache,
}

impl Tensor {
    /// A view of the frame-level tensor meta `seqnum` of the slot's buffer.
    pub(crate) fn from_meta(slot: Arc<BufferSlot>, seqnum: u64) -> Self {
        Tensor {
            source: Source::Meta { slot, seqnum },
            cache: PtrCache::empty(),
        }
    }

    /// A view of the parameter structure at `ptr` of region `roi`.
    pub(crate) fn from_param(
        slot: Arc<BufferSlot>,
        roi: u64,
        ptr: *const gst::ffi::GstStructure,
    ) -> Self {
        let cache = PtrCache::holding(&slot, ptr);
        Tensor {
            source: Source::Param {
                slot,
                roi,
                ptr: ptr as usize,
            },
            cache,
        }
    }

    /// A view of the parameter structure at `ptr` of the audio event meta `event`.
    pub(crate) fn from_event_param(
        slot: Arc<BufferSlot>,
        event: u64,
        ptr: *const gst::ffi::GstStructure,
    ) -> Self {
        let cache = PtrCache::holding(&slot, ptr);
        Tensor {
            source: Source::EventParam {
                slot,
                event,
                ptr: ptr as usize,
            },
            cache,
        }
    }

    /// A standalone tensor owning `structure`.
    pub(crate) fn owned(structure: gst::Structure) -> Self {
        Tensor {
            source: Source::Owned(structure),
            cache: PtrCache::empty(),
        }
    }

    /// Runs `f` on the tensor's structure (read-only). `f` must not run Python code;
    /// building `str`, `int` or `float` objects is fine (see `scalar_to_py`).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&TensorView) -> R) -> PyResult<R> {
        let slot = match &self.source {
            Source::Owned(s) => return Ok(f(TensorView::from_structure(s))),
            Source::Borrowed(ptr) => {
                // SAFETY: classic gstgva's contract, as in its ctypes `Tensor(ptr)`: the
                // caller keeps the structure alive while the tensor is used.
                let structure = unsafe {
                    gst::StructureRef::from_glib_borrow(*ptr as *const gst::ffi::GstStructure)
                };
                return Ok(f(TensorView::from_structure(structure)));
            }
            Source::Meta { slot, .. }
            | Source::Param { slot, .. }
            | Source::EventParam { slot, .. } => slot,
        };
        let buffer = slot.buffer()?;
        if let Some(ptr) = self.cache.get::<gst::ffi::GstStructure>(slot) {
            // SAFETY: the structure was found on this (still valid) buffer and no
            // write went through the slot since, which is the only way its metas
            // and their structures change during the callback (see PtrCache).
            let structure = unsafe { gst::StructureRef::from_glib_borrow(ptr) };
            return Ok(f(TensorView::from_structure(structure)));
        }
        let found: *const gst::ffi::GstStructure = match &self.source {
            Source::Owned(_) | Source::Borrowed(_) => unreachable!("handled above"),
            Source::Meta { seqnum, .. } => model::tensor_by_seqnum(buffer, *seqnum)
                .ok_or_else(tensor_removed)?
                .structure()
                .as_ptr(),
            Source::Param { roi, ptr, .. } => {
                let roi = model::region_by_seqnum(buffer, *roi).ok_or_else(region_removed)?;
                region::param_by_ptr(&roi, *ptr as *const gst::ffi::GstStructure)
                    .ok_or_else(tensor_removed)?
                    .as_ptr()
            }
            Source::EventParam { event, ptr, .. } => {
                let event =
                    model::audio_event_by_seqnum(buffer, *event).ok_or_else(audio_event_removed)?;
                event
                    .param_by_ptr(*ptr as *const gst::ffi::GstStructure)
                    .ok_or_else(tensor_removed)?
                    .as_ptr()
            }
        };
        // SAFETY: `found` was just found attached to a meta of the live buffer,
        // which nothing changes before `f` returns (`f` runs no Python code).
        let structure = unsafe { gst::StructureRef::from_glib_borrow(found) };
        self.cache.set(slot, structure.as_ptr());
        Ok(f(TensorView::from_structure(structure)))
    }

    /// Runs `f` on the tensor's structure for writing. `f` must not run Python
    /// code. Tensor writes change the structure in place (fields, name), which
    /// keeps cached pointers valid (see [`BufferSlot::with_buffer_mut_in_place`]).
    pub(crate) fn write<R>(&mut self, f: impl FnOnce(&mut TensorView) -> R) -> PyResult<R> {
        match &mut self.source {
            Source::Owned(s) => return Ok(f(TensorView::from_structure_mut(s))),
            Source::Borrowed(ptr) => {
                // SAFETY: as in `read`: the caller's structure is alive, and writable as
                // classic gstgva code writes it.
                let structure = unsafe {
                    gst::StructureRef::from_glib_borrow_mut(*ptr as *mut gst::ffi::GstStructure)
                };
                return Ok(f(TensorView::from_structure_mut(structure)));
            }
            Source::Meta { .. } | Source::Param { .. } | Source::EventParam { .. } => {}
        }
        let source = &self.source;
        let (Source::Meta { slot, .. }
        | Source::Param { slot, .. }
        | Source::EventParam { slot, .. }) = source
        else {
            unreachable!("owned and borrowed structures are handled above")
        };
        slot.buffer()?;
        let cached = self.cache.get::<gst::ffi::GstStructure>(slot);
        let (result, found) = slot.with_buffer_mut_in_place(|b| {
            let structure: *mut gst::ffi::GstStructure = match (cached, source) {
                (Some(ptr), _) => ptr as *mut _,
                (None, Source::Meta { seqnum, .. }) => model::tensor_mut(b, *seqnum)
                    .ok_or_else(tensor_removed)?
                    .structure_mut()
                    .as_mut_ptr(),
                (None, Source::Param { roi, ptr, .. }) => {
                    let mut roi = model::region_mut(b, *roi).ok_or_else(region_removed)?;
                    region::param_by_ptr_mut(&mut roi, *ptr as *const gst::ffi::GstStructure)
                        .ok_or_else(tensor_removed)?
                        .as_mut_ptr()
                }
                (None, Source::EventParam { event, ptr, .. }) => {
                    let mut event =
                        model::audio_event_mut(b, *event).ok_or_else(audio_event_removed)?;
                    event
                        .param_by_ptr_mut(*ptr as *const gst::ffi::GstStructure)
                        .ok_or_else(tensor_removed)?
                        .as_mut_ptr()
                }
                (None, Source::Owned(_) | Source::Borrowed(_)) => unreachable!("handled above"),
            };
            // SAFETY: `structure` belongs to a meta of this buffer: found just now, or
            // cached and still attached (nothing removed or moved a meta or structure
            // since, see PtrCache). The buffer is writable and borrowed exclusively for
            // this closure, and `f` runs no Python code, so the access is unique.
            let view = unsafe { gst::StructureRef::from_glib_borrow_mut(structure) };
            Ok::<_, PyErr>((
                f(TensorView::from_structure_mut(view)),
                cached
                    .is_none()
                    .then_some(structure as *const gst::ffi::GstStructure),
            ))
        })??;
        if let Some(ptr) = found {
            self.cache.set(slot, ptr);
        }
        Ok(result)
    }

    /// An owned copy of the structure.
    pub(crate) fn to_structure(&self) -> PyResult<gst::Structure> {
        self.read(|t| t.structure().to_owned())
    }

    fn string_field(&self, field: &str) -> PyResult<Option<String>> {
        self.read(|t| t.string(field).map(str::to_owned))
    }
}

/// The bytes and default precision/dims of a `set_data` argument.
struct DataArg {
    /// Whether the argument was raw bytes (not an array).
    raw: bool,
    bytes: Vec<u8>,
    precision: Option<Precision>,
    dims: Vec<u32>,
}

fn data_arg(data: &Bound<'_, PyAny>) -> PyResult<DataArg> {
    let py = data.py();
    let raw = if let Ok(b) = data.cast::<PyBytes>() {
        Some(b.as_bytes().to_vec())
    } else if let Ok(b) = data.cast::<PyByteArray>() {
        Some(b.to_vec())
    } else if data.is_instance_of::<PyMemoryView>() {
        Some(
            py.import("builtins")?
                .getattr("bytes")?
                .call1((data,))?
                .cast_into::<PyBytes>()?
                .as_bytes()
                .to_vec(),
        )
    } else {
        None
    };
    if let Some(bytes) = raw {
        let n = u32::try_from(bytes.len())
            .map_err(|_| PyValueError::new_err("tensor data larger than 4 GiB"))?;
        return Ok(DataArg {
            raw: true,
            bytes,
            precision: None,
            dims: vec![n],
        });
    }
    let array = py
        .import("numpy")?
        .call_method1("ascontiguousarray", (data,))?;
    let dtype: String = array.getattr("dtype")?.str()?.extract()?;
    let shape: Vec<usize> = array.getattr("shape")?.extract()?;
    let dims = if shape.is_empty() {
        vec![1]
    } else {
        shape
            .into_iter()
            .map(|d| {
                u32::try_from(d).map_err(|_| PyValueError::new_err("tensor dimension too large"))
            })
            .collect::<PyResult<_>>()?
    };
    let bytes = array
        .call_method0("tobytes")?
        .cast_into::<PyBytes>()?
        .as_bytes()
        .to_vec();
    Ok(DataArg {
        raw: false,
        bytes,
        precision: precision_of_dtype(&dtype),
        dims,
    })
}

/// Reads a `precision=` argument: an int or a `Tensor.PRECISION` member.
fn precision_arg(value: &Bound<'_, PyAny>) -> PyResult<Precision> {
    let raw: i64 = value.extract().map_err(|_| {
        PyTypeError::new_err("precision must be an int or a Tensor.PRECISION member")
    })?;
    i32::try_from(raw)
        .ok()
        .map(Precision::from_i32)
        .filter(|p| i64::from(p.as_i32()) == raw)
        .ok_or_else(|| PyValueError::new_err(format!("{raw} is not a Tensor.PRECISION value")))
}

/// A PyGObject `Gst.Structure` parsed from its serialization `text`.
pub(crate) fn py_structure<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let gst = py.import("gi.repository.Gst")?;
    let structure = gst
        .getattr("Structure")?
        .call_method1("new_from_string", (text,))?;
    if structure.is_none() {
        return Err(PyValueError::new_err(format!(
            "GStreamer cannot parse the structure {text:?}"
        )));
    }
    Ok(structure)
}

/// A copy of a PyGObject `Gst.Structure`.
/// The address a classic gstgva caller passed as `Tensor(ptr)`: an `int`, a
/// `ctypes.c_void_p` or a ctypes pointer; `None` for anything else. NULL is refused.
fn structure_address(obj: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    let address = if let Ok(address) = obj.extract::<usize>() {
        Some(address)
    } else if obj.hasattr("_type_")? || obj.get_type().name()? == "c_void_p" {
        // ctypes objects: c_void_p has `.value`; typed pointers cast to it.
        let ctypes = obj.py().import("ctypes")?;
        let void_p = ctypes.getattr("c_void_p")?;
        let value = if obj.is_instance(&void_p)? {
            obj.getattr("value")?
        } else {
            ctypes
                .call_method1("cast", (obj, void_p))?
                .getattr("value")?
        };
        Some(value.extract::<Option<usize>>()?.unwrap_or(0))
    } else {
        None
    };
    match address {
        Some(0) => Err(PyValueError::new_err(
            "Tensor() got a NULL structure pointer",
        )),
        Some(address) if !is_structure_at(address) => Err(PyValueError::new_err(format!(
            "Tensor() got {address:#x}, which is not the address of a GstStructure"
        ))),
        other => Ok(other),
    }
}

/// Whether `address` holds a `GstStructure` (its first field is the structure
/// GType), read without risking a fault: through `process_vm_readv` on this
/// process, which fails cleanly on unmapped memory.
fn is_structure_at(address: usize) -> bool {
    use glib::prelude::StaticType;
    use glib::translate::IntoGlib;
    let mut first_field: usize = 0;
    let local = libc::iovec {
        iov_base: (&mut first_field as *mut usize).cast(),
        iov_len: std::mem::size_of::<usize>(),
    };
    let remote = libc::iovec {
        iov_base: address as *mut libc::c_void,
        iov_len: std::mem::size_of::<usize>(),
    };
    // SAFETY: `local` describes a live usize of this frame; the kernel validates
    // `remote` (an unmapped address gives an error, not a fault).
    let read = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
    read == std::mem::size_of::<usize>() as isize
        && first_field == gst::Structure::static_type().into_glib()
}

fn structure_from_py(obj: &Bound<'_, PyAny>) -> PyResult<gst::Structure> {
    let ptr = super::pygobject::boxed_pointer(obj, "Gst", "Structure").map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err("Tensor() takes a name (str) or a Gst.Structure")
    })?;
    // SAFETY: `boxed_pointer` returned the live GstStructure the PyGObject wrapper
    // holds; it is only read (copied) while `obj` keeps it alive.
    Ok(
        unsafe { gst::StructureRef::from_glib_borrow(ptr as *const gst::ffi::GstStructure) }
            .to_owned(),
    )
}

#[pymethods]
impl Tensor {
    /// Creates a standalone tensor owning a new structure named `name`, filled
    /// with the items of the dict `fields` (converted as by `tensor[key] = value`),
    /// or a copy of a PyGObject `Gst.Structure` given instead of the name (DL
    /// Streamer 2025.2). Add it to a region with `region.add_tensor(tensor)`
    /// (which copies it). As in classic gstgva, the address of a `GstStructure`
    /// (an `int` or a ctypes pointer, e.g. from `gst_structure_new_empty`) gives a
    /// tensor over that structure, read and written in place; its owner keeps it
    /// alive. An address that holds no `GstStructure` raises `ValueError`.
    #[new]
    #[pyo3(signature = (name = None, fields = None))]
    fn py_new(
        name: Option<&Bound<'_, PyAny>>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let structure = match name {
            None => gst::Structure::new_empty("tensor"),
            Some(name) => match name.extract::<String>() {
                Ok(name) => {
                    check_name(&name)?;
                    gst::Structure::new_empty(name.as_str())
                }
                Err(_) => match structure_address(name)? {
                    Some(address) => {
                        let mut tensor = Tensor {
                            source: Source::Borrowed(address),
                            cache: PtrCache::empty(),
                        };
                        if let Some(fields) = fields {
                            for (key, value) in fields.iter() {
                                let key = key.cast_into::<PyString>()?;
                                tensor.__setitem__(&key, &value)?;
                            }
                        }
                        return Ok(tensor);
                    }
                    None => structure_from_py(name)?,
                },
            },
        };
        let mut tensor = Tensor::owned(structure);
        if let Some(fields) = fields {
            for (key, value) in fields.iter() {
                let key = key.cast_into::<PyString>()?;
                tensor.__setitem__(&key, &value)?;
            }
        }
        Ok(tensor)
    }

    /// The `Tensor.PRECISION` IntEnum: UNSPECIFIED=255, FP32=10, FP16=11,
    /// BF16=12, FP64=13, Q78=20, I16=30, U4=39, U8=40, I4=49, I8=50, U16=60,
    /// I32=70, U32=74, I64=72, U64=73, BIN=71, BOOL=41, CUSTOM=80.
    #[classattr]
    #[pyo3(name = "PRECISION")]
    fn precision_class(py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(precision_enum(py)?.clone().unbind())
    }

    /// The `Tensor.LAYOUT` IntEnum: ANY=0, NCHW=1, NHWC=2, NC=193.
    #[classattr]
    #[pyo3(name = "LAYOUT")]
    fn layout_class(py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(layout_enum(py)?.clone().unbind())
    }

    /// The tensor's `type` field (such as `"classification_result"`), or `None`
    /// (DL Streamer 2025.2).
    fn r#type(&self) -> PyResult<Option<String>> {
        self.string_field("type")
    }

    /// A copy of the tensor's structure as a PyGObject `Gst.Structure` (DL
    /// Streamer 2025.2); fields GStreamer cannot serialize (raw pointers) are
    /// left out.
    fn get_structure<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.read(|t| t.to_string())?;
        py_structure(py, &text)
    }

    /// The structure's name (`"detection"`, `"meta"`, a layer or attribute name).
    fn name(&self) -> PyResult<String> {
        self.read(|t| t.name().to_owned())
    }

    /// Renames the tensor (`ValueError` for a name GStreamer does not accept).
    fn set_name(&mut self, name: &str) -> PyResult<()> {
        check_name(name)?;
        self.write(|t| t.set_name(name))
    }

    /// The field names, in insertion order.
    fn fields(&self) -> PyResult<Vec<String>> {
        self.read(|t| t.fields().map(|f| f.to_string()).collect())
    }

    /// Whether the field `name` is present (whatever its value).
    fn has_field(&self, name: &str) -> PyResult<bool> {
        self.read(|t| t.has_field(name))
    }

    /// The value of field `key`, or `None` when it is missing.
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        /// A field read inside the buffer access: scalars are converted there
        /// (no Python code runs), anything else is copied out first.
        enum Found<'py> {
            Missing,
            Converted(PyResult<Bound<'py, PyAny>>),
            Copied(glib::Value),
        }
        // A name without a quark can still be a field: GStreamer >= 1.26 names
        // fields by GstIdStr and makes no quark for them.
        let quark = field_quark(key)?;
        let name = match quark {
            Some(_) => "",
            None => key.to_str()?,
        };
        let found = self.read(|t| {
            let value: Option<&glib::Value> = match quark {
                Some(quark) => t.value_by_quark(quark),
                None => t.value(name).ok().map(|v| &**v),
            };
            match value {
                None => Found::Missing,
                Some(value) => match scalar_to_py(py, value) {
                    Some(converted) => Found::Converted(converted),
                    None => Found::Copied(value.clone()),
                },
            }
        })?;
        match found {
            Found::Missing => Ok(py.None().into_bound(py)),
            Found::Converted(converted) => converted,
            Found::Copied(value) => value_to_py(py, &value),
        }
    }

    /// Sets field `key`: bool -> BOOLEAN, int -> INT (INT64 beyond 32 bits),
    /// float -> DOUBLE, str -> STRING, bytes -> GVariant `ay`, list/tuple/numpy
    /// array -> GST_TYPE_ARRAY, dict -> nested structure. `dims` is always
    /// stored as an array of UINT.
    fn __setitem__(&mut self, key: &Bound<'_, PyString>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let name = key.to_str()?;
        check_field(name)?;
        let converted = field_value(name, value)?;
        let quark = new_field_quark(key)?;
        self.write(|t| t.set_value_by_quark(quark, converted))
    }

    /// Removes field `key` (nothing happens when it is missing, as in gstgva).
    fn __delitem__(&mut self, key: &str) -> PyResult<()> {
        self.write(|t| t.remove_field(key))
    }

    /// Number of fields.
    fn __len__(&self) -> PyResult<usize> {
        self.read(|t| t.n_fields())
    }

    /// Whether field `key` is present.
    fn __contains__(&self, key: &str) -> PyResult<bool> {
        self.read(|t| t.has_field(key))
    }

    /// Iterates over `(key, value)` pairs in field order (a snapshot).
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let structure = self.to_structure()?;
        let items = PyList::empty(py);
        for (field, value) in structure.iter() {
            items.append(PyTuple::new(
                py,
                [
                    field.as_str().into_pyobject(py)?.into_any(),
                    value_to_py(py, value)?,
                ],
            )?)?;
        }
        Ok(items.try_iter()?.into_any())
    }

    /// `Tensor(name, {fields})`, or a note that the tensor is invalidated or removed.
    fn __repr__(&self, py: Python<'_>) -> String {
        match self.to_structure() {
            Ok(structure) => {
                let fields = structure_to_dict(py, &structure, false)
                    .and_then(|d| d.repr().map(|r| r.to_string()))
                    .unwrap_or_else(|_| "{...}".into());
                format!("Tensor({:?}, {fields})", structure.name().as_str())
            }
            Err(err) if err.is_instance_of::<InvalidatedError>(py) => {
                "<gvarust.Tensor (invalidated)>".into()
            }
            Err(_) => "<gvarust.Tensor (removed)>".into(),
        }
    }

    /// Whether the tensor can still be used (views of a frame's metadata are
    /// valid during the callback only, and while the meta exists).
    fn is_valid(&self) -> bool {
        self.read(|_| ()).is_ok()
    }

    /// A standalone copy of this tensor (owning its structure, valid forever).
    fn copy(&self) -> PyResult<Tensor> {
        Ok(Tensor::owned(self.to_structure()?))
    }

    /// The `layer_name` string field, or `None`.
    fn layer_name(&self) -> PyResult<Option<String>> {
        self.string_field("layer_name")
    }

    /// The `model_name` string field, or `None`.
    fn model_name(&self) -> PyResult<Option<String>> {
        self.string_field("model_name")
    }

    /// The `format` string field, or `None`.
    fn format(&self) -> PyResult<Option<String>> {
        self.string_field("format")
    }

    /// The `element_id` string field (the producing element's id), or `None`.
    fn element_id(&self) -> PyResult<Option<String>> {
        self.string_field("element_id")
    }

    /// The `label_id` int field, or `None`.
    fn label_id(&self) -> PyResult<Option<i32>> {
        self.read(|t| t.label_id())
    }

    /// The `object_id` int field, or `None`.
    fn object_id(&self) -> PyResult<Option<i32>> {
        self.read(|t| t.object_id())
    }

    /// The `confidence` float field, or `None`.
    fn confidence(&self) -> PyResult<Option<f64>> {
        self.read(|t| t.confidence())
    }

    /// The `label` string field, or `None`. Raises `RuntimeError` on a
    /// detection tensor (a region's label is `region.label()`).
    fn label<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        self.read(|t| {
            if t.is_detection() {
                Err(PyRuntimeError::new_err(
                    "a detection tensor has no label; use RegionOfInterest.label()",
                ))
            } else {
                // Building a str runs no Python code (see `scalar_to_py`).
                Ok(t.label().map(|label| PyString::new(py, label)))
            }
        })?
    }

    /// Sets the `label` string field. Raises `RuntimeError` on a detection tensor.
    fn set_label(&mut self, label: &str) -> PyResult<()> {
        if label.contains('\0') {
            return Err(PyValueError::new_err(
                "a label cannot contain NUL characters",
            ));
        }
        self.write(|t| t.set_label(label))?
            .map_err(|_| PyRuntimeError::new_err("a detection tensor cannot have a label"))
    }

    /// Whether this is a detection tensor (its name is `detection`).
    fn is_detection(&self) -> PyResult<bool> {
        self.read(|t| t.is_detection())
    }

    /// The `dims` field as a list of ints (`[]` when missing). Raises
    /// `ValueError` when `dims` is not an array of non-negative ints.
    fn dims(&self) -> PyResult<Vec<u32>> {
        self.read(|t| t.dims())?
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The precision as a `Tensor.PRECISION` member (missing or unknown: UNSPECIFIED).
    fn precision<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.read(|t| t.precision())?;
        precision_enum(py)?.call1((p.as_i32(),))
    }

    /// The precision's name, e.g. `"FP32"` (missing or unknown: `"UNSPECIFIED"`).
    fn precision_as_string(&self) -> PyResult<&'static str> {
        self.read(|t| t.precision().as_str())
    }

    /// The layout as a `Tensor.LAYOUT` member (missing or unknown: ANY).
    fn layout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let l = self.read(|t| t.layout())?;
        layout_enum(py)?.call1((l.as_i32(),))
    }

    /// The layout's name: `"ANY"`, `"NCHW"`, `"NHWC"` or `"NC"`.
    fn layout_as_string(&self) -> PyResult<&'static str> {
        self.read(|t| t.layout().as_str())
    }

    /// The raw data (`data_buffer`) as a flat, read-only, zero-copy numpy array
    /// typed by `precision` (FP32 float32, FP16 float16, FP64 float64, U8/I8,
    /// U16/I16, U32/I32, U64/I64, BOOL bool); other precisions (UNSPECIFIED,
    /// BF16, Q78, U4, I4, BIN, CUSTOM) give the raw bytes as uint8. Reshape with
    /// `tensor.dims()`. `None` when the tensor has no data.
    ///
    /// The array holds a reference to the (immutable) GVariant with the bytes,
    /// so it stays valid after the callback and after `set_data()`; to change
    /// the data, call `set_data()` (copy the array first to modify it).
    /// Raises `RuntimeError` when the byte count is not a whole number of elements.
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let found = self.read(|t| {
            let variant = t
                .value("data_buffer")
                .ok()
                .and_then(|v| v.get::<glib::Variant>().ok())
                .filter(|v| v.type_() == glib::VariantTy::BYTE_STRING);
            (variant, t.precision())
        })?;
        match found {
            (Some(variant), precision) => {
                variant_array(py, variant, numpy_dtype(precision).unwrap_or("uint8"))
            }
            (None, _) => Ok(py.None().into_bound(py)),
        }
    }

    /// Stores raw data: `data_buffer` (GVariant `ay`), `precision` and `dims`.
    ///
    /// `data` is a numpy array (or anything `numpy.ascontiguousarray` takes):
    /// precision defaults to the one matching its dtype and dims to its shape.
    /// Or `bytes`/`bytearray`/`memoryview`: precision defaults to U8 and dims to
    /// `[len(data)]`. With a precision of known size, the byte count must equal
    /// the product of `dims` times the element size (`ValueError` otherwise).
    #[pyo3(signature = (data, precision = None, dims = None))]
    fn set_data(
        &mut self,
        data: &Bound<'_, PyAny>,
        precision: Option<&Bound<'_, PyAny>>,
        dims: Option<Vec<u32>>,
    ) -> PyResult<()> {
        let arg = data_arg(data)?;
        let precision = match precision.filter(|p| !p.is_none()) {
            Some(p) => precision_arg(p)?,
            None if arg.raw => Precision::U8,
            None => arg.precision.ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "no tensor precision for numpy dtype {}; pass precision=",
                    data.getattr("dtype")
                        .and_then(|d| d.str())
                        .map(|s| s.to_string())
                        .unwrap_or_else(|_| "of this object".into())
                ))
            })?,
        };
        let len = arg.bytes.len();
        let dims = match dims {
            Some(dims) => dims,
            // Raw bytes stored with a wider precision: one dimension of elements.
            None if arg.raw => match precision.element_size() {
                Some(size) if size > 1 && len % size == 0 => vec![(len / size) as u32],
                _ => arg.dims,
            },
            None => arg.dims,
        };
        let bytes = arg.bytes;
        self.write(|t| {
            let result = t.set_data(&bytes, precision, &dims);
            if result.is_ok() {
                // A `data` pointer field would point at the old bytes.
                t.remove_field("data");
            }
            result
        })?
        .map_err(|e| PyValueError::new_err(e.to_string()))
    }
}
