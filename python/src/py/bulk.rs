//! The bulk API of `VideoFrame`: all regions as one numpy structured array
//! (`regions_array()`, `regions_labels()`) and many regions added by one call
//! (`add_regions()`), for detectors with hundreds of boxes and analytics that
//! want numpy. Rows follow `regions()` order and the same rules as the object
//! API (clipping, detection structure, GstAnalytics mirroring).

use numpy::npyffi::{self, npy_intp, PY_ARRAY_API};
use numpy::{
    PyArray1, PyArrayDescr, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFloat, PyList, PyString, PyTuple};

use super::slot::BufferSlot;
use crate::analytics::MetadataMode;
use crate::frame as model;
use crate::region::{self as roi_model, Rect, RegionRow};

/// The numpy dtype of a [`RegionRow`]: the fields in [`RegionRow::FIELDS`]
/// order, `x`..`h`, `label_id`, `id`, `parent_id`, `object_id` as `<i4` and
/// `confidence` as `<f4`.
fn row_dtype(py: Python<'_>) -> PyResult<&Bound<'_, PyArrayDescr>> {
    static DTYPE: PyOnceLock<Py<PyArrayDescr>> = PyOnceLock::new();
    DTYPE
        .get_or_try_init(py, || {
            let fields: Vec<(&str, &str)> = RegionRow::FIELDS
                .iter()
                .map(|&name| (name, if name == "confidence" { "<f4" } else { "<i4" }))
                .collect();
            let dtype = py
                .import("numpy")?
                .call_method1("dtype", (fields,))?
                .cast_into::<PyArrayDescr>()?;
            if dtype.itemsize() != std::mem::size_of::<RegionRow>() {
                return Err(PyRuntimeError::new_err(
                    "the regions_array() dtype does not match the row layout",
                ));
            }
            Ok(dtype.unbind())
        })
        .map(|dtype| dtype.bind(py))
}

/// A new one-dimensional array of `T` elements of `descr` (whose item size is
/// `size_of::<T>()`), holding a copy of `items`.
fn array_of<'py, T: Copy>(
    descr: &Bound<'py, PyArrayDescr>,
    items: &[T],
) -> PyResult<Bound<'py, PyAny>> {
    let py = descr.py();
    debug_assert_eq!(descr.itemsize(), std::mem::size_of::<T>());
    let mut dims = [items.len() as npy_intp];
    // SAFETY: with a NULL data pointer numpy allocates a C-contiguous array of
    // `dims` elements of `descr` (stealing the descriptor reference handed over);
    // its item size is `size_of::<T>()`, so the array's buffer holds exactly the
    // bytes of `items`, copied before the array is visible to Python.
    unsafe {
        let array = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            npyffi::get_type_object(py, npyffi::NpyTypes::PyArray_Type),
            descr.clone().into_dtype_ptr(),
            1,
            dims.as_mut_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
        );
        let array = Bound::from_owned_ptr_or_err(py, array)?;
        if !items.is_empty() {
            let data = (*(array.as_ptr() as *mut npyffi::PyArrayObject))
                .fields
                .data;
            std::ptr::copy_nonoverlapping(
                items.as_ptr() as *const u8,
                data as *mut u8,
                std::mem::size_of_val(items),
            );
        }
        Ok(array)
    }
}

/// `VideoFrame.regions_array()` over a buffer whose region listing is prepared.
pub(crate) fn regions_array<'py>(
    py: Python<'py>,
    buffer: &gst::BufferRef,
) -> PyResult<Bound<'py, PyAny>> {
    let rows = model::region_rows(buffer);
    array_of(row_dtype(py)?, &rows)
}

/// `VideoFrame.regions_labels()` over a buffer whose region listing is prepared.
pub(crate) fn regions_labels<'py>(
    py: Python<'py>,
    buffer: &gst::BufferRef,
) -> PyResult<Bound<'py, PyList>> {
    let quarks: Vec<u32> = model::regions_with_seqnums(buffer)
        .iter()
        .map(|(_, roi)| roi_model::label_quark(roi))
        .collect();
    PyList::new(py, super::values::label_strs(py, quarks))
}

