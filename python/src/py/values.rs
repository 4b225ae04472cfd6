//! Conversion of GLib values and GStreamer structures to Python objects.

use gst::glib;
use gst::glib::translate::ToGlibPtr;
use gst::prelude::*;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;

use super::helpers::type_name;

static FRACTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Converts a value of a scalar type (`bool`, integers, floats, strings) to
/// Python; `None` for other types. Builds only `bool`/`int`/`float`/`str`
/// objects, whose creation runs no Python code (they are not tracked by the
/// garbage collector, so no collection and no `__del__` can run), so it may be
/// called while a pointer into a buffer is in use.
pub fn scalar_to_py<'py>(
    py: Python<'py>,
    value: &glib::Value,
) -> Option<PyResult<Bound<'py, PyAny>>> {
    use glib::types::Type;
    macro_rules! simple {
        ($t:ty) => {
            value.get::<$t>().ok().map(|v| v.into_bound_py_any(py))
        };
    }
    match value.type_() {
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
            Some(Ok(if ptr.is_null() {
                py.None().into_bound(py)
            } else {
                // SAFETY: non-NULL, NUL-terminated, alive while `value` is borrowed.
                let bytes = unsafe { std::ffi::CStr::from_ptr(ptr) }.to_bytes();
                match std::str::from_utf8(bytes) {
                    Ok(text) => PyString::new(py, text).into_any(),
                    Err(_) => PyString::new(py, &String::from_utf8_lossy(bytes)).into_any(),
                }
            }))
        }
        _ => None,
    }
}

/// The `str`s of region labels, given as their quarks. Labels are quarks, whose strings never change, and the
/// same few repeat on every frame, so their `str` objects are kept (a small
/// cache by quark) instead of decoded and allocated on every read.
pub(crate) fn label_strs<'py>(
    py: Python<'py>,
    quarks: impl IntoIterator<Item = u32>,
) -> Vec<Bound<'py, PyString>> {
    const SLOTS: usize = 64;
    type Entry = Option<(u32, Py<PyString>)>;
    static CACHE: std::sync::Mutex<[Entry; SLOTS]> = std::sync::Mutex::new([const { None }; SLOTS]);
    // Making a str runs no Python code, so holding the lock meanwhile is safe; a
    // replaced str is released under it too (freeing a str runs none either).
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    quarks
        .into_iter()
        .map(|quark| {
            let slot = quark as usize % SLOTS;
            if let Some((cached, string)) = &cache[slot] {
                if *cached == quark {
                    return string.bind(py).clone();
                }
            }
            let string = PyString::new(py, crate::region::quark_text(quark));
            cache[slot] = Some((quark, string.clone().unbind()));
            string
        })
        .collect()
}

/// The GQuark of a field name given as a Python `str`, or `None` when no
/// quark of that name exists (then look the field up by name: GStreamer >=
/// 1.26 names fields without making quarks).
///
/// Keys are usually the same few string constants on every frame: a small
/// cache keyed by the `str` object (held, so its address is not reused) skips
/// GLib's locked quark table for them.
pub(crate) fn field_quark(key: &Bound<'_, PyString>) -> PyResult<Option<glib::Quark>> {
    cached_quark(key, false)
}

/// The GQuark of a field name given as a Python `str`, made if it does not
/// exist yet (for setting a field); cached like [`field_quark`].
pub(crate) fn new_field_quark(key: &Bound<'_, PyString>) -> PyResult<glib::Quark> {
    Ok(cached_quark(key, true)?.expect("a made quark exists"))
}

