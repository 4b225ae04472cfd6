//! Conversion of GLib values and GStreamer structures to Python objects.

use gst::glib;
use gst::glib::translate::ToGlibPtr;
use gst::prelude::*;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList};

use super::helpers::type_name;

static FRACTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Converts one field value to the natural Python object: numbers, `bool`,
/// `str`, `list` for arrays and lists, `dict` for nested structures,
/// `fractions.Fraction` for fractions, `bytes` for byte variants; anything else
/// becomes its GStreamer serialization as `str` (or `None` when it has none).
pub fn value_to_py<'py>(py: Python<'py>, value: &glib::Value) -> PyResult<Bound<'py, PyAny>> {
    use glib::types::Type;
    let ty = value.type_();
    macro_rules! simple {
        ($t:ty) => {
            if let Ok(v) = value.get::<$t>() {
                return Ok(v.into_pyobject(py)?.to_owned().into_any());
            }
        };
    }
    match ty {
        Type::BOOL => simple!(bool),
        Type::I32 => simple!(i32),
        Type::U32 => simple!(u32),
        Type::I64 => simple!(i64),
        Type::U64 => simple!(u64),
        Type::I_LONG => simple!(glib::ILong),
        Type::U_LONG => simple!(glib::ULong),
        Type::F32 => simple!(f32),
        Type::F64 => simple!(f64),
        Type::STRING => {
            // C code can store strings that are not UTF-8 (GStreamer checks only
            // top-level structure fields, not items of arrays, lists or events):
            // glib's `&str` getter panics on those, so convert lossily here.
            // SAFETY: the value holds G_TYPE_STRING (checked above), so the pointer
            // is NULL or a NUL-terminated string owned by `value`.
            let ptr = unsafe { glib::gobject_ffi::g_value_get_string(value.to_glib_none().0) };
            return Ok(if ptr.is_null() {
                py.None().into_bound(py)
            } else {
                // SAFETY: non-NULL, NUL-terminated, alive while `value` is borrowed.
                let bytes = unsafe { std::ffi::CStr::from_ptr(ptr) }.to_bytes();
                pyo3::types::PyString::new(py, &String::from_utf8_lossy(bytes)).into_any()
            });
        }
        _ => {}
    }
    if let Ok(array) = value.get::<gst::Array>() {
        return values_to_list(py, array.iter());
    }
    if let Ok(list) = value.get::<gst::List>() {
        return values_to_list(py, list.iter());
    }
    if let Ok(Some(structure)) = value.get::<Option<gst::Structure>>() {
        return Ok(structure_to_dict(py, &structure, false)?.into_any());
    }
    if let Ok(fraction) = value.get::<gst::Fraction>() {
        let class = FRACTION.get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("fractions")?.getattr("Fraction")?.unbind())
        })?;
        return class.bind(py).call1((fraction.numer(), fraction.denom()));
    }
    if let Ok(variant) = value.get::<glib::Variant>() {
        if let Ok(bytes) = variant.fixed_array::<u8>() {
            return Ok(PyBytes::new(py, bytes).into_any());
        }
        return Ok(variant
            .print(true)
            .to_string()
            .into_pyobject(py)?
            .into_any());
    }
    if let Ok(Some(caps)) = value.get::<Option<gst::Caps>>() {
        return Ok(caps.to_string().into_pyobject(py)?.into_any());
    }
    Ok(match value.serialize() {
        Ok(text) => text.to_string().into_pyobject(py)?.into_any(),
        Err(_) => py.None().into_bound(py),
    })
}

fn values_to_list<'a, 'py>(
    py: Python<'py>,
    values: impl Iterator<Item = &'a glib::SendValue>,
) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::empty(py);
    for value in values {
        list.append(value_to_py(py, value)?)?;
    }
    Ok(list.into_any())
}

/// The fields of `structure` as a `dict` (in field order); with `with_name`,
/// the structure's name is stored under the key `"name"` first.
pub fn structure_to_dict<'py>(
    py: Python<'py>,
    structure: &gst::StructureRef,
    with_name: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    if with_name {
        dict.set_item("name", structure.name().as_str())?;
    }
    for (field, value) in structure.iter() {
        dict.set_item(field.as_str(), value_to_py(py, value)?)?;
    }
    Ok(dict)
}