/// A per-box argument of `add_regions()`: one value for every box, or one each.
enum PerBox<T> {
    All(T),
    Each(Vec<T>),
}

impl<T: Clone> PerBox<T> {
    fn get(&self, i: usize) -> T {
        match self {
            PerBox::All(v) => v.clone(),
            PerBox::Each(values) => values[i].clone(),
        }
    }

    fn check_len(&self, what: &str, n: usize) -> PyResult<()> {
        match self {
            PerBox::Each(values) if values.len() != n => Err(PyValueError::new_err(format!(
                "add_regions(): {what} has {} values for {n} boxes",
                values.len()
            ))),
            _ => Ok(()),
        }
    }
}

/// The numbers of an `add_regions()` argument, read as `T` (`i64` or `f64`)
/// in C order, with the shape they came in.
struct Numbers<T> {
    shape: Vec<usize>,
    values: Vec<T>,
}

/// A type `add_regions()` reads numbers as (`i64` or `f64`).
trait Number: numpy::Element + Copy {
    /// The values of `array` converted here, when its elements (numpy kind and
    /// size) are of a common type that converts exactly: an `astype()` call
    /// costs more than the rest of a call with a few boxes.
    fn read_common(array: &Bound<'_, PyUntypedArray>, kind: u8, size: usize) -> Option<Vec<Self>>;
}

/// The values of `array` as `T`, when its elements are `S` (native byte order).
fn converted<S: numpy::Element + Copy, T>(
    array: &Bound<'_, PyUntypedArray>,
    convert: impl Fn(S) -> T,
) -> Option<Vec<T>> {
    let typed = array.cast::<PyArrayDyn<S>>().ok()?;
    // SAFETY: the GIL is held and no Python code runs while the view is used (it
    // is copied out at once), so nothing can write to or free the array meanwhile.
    let view = unsafe { typed.as_array() };
    Some(view.iter().map(|&v| convert(v)).collect())
}

impl Number for i64 {
    fn read_common(array: &Bound<'_, PyUntypedArray>, kind: u8, size: usize) -> Option<Vec<i64>> {
        match (kind, size) {
            (b'i', 8) => converted::<i64, _>(array, |v| v),
            (b'i', 4) => converted::<i32, _>(array, i64::from),
            (b'i', 2) => converted::<i16, _>(array, i64::from),
            (b'i', 1) => converted::<i8, _>(array, i64::from),
            (b'u', 4) => converted::<u32, _>(array, i64::from),
            (b'u', 2) => converted::<u16, _>(array, i64::from),
            (b'u', 1) => converted::<u8, _>(array, i64::from),
            _ => None,
        }
    }
}

impl Number for f64 {
    fn read_common(array: &Bound<'_, PyUntypedArray>, kind: u8, size: usize) -> Option<Vec<f64>> {
        match (kind, size) {
            (b'f', 8) => converted::<f64, _>(array, |v| v),
            (b'f', 4) => converted::<f32, _>(array, f64::from),
            (b'i', 4) => converted::<i32, _>(array, f64::from),
            (b'i', 2) => converted::<i16, _>(array, f64::from),
            (b'u', 1) => converted::<u8, _>(array, f64::from),
            _ => None,
        }
    }
}

/// Reads `value` (a numpy array, or anything `numpy.asarray()` takes) as
/// numbers of type `T`. `integers` refuses floats (they are not silently
/// truncated); a `TypeError` names the argument when `value` holds no numbers.
/// A numpy array of `T` is read in place; other arrays take one conversion.
fn numbers<'py, T: Number>(
    value: &Bound<'py, PyAny>,
    integers: bool,
    what: &str,
) -> PyResult<Numbers<T>> {
    let py = value.py();
    let refused = |detail: String| {
        let wanted = if integers { "integers" } else { "numbers" };
        PyTypeError::new_err(format!("add_regions(): {what} must be {wanted}: {detail}"))
    };
    let array = match value.cast::<PyUntypedArray>() {
        Ok(array) => array.clone(),
        Err(_) => py
            .import("numpy")?
            .call_method1("asarray", (value,))
            .map_err(|err| refused(err.to_string()))?
            .cast_into::<PyUntypedArray>()?,
    };
    let dtype = array.dtype();
    let allowed: &[u8] = if integers { b"iub" } else { b"iubf" };
    if !allowed.contains(&dtype.kind()) {
        return Err(refused(format!("got an array of {}", dtype.str()?)));
    }
    if let Some(values) = T::read_common(&array, dtype.kind(), dtype.itemsize()) {
        return Ok(Numbers {
            shape: array.shape().to_vec(),
            values,
        });
    }
    let array = if dtype.is_equiv_to(&numpy::dtype::<T>(py)) {
        array.into_any()
    } else {
        array
            .call_method1("astype", (numpy::dtype::<T>(py),))
            .map_err(|err| refused(err.to_string()))?
    };
    let array = array.cast_into::<PyArrayDyn<T>>()?;
    // SAFETY: the GIL is held and no Python code runs while the view is used (it
    // is copied out at once), so nothing can write to or free the array meanwhile.
    let view = unsafe { array.as_array() };
    Ok(Numbers {
        shape: view.shape().to_vec(),
        values: view.iter().copied().collect(),
    })
}

