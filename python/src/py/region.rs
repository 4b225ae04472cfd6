//! `RegionOfInterest`: a Python view of one `GstVideoRegionOfInterestMeta`,
//! and the `Rect` namedtuple.
//!
//! A region is identified by its frame's [`BufferSlot`] and the ROI meta's
//! sequence number; every access looks the meta up again, so a region kept
//! after the callback raises `InvalidatedError` and a removed one
//! `RuntimeError`.

use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyString, PyTuple, PyType};
use pyo3::IntoPyObjectExt;

use super::errors::InvalidatedError;
use super::helpers::helpers;
use super::slot::{BufferSlot, PtrCache};
use super::tensor::{check_name, Tensor};
use super::values::label_strs;
use crate::frame as model;
use crate::region::{self, RoiMeta};

/// The `gvarust.Rect` class: `collections.namedtuple("Rect", "x y w h")`.
pub fn rect_class(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    Ok(rect_type(py)?.clone().into_any())
}

/// The `Rect` class, looked up once and checked to be a plain tuple subclass
/// (no instance dict or slots), which [`new_rect`] relies on.
fn rect_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static RECT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    RECT.get_or_try_init(py, || {
        let class = helpers(py)?.getattr("Rect")?.cast_into::<PyType>()?;
        // SAFETY: both are live type objects; this reads their size fields.
        let plain = unsafe {
            (*class.as_type_ptr()).tp_basicsize
                == (*std::ptr::addr_of!(pyo3::ffi::PyTuple_Type)).tp_basicsize
        };
        if !class.is_subclass_of::<PyTuple>()? || !plain {
            return Err(PyRuntimeError::new_err(
                "gvarust.Rect is not a plain tuple subclass",
            ));
        }
        Ok(class.unbind())
    })
    .map(|class| class.bind(py))
}

/// A `Rect(x, y, w, h)`, built the way `tuple.__new__` builds instances of a
/// tuple subclass, without the namedtuple's Python-level `__new__` (which
/// costs more than the rest of `rect()`).
pub(crate) fn new_rect<'py, T>(
    py: Python<'py>,
    (x, y, w, h): (T, T, T, T),
) -> PyResult<Bound<'py, PyAny>>
where
    T: IntoPyObject<'py>,
{
    let class = rect_type(py)?;
    let items = [
        x.into_bound_py_any(py)?,
        y.into_bound_py_any(py)?,
        w.into_bound_py_any(py)?,
        h.into_bound_py_any(py)?,
    ];
    // SAFETY: `class` is a tuple subclass with the tuple's own layout (checked in
    // `rect_type`), so its `tp_alloc` returns a zeroed 4-item tuple instance whose
    // item slots `PyTuple_SET_ITEM` fills, each taking over one strong reference;
    // this is what `tuple.__new__(Rect, items)` does.
    unsafe {
        let type_ptr = class.as_type_ptr();
        let alloc = (*type_ptr)
            .tp_alloc
            .unwrap_or(pyo3::ffi::PyType_GenericAlloc);
        let obj = alloc(type_ptr, 4);
        if obj.is_null() {
            return Err(PyErr::fetch(py));
        }
        for (i, item) in items.into_iter().enumerate() {
            pyo3::ffi::PyTuple_SET_ITEM(obj, i as pyo3::ffi::Py_ssize_t, item.into_ptr());
        }
        Ok(Bound::from_owned_ptr(py, obj))
    }
}

fn region_removed() -> PyErr {
    PyRuntimeError::new_err("this region was removed from its frame")
}

/// A region of interest: a box with a label, a detection structure and
/// further tensors (classification results), on a video frame.
///
/// Obtained from `frame.regions()` and `frame.add_region()`; valid during the
/// callback only (then `InvalidatedError`).
#[pyclass(module = "gvarust", frozen)]
pub struct RegionOfInterest {
    pub(crate) slot: Arc<BufferSlot>,
    pub(crate) seqnum: u64,
    /// The meta's address while no write went through the slot.
    cache: PtrCache,
}

