//! Conversion of GLib values and GStreamer structures to Python objects.

use gst::glib;
use gst::prelude::*;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList};

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
            return Ok(match value.get::<Option<&str>>() {
                Ok(Some(s)) => s.into_pyobject(py)?.into_any(),
                _ => py.None().into_bound(py),
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