/// A numeric per-box argument: a scalar for all boxes or a 1-D sequence.
fn per_box_numbers<'py, T: Number + FromPyObjectOwned<'py>>(
    value: &Bound<'py, PyAny>,
    integers: bool,
    what: &str,
) -> PyResult<PerBox<T>> {
    // A list or tuple of Python numbers converts faster element by element
    // than through numpy.asarray().
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        if let Ok(values) = value.extract::<Vec<T>>() {
            return Ok(PerBox::Each(values));
        }
    }
    let Numbers { shape, values } = numbers::<T>(value, integers, what)?;
    match shape.len() {
        0 => Ok(PerBox::All(values[0])),
        1 => Ok(PerBox::Each(values)),
        ndim => Err(PyValueError::new_err(format!(
            "add_regions(): {what} must be one value or one per box (a 1-D sequence), not a \
             {ndim}-D array"
        ))),
    }
}

/// The boxes of `add_regions()` in pixels (unclipped), from an (N, 4) array-like.
fn boxes_in_pixels(
    boxes: &Bound<'_, PyAny>,
    normalized: bool,
    (width, height): (u32, u32),
) -> PyResult<Vec<(i64, i64, i64, i64)>> {
    let check_shape = |shape: &[usize]| match shape {
        [0] | [0, _] => Ok(false),
        [_, 4] => Ok(true),
        _ => Err(PyValueError::new_err(format!(
            "add_regions(): boxes must have shape (N, 4) (x, y, w, h per row), not {shape:?}"
        ))),
    };
    let what = "boxes";
    let from_sequence = boxes.is_instance_of::<PyList>() || boxes.is_instance_of::<PyTuple>();
    let mut floats_from_sequence = None;
    if from_sequence {
        // Rows of Python numbers convert faster element by element than through
        // numpy.asarray(); anything unusual takes numpy's way, with its errors.
        if !normalized {
            if let Ok(rows) = boxes.extract::<Vec<[i64; 4]>>() {
                return Ok(rows.into_iter().map(|r| (r[0], r[1], r[2], r[3])).collect());
            }
        }
        if let Ok(rows) = boxes.extract::<Vec<[f64; 4]>>() {
            floats_from_sequence = Some(Numbers {
                shape: vec![rows.len(), 4],
                values: rows.into_iter().flatten().collect(),
            });
        }
    }
    // Integers stay exact; anything else is read as floats.
    if !normalized && floats_from_sequence.is_none() {
        if let Ok(ints) = numbers::<i64>(boxes, true, what) {
            if !check_shape(&ints.shape)? {
                return Ok(Vec::new());
            }
            return Ok(ints
                .values
                .chunks_exact(4)
                .map(|r| (r[0], r[1], r[2], r[3]))
                .collect());
        }
    }
    let floats = match floats_from_sequence {
        Some(floats) => floats,
        None => numbers::<f64>(boxes, false, what)?,
    };
    if !check_shape(&floats.shape)? {
        return Ok(Vec::new());
    }
    if floats.values.iter().any(|v| !v.is_finite()) {
        return Err(PyValueError::new_err(
            "add_regions(): region coordinates must be finite",
        ));
    }
    Ok(floats
        .values
        .chunks_exact(4)
        .map(|r| {
            if normalized {
                roi_model::denormalize(r[0], r[1], r[2], r[3], width, height)
            } else {
                // `as` truncates toward zero like int() and saturates; clipping follows.
                (r[0] as i64, r[1] as i64, r[2] as i64, r[3] as i64)
            }
        })
        .collect())
}