impl RegionOfInterest {
    /// A view of the ROI meta `seqnum` of the slot's buffer.
    pub(crate) fn new(slot: Arc<BufferSlot>, seqnum: u64) -> Self {
        RegionOfInterest {
            slot,
            seqnum,
            cache: PtrCache::empty(),
        }
    }

    /// A view of the ROI meta `seqnum` just found at `ptr` on the slot's buffer.
    pub(crate) fn found(slot: Arc<BufferSlot>, seqnum: u64, ptr: *const RoiMeta) -> Self {
        let cache = PtrCache::holding(&slot, ptr);
        RegionOfInterest {
            slot,
            seqnum,
            cache,
        }
    }

    /// Runs `f` on the ROI meta (read-only). `f` must not run Python code.
    fn read<R>(&self, f: impl FnOnce(&RoiMeta) -> R) -> PyResult<R> {
        let buffer = self.slot.buffer()?;
        if let Some(ptr) = self.cache.get::<RoiMeta>(&self.slot) {
            // SAFETY: the pointer was found on this (still valid) buffer and no write
            // went through the slot since, which is the only way its metas change
            // during the callback (see PtrCache): the meta is still attached.
            return Ok(f(unsafe { &*ptr }));
        }
        let roi = model::region_by_seqnum(buffer, self.seqnum).ok_or_else(region_removed)?;
        self.cache.set(&self.slot, &*roi as *const RoiMeta);
        Ok(f(&roi))
    }

    /// Runs `f` on the ROI meta for writing. `f` must not run Python code, and
    /// must change the meta in place or append parameters, never remove or
    /// replace a parameter structure: cached pointers stay valid across it
    /// (see [`BufferSlot::with_buffer_mut_in_place`]).
    fn write<R>(&self, f: impl FnOnce(&mut RoiMeta) -> R) -> PyResult<R> {
        self.slot.buffer()?;
        let seqnum = self.seqnum;
        let cached = self.cache.get::<RoiMeta>(&self.slot);
        let (result, found) = self.slot.with_buffer_mut_in_place(|b| match cached {
            Some(ptr) => {
                // SAFETY: the meta was found on this buffer and nothing removed or
                // moved a meta since (see PtrCache); the buffer is writable and
                // borrowed exclusively for this closure, so the meta is too.
                let roi = unsafe { &mut *(ptr as *mut RoiMeta) };
                Ok::<_, PyErr>((f(roi), None))
            }
            None => {
                let mut roi = model::region_mut(b, seqnum).ok_or_else(region_removed)?;
                let ptr = &mut *roi as *mut RoiMeta as *const RoiMeta;
                Ok((f(&mut roi), Some(ptr)))
            }
        })??;
        if let Some(ptr) = found {
            self.cache.set(&self.slot, ptr);
        }
        Ok(result)
    }

    fn param_tensor(&self, ptr: *const gst::ffi::GstStructure) -> Tensor {
        Tensor::from_param(self.slot.clone(), self.seqnum, ptr)
    }
}