/// Converts a Python object to the GLib value stored in a tensor field
/// (compat.md section 4).
///
/// - `bool` (and numpy bools) -> `G_TYPE_BOOLEAN`;
/// - `int` (or anything with `__index__`) -> `G_TYPE_INT` in 32-bit range, else
///   `G_TYPE_INT64` (`G_TYPE_UINT64` above `i64::MAX`, `OverflowError` beyond);
/// - `float` (or numpy floats) -> `G_TYPE_DOUBLE`;
/// - `str` -> `G_TYPE_STRING` (`ValueError` for an embedded NUL);
/// - `bytes`, `bytearray` -> `G_TYPE_VARIANT` holding a GVariant `ay`;
/// - `list`, `tuple`, numpy arrays -> `GST_TYPE_ARRAY`; a list of only ints
///   becomes all INT (or all INT64 when one needs it), a list of ints and
///   floats becomes all DOUBLE, other lists convert item by item;
/// - `dict` (str keys) -> a nested `GstStructure` named `name`;
/// - anything else (including `None`) -> `TypeError`.
pub fn py_to_value(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<glib::SendValue> {
    Ok(match convert(obj, name, 0)? {
        Converted::Int(i) => int_value(i),
        other => other.into_value(),
    })
}

/// Deepest nesting accepted for lists and dicts (guards against cycles).
const MAX_DEPTH: usize = 32;

enum Converted {
    Bool(bool),
    Int(i128),
    Float(f64),
    Value(glib::SendValue),
}

impl Converted {
    fn into_value(self) -> glib::SendValue {
        match self {
            Converted::Bool(b) => b.to_send_value(),
            Converted::Int(i) => int_value(i),
            Converted::Float(f) => f.to_send_value(),
            Converted::Value(v) => v,
        }
    }
}

/// INT when it fits, else INT64, else UINT64 (the caller checked the range).
fn int_value(i: i128) -> glib::SendValue {
    if let Ok(v) = i32::try_from(i) {
        v.to_send_value()
    } else if let Ok(v) = i64::try_from(i) {
        v.to_send_value()
    } else {
        u64::try_from(i).unwrap_or(u64::MAX).to_send_value()
    }
}

fn convert(obj: &Bound<'_, PyAny>, name: &str, depth: usize) -> PyResult<Converted> {
    use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
    use pyo3::types::{PyBool, PyByteArray, PyFloat, PyInt, PyString, PyTuple};
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(
            "value nested too deeply (or a list/dict containing itself)",
        ));
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Converted::Bool(obj.extract::<bool>()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return int_from(obj);
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Converted::Float(obj.extract::<f64>()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_str()?;
        if text.contains('\0') {
            return Err(PyValueError::new_err(
                "strings stored in a tensor cannot contain NUL characters",
            ));
        }
        return Ok(Converted::Value(text.to_send_value()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Converted::Value(
            glib::Variant::array_from_fixed_array(b.as_bytes()).to_send_value(),
        ));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        let bytes = b.to_vec();
        return Ok(Converted::Value(
            glib::Variant::array_from_fixed_array(&bytes).to_send_value(),
        ));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let structure_name = if gvarust_name_ok(name) { name } else { "dict" };
        let mut structure = gst::Structure::new_empty(structure_name);
        for (key, value) in dict.iter() {
            let key: String = key.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "dict keys stored in a tensor must be str, not {}",
                    type_name(&key, "object")
                ))
            })?;
            if key.is_empty() || key.contains('\0') {
                return Err(PyValueError::new_err(format!(
                    "invalid field name {key:?} in a dict stored in a tensor"
                )));
            }
            let value = convert(&value, &key, depth + 1)?.into_value();
            structure.set_value(key.as_str(), value);
        }
        return Ok(Converted::Value(structure.to_send_value()));
    }
    let items: Option<Vec<Bound<'_, PyAny>>> = if let Ok(list) = obj.cast::<PyList>() {
        Some(list.iter().collect())
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        Some(tuple.iter().collect())
    } else if obj.hasattr("tolist")? && obj.hasattr("dtype")? {
        // A numpy array or scalar: its Python equivalent.
        let plain = obj.call_method0("tolist")?;
        return convert(&plain, name, depth + 1);
    } else {
        None
    };
    if let Some(items) = items {
        let converted = items
            .iter()
            .map(|item| convert(item, name, depth + 1))
            .collect::<PyResult<Vec<_>>>()?;
        let all_ints = converted.iter().all(|c| matches!(c, Converted::Int(_)));
        let all_numbers = converted
            .iter()
            .all(|c| matches!(c, Converted::Int(_) | Converted::Float(_)));
        let values: Vec<glib::SendValue> = if all_ints {
            let wide = converted
                .iter()
                .any(|c| matches!(c, Converted::Int(i) if i32::try_from(*i).is_err()));
            converted
                .into_iter()
                .map(|c| match c {
                    Converted::Int(i) if wide => match i64::try_from(i) {
                        Ok(v) => Ok(v.to_send_value()),
                        Err(_) => Err(PyOverflowError::new_err(
                            "list items stored in a tensor must fit in 64-bit signed integers",
                        )),
                    },
                    other => Ok(other.into_value()),
                })
                .collect::<PyResult<_>>()?
        } else if all_numbers {
            converted
                .into_iter()
                .map(|c| match c {
                    Converted::Int(i) => (i as f64).to_send_value(),
                    other => other.into_value(),
                })
                .collect()
        } else {
            converted.into_iter().map(Converted::into_value).collect()
        };
        return Ok(Converted::Value(gst::Array::new(values).to_send_value()));
    }
    // numpy scalars and other number-likes.
    if let Ok(dtype) = obj.getattr("dtype") {
        if dtype.getattr("kind")?.extract::<String>().ok().as_deref() == Some("b") {
            return Ok(Converted::Bool(obj.is_truthy()?));
        }
    }
    if obj.hasattr("__index__")? {
        let int = obj.py().import("operator")?.call_method1("index", (obj,))?;
        return int_from(&int);
    }
    if obj.hasattr("__float__")? {
        let f = obj
            .py()
            .import("builtins")?
            .getattr("float")?
            .call1((obj,))?;
        return Ok(Converted::Float(f.extract::<f64>()?));
    }
    Err(PyTypeError::new_err(format!(
        "cannot store a {} in a tensor field (supported: bool, int, float, str, bytes, \
         list/tuple of those, dict; use `del tensor[key]` to remove a field)",
        type_name(obj, "object")
    )))
}

fn int_from(obj: &Bound<'_, PyAny>) -> PyResult<Converted> {
    match obj.extract::<i64>() {
        Ok(i) => Ok(Converted::Int(i128::from(i))),
        Err(_) => match obj.extract::<u64>() {
            Ok(u) => Ok(Converted::Int(i128::from(u))),
            Err(_) => Err(pyo3::exceptions::PyOverflowError::new_err(
                "integers stored in a tensor must fit in 64 bits",
            )),
        },
    }
}

fn gvarust_name_ok(name: &str) -> bool {
    crate::tensor::is_valid_structure_name(name)
}