/// The labels argument of `add_regions()`: `None` (no label), one `str` for
/// every box, or a sequence of `str`.
fn labels_arg(labels: Option<&Bound<'_, PyAny>>) -> PyResult<PerBox<glib::Quark>> {
    // Each label becomes its quark here, read in place from the Python
    // string (see `label_quark_of`).
    let quark = |label: &str| -> PyResult<glib::Quark> {
        if label.contains('\0') {
            Err(PyValueError::new_err(
                "add_regions(): a label cannot contain NUL characters",
            ))
        } else {
            Ok(roi_model::label_quark_of(label))
        }
    };
    let labels = match labels {
        Some(l) if !l.is_none() => l,
        _ => return Ok(PerBox::All(quark("")?)),
    };
    if let Ok(label) = labels.cast::<PyString>() {
        return Ok(PerBox::All(quark(label.to_str()?)?));
    }
    let items = labels.try_iter().map_err(|_| {
        PyTypeError::new_err("add_regions(): labels must be a str or a sequence of str")
    })?;
    let mut out = Vec::new();
    for item in items {
        let item = item?;
        let label = item.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "add_regions(): labels must be str, not {}",
                super::helpers::type_name(&item, "this object")
            ))
        })?;
        out.push(quark(label.to_str()?)?);
    }
    Ok(PerBox::Each(out))
}

/// A tensor `add_regions()` adds to every region, after its detection: the
/// name and the fields, each with one value for all boxes or one per box.
struct BulkTensor {
    name: glib::Quark,
    fields: Vec<(glib::Quark, FieldValues)>,
}

/// One tensor field's values for the boxes of an `add_regions()` call.
enum FieldValues {
    /// One value for every box, copied into each region.
    All(glib::SendValue),
    /// One value per box, each moved into its region.
    Each(Vec<Option<glib::SendValue>>),
    /// One float per box (a numpy float array, or a list of Python floats):
    /// each region's value is made when it is written.
    Doubles(Vec<f64>),
}

impl FieldValues {
    /// The value of box `i`; each box's is taken once, in order.
    fn take(&mut self, i: usize) -> glib::SendValue {
        match self {
            FieldValues::All(value) => value.clone(),
            FieldValues::Each(values) => values[i].take().expect("each box's value is taken once"),
            FieldValues::Doubles(values) => glib::value::ToSendValue::to_send_value(&values[i]),
        }
    }
}