fn cached_quark(key: &Bound<'_, PyString>, create: bool) -> PyResult<Option<glib::Quark>> {
    // Sets of two entries each: a callback's few keys ("label", "confidence",
    // "age", ...) alternate on every frame, and with one entry per set two of
    // them landing in the same set would evict each other on every call.
    const SETS: usize = 32;
    // At most this many key objects are kept alive (a program has a few dozen
    // field names); past it, further names are looked up each time.
    const KEPT_MAX: usize = 4096;
    type Set = std::cell::Cell<[(usize, u32); 2]>;
    thread_local! {
        // (address of a kept key, its quark), most recently added first: per
        // thread, so a hit takes no lock.
        static RECENT: [Set; SETS] = const { [const { std::cell::Cell::new([(0, 0); 2]) }; SETS] };
    }
    // The keys any thread's RECENT names, held for good: an address there is
    // never reused by another object.
    static KEPT: std::sync::Mutex<Vec<Py<PyString>>> = std::sync::Mutex::new(Vec::new());
    let address = key.as_ptr() as usize;
    // Fibonacci hashing: objects from Python's allocator share their low
    // address bits, so the set comes from the high bits of the product.
    let set =
        ((address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SETS.ilog2())) as usize;
    let entries = RECENT.with(|recent| recent[set].get());
    if let Some(&(_, raw)) = entries.iter().find(|(cached, _)| *cached == address) {
        // SAFETY: only non-zero quarks of existing names are stored.
        return Ok(Some(unsafe { glib::translate::from_glib(raw) }));
    }
    let name = key.to_str()?;
    let Ok(c_name) = std::ffi::CString::new(name) else {
        return Ok(None);
    };
    // SAFETY: `c_name` is a NUL-terminated string that both functions only read
    // (g_quark_from_string copies it).
    let raw = unsafe {
        if create {
            glib::ffi::g_quark_from_string(c_name.as_ptr())
        } else {
            glib::ffi::g_quark_try_string(c_name.as_ptr())
        }
    };
    if raw == 0 {
        // Not cached: a quark of this name may be made later.
        return Ok(None);
    }
    let kept = {
        let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.iter().any(|k| k.as_ptr() as usize == address) {
            true
        } else if kept.len() < KEPT_MAX {
            kept.push(key.clone().unbind());
            true
        } else {
            false
        }
    };
    if kept {
        RECENT.with(|recent| recent[set].set([(address, raw), entries[0]]));
    }
    // SAFETY: `raw` is an existing, non-zero quark.
    Ok(Some(unsafe { glib::translate::from_glib(raw) }))
}

/// Converts one field value to the natural Python object: numbers, `bool`,
/// `str`, `list` for arrays and lists, `dict` for nested structures,
/// `fractions.Fraction` for fractions, `bytes` for byte variants; anything else
/// becomes its GStreamer serialization as `str` (or `None` when it has none).
pub fn value_to_py<'py>(py: Python<'py>, value: &glib::Value) -> PyResult<Bound<'py, PyAny>> {
    if let Some(scalar) = scalar_to_py(py, value) {
        return scalar;
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
/// (compat.md sections 4 and 4.1).
///
/// - `bool` (and numpy bools) -> `G_TYPE_BOOLEAN`;
/// - `int` (or anything with `__index__`) -> `G_TYPE_INT` in 32-bit range, else
///   `G_TYPE_INT64` (`G_TYPE_UINT64` above `i64::MAX`, `OverflowError` beyond);
/// - `float` (or numpy floats) -> `G_TYPE_DOUBLE`;
/// - `str` -> `G_TYPE_STRING` (`ValueError` for an embedded NUL);
/// - `bytes`, `bytearray` -> `G_TYPE_VARIANT` holding a GVariant `ay`;
/// - `list`, `tuple`, numpy arrays -> `GST_TYPE_ARRAY`, whose items GStreamer
///   requires to share one type: numbers are unified over the whole (nested)
///   list (all INT, else all INT64 when one needs it, else all DOUBLE as soon as
///   one is a float); any other mix (strings and numbers, bools and numbers,
///   ...) raises `TypeError` naming the field and the item types, so nothing
///   is stored cut short;
/// - `dict` (str keys) -> a nested `GstStructure` named `name`;
/// - anything else (including `None`) -> `TypeError`.
pub fn py_to_value(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<glib::SendValue> {
    convert(obj, name, name, 0)?.into_value(name)
}

/// Deepest nesting accepted for lists and dicts (guards against cycles).
const MAX_DEPTH: usize = 32;

/// A converted Python value; lists stay open until their item types are unified.
enum Converted {
    Bool(bool),
    Int(i128),
    Float(f64),
    List(Vec<Converted>),
    Value(glib::SendValue),
}

/// What numbers in a (nested) list become, so that its items share one type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NumberKind {
    Int,
    Int64,
    Double,
}

impl Converted {
    /// The widest number kind among this value's numbers (through nested lists).
    fn number_kind(&self) -> Option<NumberKind> {
        match self {
            Converted::Int(i) if i32::try_from(*i).is_ok() => Some(NumberKind::Int),
            Converted::Int(_) => Some(NumberKind::Int64),
            Converted::Float(_) => Some(NumberKind::Double),
            Converted::List(items) => items.iter().filter_map(Converted::number_kind).max(),
            Converted::Bool(_) | Converted::Value(_) => None,
        }
    }

    /// The GLib value; a top-level int picks its own width.
    fn into_value(self, path: &str) -> PyResult<glib::SendValue> {
        match self {
            Converted::Int(i) => Ok(int_value(i)),
            Converted::List(items) => {
                let kind = items
                    .iter()
                    .filter_map(Converted::number_kind)
                    .max()
                    .unwrap_or(NumberKind::Int);
                list_value(items, kind, path)
            }
            other => other.into_item(NumberKind::Int, path),
        }
    }

    /// The GLib value of a list item whose numbers all become `kind`.
    fn into_item(self, kind: NumberKind, path: &str) -> PyResult<glib::SendValue> {
        use pyo3::exceptions::PyOverflowError;
        Ok(match self {
            Converted::Bool(b) => b.to_send_value(),
            Converted::Int(i) => match kind {
                NumberKind::Int => int_value(i),
                NumberKind::Int64 => i64::try_from(i)
                    .map_err(|_| {
                        PyOverflowError::new_err(format!(
                            "tensor field '{path}': list items must fit in 64-bit signed integers"
                        ))
                    })?
                    .to_send_value(),
                NumberKind::Double => (i as f64).to_send_value(),
            },
            Converted::Float(f) => f.to_send_value(),
            Converted::List(items) => list_value(items, kind, path)?,
            Converted::Value(v) => v,
        })
    }

    /// The Python type name of this item, for error messages.
    fn type_name(&self) -> String {
        match self {
            Converted::Bool(_) => "bool".into(),
            Converted::Int(_) => "int".into(),
            Converted::Float(_) => "float".into(),
            Converted::List(items) => match items.first() {
                Some(first) => format!("list of {}", first.type_name()),
                None => "empty list".into(),
            },
            Converted::Value(v) => match v.type_() {
                t if t == glib::Type::STRING => "str".into(),
                t if t == gst::Structure::static_type() => "dict".into(),
                t if t == glib::Variant::static_type() => "bytes".into(),
                t => t.name().to_string(),
            },
        }
    }
}

/// The type GStreamer compares when appending to an array: that of the first
/// non-list item, looking through nested arrays (`None` for an empty array,
/// which goes with anything). Mirrors `gst_value_list_or_array_get_basic_type`.
fn basic_type(value: &glib::Value) -> Option<glib::Type> {
    if let Ok(array) = value.get::<gst::ArrayRef<'_>>() {
        return array.as_slice().first().and_then(|v| basic_type(v));
    }
    Some(value.type_())
}