#[pymethods]
impl RegionOfInterest {
    /// The box in pixels, as `Rect(x, y, w, h)`.
    fn rect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.read(region::rect)?;
        new_rect(py, (r.x, r.y, r.w, r.h))
    }

    /// The box as fractions of the frame size, `Rect(x, y, w, h)` of floats,
    /// from the detection structure's `x_min`, `y_min`, `x_max`, `y_max`;
    /// `None` when those fields are missing.
    fn normalized_rect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.read(region::normalized_rect)? {
            Some(rect) => new_rect(py, rect),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The label (the meta's `roi_type` quark string; `""` when unset).
    fn label<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        let quark = self.read(region::label_quark)?;
        let mut strs = label_strs(py, [quark]);
        Ok(strs.pop().expect("one label per quark"))
    }

    /// The detection confidence, or `None` without a detection structure or field.
    fn confidence(&self) -> PyResult<Option<f64>> {
        self.read(region::confidence)
    }

    /// The detection's `label_id`, or `None`.
    fn label_id(&self) -> PyResult<Option<i32>> {
        self.read(region::label_id)
    }

    /// The region id (the meta's `id`; `add_region` gives a fresh sequence number).
    fn region_id(&self) -> PyResult<i32> {
        self.read(|r| r.id())
    }

    /// The parent region's id, or `None` without a parent: the object-detection
    /// record this region's record IS_PART_OF (GstAnalytics, DL Streamer
    /// 2025.2), else the meta's `parent_id` when it is not 0.
    fn parent_id(&self) -> PyResult<Option<i32>> {
        let buffer = self.slot.buffer()?;
        self.read(|r| crate::analytics::parent_id(buffer, r))
    }

    /// The tracking id (`id` of the `object_id` parameter structure), or `None`.
    fn object_id(&self) -> PyResult<Option<i32>> {
        self.read(region::object_id)
    }

    /// Sets the tracking id, creating the `object_id` parameter if needed. With
    /// `metadata` "both", the region's GstAnalytics record also gets a tracking
    /// record with this id.
    fn set_object_id(&self, object_id: i32) -> PyResult<()> {
        self.write(|r| region::set_object_id(r, object_id))?;
        let (seqnum, mode) = (self.seqnum, self.slot.metadata());
        self.slot
            .with_buffer_mut(|b| crate::analytics::object_id_set(b, seqnum, object_id, mode))?
            .map_err(PyRuntimeError::new_err)
    }

    /// The rotation in radians (DL Streamer 2025.2): the angle of the region's
    /// oriented GstAnalytics record, 0.0 without one.
    fn rotation(&self) -> PyResult<f64> {
        let buffer = self.slot.buffer()?;
        self.read(|r| crate::analytics::rotation(buffer, r))
    }

    /// The region's parameter structures (detection, classifications, ...) as
    /// PyGObject `Gst.Structure` copies, in list order (DL Streamer 2025.2).
    fn get_gst_roi_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let texts: Vec<String> =
            self.read(|r| region::params(r).map(|s| s.to_string()).collect())?;
        let list = PyList::empty(py);
        for text in texts {
            list.append(super::tensor::py_structure(py, &text)?)?;
        }
        Ok(list)
    }

    /// An iterator over the region's tensors: its parameter structures in list
    /// order (the detection first, then classification results), except the
    /// `object_id` structure.
    fn tensors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Most regions have a few tensors: their addresses go on the stack, and
        // the tuple is filled straight from them (this call is on every
        // reader's path, where two heap allocations are a third of its cost).
        let mut few = [std::ptr::null::<gst::ffi::GstStructure>(); 8];
        let (count, more) = self.read(|r| {
            let mut count = 0;
            let mut more = Vec::new();
            for s in region::tensors(r) {
                match few.get_mut(count) {
                    Some(slot) => *slot = s.as_ptr(),
                    None => more.push(s.as_ptr()),
                }
                count += 1;
            }
            (count, more)
        })?;
        let tensor = |&ptr: &*const gst::ffi::GstStructure| self.param_tensor(ptr);
        let tuple = if more.is_empty() {
            PyTuple::new(py, few[..count].iter().map(tensor))?
        } else {
            let all: Vec<_> = few.iter().chain(&more).copied().collect();
            PyTuple::new(py, all.iter().map(tensor))?
        };
        Ok(tuple.try_iter()?.into_any())
    }

    /// The first `detection` tensor; an empty one is added when there is none
    /// (which needs a writable buffer).
    fn detection(&self) -> PyResult<Tensor> {
        let found = self.read(|r| region::detection(r).map(|s| s.as_ptr() as usize))?;
        let ptr = match found {
            Some(ptr) => ptr,
            None => self.write(|r| region::detection_mut(r).as_ptr() as usize)?,
        };
        Ok(self.param_tensor(ptr as *const gst::ffi::GstStructure))
    }

    /// Appends a tensor (parameter structure) and returns it: a copy of
    /// `tensor` renamed to `name` when `name` is given, or a new empty tensor
    /// named `name` (`"tensor"` when empty). `add_tensor(tensor)` (DL Streamer
    /// 2025.2) copies a free-standing `Tensor` under its own name. With
    /// `metadata` "both", a copied tensor with a string `label` also becomes a
    /// GstAnalytics classification record of the region's record.
    #[pyo3(signature = (name = None, tensor = None))]
    fn add_tensor(
        &self,
        name: Option<&Bound<'_, PyAny>>,
        tensor: Option<PyRef<'_, Tensor>>,
    ) -> PyResult<Tensor> {
        let (key, tensor) = match name {
            Some(first) if first.is_instance_of::<Tensor>() => {
                if tensor.is_some() {
                    return Err(pyo3::exceptions::PyTypeError::new_err(
                        "add_tensor() takes a name and a tensor, or a tensor alone",
                    ));
                }
                (None, Some(first.extract::<PyRef<'_, Tensor>>()?))
            }
            Some(first) => {
                let key = first.cast::<PyString>().map_err(|_| {
                    pyo3::exceptions::PyTypeError::new_err(format!(
                        "add_tensor() takes a name (str) or a Tensor, not {}",
                        super::helpers::type_name(first, "this object")
                    ))
                })?;
                (Some(key), tensor)
            }
            None => (None, tensor),
        };
        let name = match key {
            Some(key) => key.to_str()?,
            None => "",
        };
        if !name.is_empty() {
            check_name(name)?;
        }
        let tensor_given = tensor.is_some();
        let structure = match (tensor, key) {
            (Some(tensor), _) => {
                let mut s = tensor.to_structure()?;
                if !name.is_empty() {
                    s.set_name(name);
                }
                s
            }
            // The usual call, add_tensor("age") on every region: the name's
            // quark comes from the per-thread cache, not GLib's locked table.
            (None, Some(key)) if !name.is_empty() => {
                region::new_structure_by_quark(super::values::new_field_quark(key)?)
            }
            (None, _) => gst::Structure::new_empty("tensor"),
        };
        let mirror = tensor_given.then(|| structure.clone());
        let ptr = self.write(|r| region::add_param(r, structure).as_ptr() as usize)?;
        if let Some(copy) = mirror {
            let (seqnum, mode) = (self.seqnum, self.slot.metadata());
            self.slot
                .with_buffer_mut(|b| crate::analytics::tensor_added(b, seqnum, &copy, mode))?
                .map_err(PyRuntimeError::new_err)?;
        }
        Ok(self.param_tensor(ptr as *const gst::ffi::GstStructure))
    }

    /// A live view of the underlying `GstVideoRegionOfInterestMeta` fields
    /// (`x`, `y`, `w`, `h`, `id`, `parent_id`, `roi_type`).
    fn meta(&self) -> RegionMeta {
        RegionMeta {
            slot: self.slot.clone(),
            seqnum: self.seqnum,
        }
    }

    /// Whether the region can still be used (during the callback, while on its frame).
    fn is_valid(&self) -> bool {
        self.read(|_| ()).is_ok()
    }

    /// Regions are equal when they view the same meta of the same frame.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<RegionOfInterest>()
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

    /// Id, label, box and confidence, or a note that the region is invalid.
    fn __repr__(&self, py: Python<'_>) -> String {
        match self.read(|r| {
            (
                region::label(r),
                region::rect(r),
                region::confidence(r),
                r.id(),
            )
        }) {
            Ok((label, rect, confidence, id)) => format!(
                "<gvarust.RegionOfInterest id={id} label={label:?} rect=({}, {}, {}, {}) \
                 confidence={}>",
                rect.x,
                rect.y,
                rect.w,
                rect.h,
                confidence.map_or("None".to_string(), |c| c.to_string())
            ),
            Err(err) if err.is_instance_of::<InvalidatedError>(py) => {
                "<gvarust.RegionOfInterest (invalidated)>".into()
            }
            Err(_) => "<gvarust.RegionOfInterest (removed)>".into(),
        }
    }
}

/// The fields of a region's `GstVideoRegionOfInterestMeta`, live: reading
/// looks at the meta, assigning writes it (`x`, `y`, `w`, `h`, `id`,
/// `parent_id`; `roi_type` is the label's quark, read-only).
#[pyclass(module = "gvarust", frozen)]
pub struct RegionMeta {
    slot: Arc<BufferSlot>,
    seqnum: u64,
}

impl RegionMeta {
    fn region(&self) -> RegionOfInterest {
        RegionOfInterest::new(self.slot.clone(), self.seqnum)
    }

    fn set_rect_part(&self, f: impl FnOnce(&mut region::Rect)) -> PyResult<()> {
        self.region().write(|r| {
            let mut rect = region::rect(r);
            f(&mut rect);
            region::set_rect(r, rect);
        })
    }
}

#[pymethods]
impl RegionMeta {
    /// Left edge in pixels.
    #[getter]
    fn x(&self) -> PyResult<u32> {
        self.region().read(|r| region::rect(r).x)
    }

    /// Sets the left edge.
    #[setter]
    fn set_x(&self, value: u32) -> PyResult<()> {
        self.set_rect_part(|r| r.x = value)
    }

    /// Top edge in pixels.
    #[getter]
    fn y(&self) -> PyResult<u32> {
        self.region().read(|r| region::rect(r).y)
    }

    /// Sets the top edge.
    #[setter]
    fn set_y(&self, value: u32) -> PyResult<()> {
        self.set_rect_part(|r| r.y = value)
    }

    /// Width in pixels.
    #[getter]
    fn w(&self) -> PyResult<u32> {
        self.region().read(|r| region::rect(r).w)
    }

    /// Sets the width.
    #[setter]
    fn set_w(&self, value: u32) -> PyResult<()> {
        self.set_rect_part(|r| r.w = value)
    }

    /// Height in pixels.
    #[getter]
    fn h(&self) -> PyResult<u32> {
        self.region().read(|r| region::rect(r).h)
    }

    /// Sets the height.
    #[setter]
    fn set_h(&self, value: u32) -> PyResult<()> {
        self.set_rect_part(|r| r.h = value)
    }

    /// The region id.
    #[getter]
    fn id(&self) -> PyResult<i32> {
        self.region().read(|r| r.id())
    }

    /// Sets the region id. With `metadata` "both", a region mirrored to a
    /// GstAnalytics record is unlinked from it first: the record (and the
    /// records it contains) is removed, so it does not read back as a second
    /// region.
    #[setter]
    fn set_id(&self, value: i32) -> PyResult<()> {
        let (slot, seqnum) = (&self.slot, self.seqnum);
        let mode = slot.metadata();
        slot.buffer()?;
        slot.with_buffer_mut(|b| crate::analytics::region_removing(b, seqnum, mode))?
            .map_err(PyRuntimeError::new_err)?;
        self.region().write(|r| r.set_id(value))
    }

    /// The parent region's id.
    #[getter]
    fn parent_id(&self) -> PyResult<i32> {
        self.region().read(region::parent_id)
    }

    /// Sets the parent region's id.
    #[setter]
    fn set_parent_id(&self, value: i32) -> PyResult<()> {
        self.region().write(|r| region::set_parent_id(r, value))
    }

    /// The label as a GQuark (int); `label()` of the region gives its string.
    #[getter]
    fn roi_type(&self) -> PyResult<u32> {
        self.region().read(region::label_quark)
    }

    /// The meta's box and ids, or a note that it is invalid.
    fn __repr__(&self) -> String {
        match self
            .region()
            .read(|r| (region::rect(r), r.id(), region::parent_id(r)))
        {
            Ok((rect, id, parent)) => format!(
                "<gvarust.RegionMeta x={} y={} w={} h={} id={id} parent_id={parent}>",
                rect.x, rect.y, rect.w, rect.h
            ),
            Err(_) => "<gvarust.RegionMeta (invalid)>".into(),
        }
    }
}