/// The `tensors` argument of `add_regions()`: `{name: {field: values}}`, where
/// `values` is one value for every box, or a list, tuple or 1-D numpy array of
/// one value per box. Each value is converted as `tensor[field] = value`
/// converts it (`dims` included), so the regions carry what the object API
/// would have written.
fn tensors_arg(tensors: Option<&Bound<'_, PyAny>>, n: usize) -> PyResult<Vec<BulkTensor>> {
    let Some(tensors) = tensors.filter(|t| !t.is_none()) else {
        return Ok(Vec::new());
    };
    let tensors = tensors.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "add_regions(): tensors must be a dict of tensor names to dicts of fields, not {}",
            super::helpers::type_name(tensors, "this object")
        ))
    })?;
    let mut out = Vec::with_capacity(tensors.len());
    for (name, fields) in tensors.iter() {
        let name = name
            .cast_into::<PyString>()
            .map_err(|_| PyTypeError::new_err("add_regions(): tensor names must be str"))?;
        let name_str = name.to_str()?;
        super::tensor::check_name(name_str)?;
        if name_str == "detection" || name_str == roi_model::OBJECT_ID_NAME {
            return Err(PyValueError::new_err(format!(
                "add_regions(): a tensor cannot be named {name_str:?}: each region has its own"
            )));
        }
        let fields = fields.cast::<PyDict>().map_err(|_| {
            PyTypeError::new_err(format!(
                "add_regions(): tensors[{name_str:?}] must be a dict of fields, not {}",
                super::helpers::type_name(&fields, "this object")
            ))
        })?;
        let mut converted = Vec::with_capacity(fields.len());
        for (field, values) in fields.iter() {
            let field = field.cast_into::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "add_regions(): the field names of tensors[{name_str:?}] must be str"
                ))
            })?;
            let field_str = field.to_str()?;
            super::tensor::check_field(field_str)?;
            let per_box = per_box_values(&values, n, name_str, field_str)?;
            converted.push((super::values::new_field_quark(&field)?, per_box));
        }
        out.push(BulkTensor {
            name: super::values::new_field_quark(&name)?,
            fields: converted,
        });
    }
    Ok(out)
}

/// One tensor field's values: one for all boxes, or (a list, tuple or numpy
/// array) one per box.
fn per_box_values(
    values: &Bound<'_, PyAny>,
    n: usize,
    name: &str,
    field: &str,
) -> PyResult<FieldValues> {
    let count_checked = |len: usize| {
        if len == n {
            Ok(())
        } else {
            Err(PyValueError::new_err(format!(
                "add_regions(): tensors[{name:?}][{field:?}] has {len} values for {n} boxes"
            )))
        }
    };
    let value = |item: &Bound<'_, PyAny>| super::tensor::field_value(field, item);
    let items = if let Ok(array) = values.cast::<PyUntypedArray>() {
        if array.ndim() == 1 && array.dtype().kind() == b'f' && field != "dims" {
            let Numbers { values, .. } = numbers::<f64>(values, false, field)?;
            count_checked(values.len())?;
            return Ok(FieldValues::Doubles(values));
        }
        // Other numpy scalars become Python numbers, as `tensor[field] =
        // array[i]` would need them.
        values.call_method0("tolist")?
    } else if values.is_instance_of::<PyList>() || values.is_instance_of::<PyTuple>() {
        values.clone()
    } else {
        return Ok(FieldValues::All(value(values)?));
    };
    let items = items.try_iter()?.collect::<PyResult<Vec<_>>>()?;
    count_checked(items.len())?;
    if field != "dims"
        && items
            .iter()
            .all(|item| item.is_exact_instance_of::<PyFloat>())
    {
        return Ok(FieldValues::Doubles(
            items
                .iter()
                .map(|item| item.extract())
                .collect::<PyResult<_>>()?,
        ));
    }
    Ok(FieldValues::Each(
        items
            .iter()
            .map(|item| value(item).map(Some))
            .collect::<PyResult<_>>()?,
    ))
}