/// A `GST_TYPE_ARRAY` of `items` (numbers as `kind`), or `TypeError` when
/// GStreamer cannot hold the items in one array (it would refuse an item with
/// a GLib critical and keep the array cut short).
fn list_value(items: Vec<Converted>, kind: NumberKind, path: &str) -> PyResult<glib::SendValue> {
    let names: Vec<String> = items.iter().map(Converted::type_name).collect();
    let mut values = Vec::with_capacity(items.len());
    let mut first: Option<glib::Type> = None;
    for item in items {
        let value = item.into_item(kind, path)?;
        if let Some(this) = basic_type(&value) {
            match first {
                None => first = Some(this),
                Some(first) if first != this => return Err(mixed_list(path, &names)),
                Some(_) => {}
            }
        }
        values.push(value);
    }
    Ok(gst::Array::new(values).to_send_value())
}

fn mixed_list(path: &str, names: &[String]) -> PyErr {
    let mut kinds: Vec<&str> = Vec::new();
    for name in names {
        if !kinds.contains(&name.as_str()) {
            kinds.push(name);
        }
    }
    pyo3::exceptions::PyTypeError::new_err(format!(
        "tensor field '{path}': cannot store a list of {} items: a GStreamer array holds \
         items of one type (ints and floats are stored as floats; nested lists must hold \
         the same type too); store the items as separate fields, convert them to one type \
         (e.g. all str), or use a dict",
        kinds.join(" and ")
    ))
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

/// Converts `obj`, stored under field `name`; `path` names it for errors
/// (`outer.inner` inside dicts, `field[2]` inside lists).
fn convert(obj: &Bound<'_, PyAny>, name: &str, path: &str, depth: usize) -> PyResult<Converted> {
    use pyo3::exceptions::{PyTypeError, PyValueError};
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
            let inner_path = format!("{path}.{key}");
            let value = convert(&value, &key, &inner_path, depth + 1)?.into_value(&inner_path)?;
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
        return convert(&plain, name, path, depth + 1);
    } else {
        None
    };
    if let Some(items) = items {
        return Ok(Converted::List(
            items
                .iter()
                .map(|item| convert(item, name, path, depth + 1))
                .collect::<PyResult<Vec<_>>>()?,
        ));
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