/// `VideoFrame.add_regions()`: adds the boxes to the slot's buffer and returns
/// the new regions' ids as an int32 array.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_regions<'py>(
    py: Python<'py>,
    slot: &BufferSlot,
    frame_size: (u32, u32),
    boxes: &Bound<'py, PyAny>,
    labels: Option<&Bound<'py, PyAny>>,
    confidences: Option<&Bound<'py, PyAny>>,
    label_ids: Option<&Bound<'py, PyAny>>,
    normalized: bool,
    tensors: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (width, height) = frame_size;
    let boxes = boxes_in_pixels(boxes, normalized, frame_size)?;
    let n = boxes.len();
    let labels = labels_arg(labels)?;
    labels.check_len("labels", n)?;
    let confidences = match confidences.filter(|c| !c.is_none()) {
        Some(c) => per_box_numbers::<f64>(c, false, "confidences")?,
        None => PerBox::All(0.0),
    };
    confidences.check_len("confidences", n)?;
    let label_ids = match label_ids.filter(|l| !l.is_none()) {
        Some(l) => match per_box_numbers::<i64>(l, true, "label_ids")? {
            PerBox::All(v) => PerBox::All(Some(label_id(v)?)),
            PerBox::Each(v) => PerBox::Each(
                v.into_iter()
                    .map(|v| label_id(v).map(Some))
                    .collect::<PyResult<_>>()?,
            ),
        },
        None => PerBox::All(None),
    };
    label_ids.check_len("label_ids", n)?;
    let mut tensors = tensors_arg(tensors, n)?;

    let mut clipped: Vec<((i64, i64, i64, i64), Rect)> = Vec::new();
    let rects: Vec<Rect> = boxes
        .iter()
        .map(|&(x, y, w, h)| {
            let (rect, was_clipped) = roi_model::clip_rect(x, y, w, h, width, height);
            if was_clipped {
                clipped.push(((x, y, w, h), rect));
            }
            rect
        })
        .collect();
    if let Some(((x, y, w, h), rect)) = clipped.first() {
        let message = std::ffi::CString::new(format!(
            "add_regions(): {} of {n} boxes are out of image borders and were clipped; the \
             first: [{x}, {y}, {w}, {h}] -> [{}, {}, {}, {}]",
            clipped.len(),
            rect.x,
            rect.y,
            rect.w,
            rect.h
        ))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)?;
    }

    slot.buffer()?;
    let mode = slot.metadata();
    let ids = slot
        .with_buffer_mut(|b| {
            add_all(
                b,
                &mut Regions {
                    rects: &rects,
                    labels: &labels,
                    confidences: &confidences,
                    label_ids: &label_ids,
                    tensors: &mut tensors,
                },
                frame_size,
                mode,
            )
        })?
        .map_err(PyRuntimeError::new_err)?;
    Ok(PyArray1::from_vec(py, ids).into_any())
}

fn label_id(value: i64) -> PyResult<i32> {
    i32::try_from(value).map_err(|_| {
        PyValueError::new_err(format!(
            "add_regions(): label id {value} is out of the 32-bit range"
        ))
    })
}

/// What `add_regions()` adds, checked and converted: one region per rect.
struct Regions<'a> {
    rects: &'a [Rect],
    labels: &'a PerBox<glib::Quark>,
    confidences: &'a PerBox<f64>,
    label_ids: &'a PerBox<Option<i32>>,
    tensors: &'a mut [BulkTensor],
}

/// Adds one region per rect and returns their ids (after GstAnalytics mirroring,
/// which may replace them).
fn add_all(
    buffer: &mut gst::BufferRef,
    regions: &mut Regions<'_>,
    frame_size: (u32, u32),
    mode: MetadataMode,
) -> Result<Vec<i32>, String> {
    let mut added = Vec::with_capacity(regions.rects.len());
    for (i, rect) in regions.rects.iter().enumerate() {
        let mut roi = roi_model::add_region_quark(
            buffer,
            regions.labels.get(i),
            *rect,
            frame_size,
            regions.confidences.get(i),
            regions.label_ids.get(i),
        );
        for tensor in regions.tensors.iter_mut() {
            let mut structure = roi_model::new_structure_by_quark(tensor.name);
            let view = crate::tensor::Tensor::from_structure_mut(&mut structure);
            for (field, values) in &mut tensor.fields {
                view.set_value_by_quark(*field, values.take(i));
            }
            roi.add_param(structure);
        }
        let seqnum = model::meta_seqnum::<roi_model::RoiMeta>(&roi);
        added.push((seqnum, roi.id()));
        crate::analytics::region_added(buffer, seqnum, mode)?;
    }
    if mode.mirrors() {
        // Mirroring gives each region its record's id: read them back in one pass.
        let ids: std::collections::HashMap<u64, i32> = model::regions_with_seqnums(buffer)
            .iter()
            .map(|(seqnum, roi)| (*seqnum, roi.id()))
            .collect();
        for (seqnum, id) in &mut added {
            *id = ids.get(seqnum).copied().unwrap_or(*id);
        }
    }
    Ok(added.into_iter().map(|(_, id)| id).collect())
}
