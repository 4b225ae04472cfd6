//! A typed view of one tensor `GstStructure`, following DL Streamer's field conventions.
//!
//! A tensor is a `GstStructure`: the structure of a frame-level [`TensorMeta`](crate::meta::TensorMeta),
//! or a parameter structure of a region of interest (`detection`, classification results, raw
//! tensors). [`Tensor`] is a zero-cost, `#[repr(transparent)]` wrapper around
//! [`gst::StructureRef`]: a `&Tensor` is a read-only view, a `&mut Tensor` a writable one, and
//! both dereference to the underlying structure for generic field access.
//!
//! Field conventions (DL Streamer):
//! - `data_buffer`: `G_TYPE_VARIANT` holding a GVariant of type `ay` (the raw tensor bytes);
//! - `precision`: INT, a [`Precision`] value; `layout`: INT, a [`Layout`] value;
//! - `dims`: `GST_TYPE_ARRAY` of `G_TYPE_UINT`;
//! - `layer_name`, `model_name`, `element_id`, `format`, `label`: STRING;
//! - `label_id`, `object_id`: INT; `confidence`: DOUBLE.
//!
//! ```
//! use gvarust_meta::tensor::{Precision, Tensor};
//! gst::init().unwrap();
//! let mut s = gst::Structure::new_empty("raw");
//! let t = Tensor::from_structure_mut(&mut s);
//! t.set_data(&[1, 2, 3, 4, 5, 6], Precision::U8, &[2, 3]).unwrap();
//! assert_eq!(t.dims().unwrap(), vec![2, 3]);
//! assert_eq!(t.data(), Some(&[1u8, 2, 3, 4, 5, 6][..]));
//! assert_eq!(t.precision(), Precision::U8);
//! ```

use std::fmt;
use std::ops::{Deref, DerefMut};

use glib::prelude::*;
use glib::translate::{IntoGlib, ToGlibPtr};

/// Element precision of a tensor (the C `GVAPrecision` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum Precision {
    Unspecified = 255,
    Fp32 = 10,
    Fp16 = 11,
    Bf16 = 12,
    Fp64 = 13,
    Q78 = 20,
    I16 = 30,
    U4 = 39,
    U8 = 40,
    I4 = 49,
    I8 = 50,
    U16 = 60,
    I32 = 70,
    Bin = 71,
    I64 = 72,
    U64 = 73,
    U32 = 74,
    Bool = 41,
    Custom = 80,
}

impl Precision {
    /// All precisions, in declaration order.
    pub const ALL: [Precision; 19] = [
        Precision::Unspecified,
        Precision::Fp32,
        Precision::Fp16,
        Precision::Bf16,
        Precision::Fp64,
        Precision::Q78,
        Precision::I16,
        Precision::U4,
        Precision::U8,
        Precision::I4,
        Precision::I8,
        Precision::U16,
        Precision::I32,
        Precision::Bin,
        Precision::I64,
        Precision::U64,
        Precision::U32,
        Precision::Bool,
        Precision::Custom,
    ];

    /// Maps a C value to a precision; unknown values map to [`Precision::Unspecified`].
    ///
    /// ```
    /// use gvarust_meta::tensor::Precision;
    /// assert_eq!(Precision::from_i32(10), Precision::Fp32);
    /// assert_eq!(Precision::from_i32(12345), Precision::Unspecified);
    /// ```
    pub fn from_i32(value: i32) -> Precision {
        Self::ALL
            .into_iter()
            .find(|p| *p as i32 == value)
            .unwrap_or(Precision::Unspecified)
    }

    /// The C value.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The reference name, e.g. `"FP32"`, `"U8"`, `"UNSPECIFIED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Unspecified => "UNSPECIFIED",
            Precision::Fp32 => "FP32",
            Precision::Fp16 => "FP16",
            Precision::Bf16 => "BF16",
            Precision::Fp64 => "FP64",
            Precision::Q78 => "Q78",
            Precision::I16 => "I16",
            Precision::U4 => "U4",
            Precision::U8 => "U8",
            Precision::I4 => "I4",
            Precision::I8 => "I8",
            Precision::U16 => "U16",
            Precision::I32 => "I32",
            Precision::Bin => "BIN",
            Precision::I64 => "I64",
            Precision::U64 => "U64",
            Precision::U32 => "U32",
            Precision::Bool => "BOOL",
            Precision::Custom => "CUSTOM",
        }
    }

    /// Parses a reference name (case-sensitive, as returned by [`as_str`](Self::as_str)).
    pub fn from_name(name: &str) -> Option<Precision> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Bits per element, where defined (`None` for UNSPECIFIED and CUSTOM). BIN is 1 bit,
    /// U4/I4 are 4 bits, BOOL is one byte.
    pub fn bits(self) -> Option<usize> {
        Some(match self {
            Precision::Unspecified | Precision::Custom => return None,
            Precision::Bin => 1,
            Precision::U4 | Precision::I4 => 4,
            Precision::U8 | Precision::I8 | Precision::Bool => 8,
            Precision::Fp16
            | Precision::Bf16
            | Precision::Q78
            | Precision::I16
            | Precision::U16 => 16,
            Precision::Fp32 | Precision::I32 | Precision::U32 => 32,
            Precision::Fp64 | Precision::I64 | Precision::U64 => 64,
        })
    }

    /// Bytes per element for whole-byte precisions (`None` for sub-byte, UNSPECIFIED, CUSTOM).
    ///
    /// ```
    /// use gvarust_meta::tensor::Precision;
    /// assert_eq!(Precision::Fp32.element_size(), Some(4));
    /// assert_eq!(Precision::U4.element_size(), None);
    /// ```
    pub fn element_size(self) -> Option<usize> {
        self.bits().filter(|b| b % 8 == 0).map(|b| b / 8)
    }

    /// Bytes needed for `count` elements (sub-byte precisions are packed, rounded up), or `None`
    /// if the precision has no defined size or the size overflows.
    pub fn byte_len(self, count: usize) -> Option<usize> {
        let bits = count.checked_mul(self.bits()?)?;
        Some(bits.div_ceil(8))
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Memory layout of a tensor (the C `GVALayout` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum Layout {
    Any = 0,
    Nchw = 1,
    Nhwc = 2,
    Nc = 193,
}

impl Layout {
    /// All layouts.
    pub const ALL: [Layout; 4] = [Layout::Any, Layout::Nchw, Layout::Nhwc, Layout::Nc];

    /// Maps a C value to a layout; unknown values map to [`Layout::Any`].
    pub fn from_i32(value: i32) -> Layout {
        Self::ALL
            .into_iter()
            .find(|l| *l as i32 == value)
            .unwrap_or(Layout::Any)
    }

    /// The C value.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The reference name: `"ANY"`, `"NCHW"`, `"NHWC"`, `"NC"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Any => "ANY",
            Layout::Nchw => "NCHW",
            Layout::Nhwc => "NHWC",
            Layout::Nc => "NC",
        }
    }

    /// Parses a reference name.
    pub fn from_name(name: &str) -> Option<Layout> {
        Self::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors of tensor accessors and of [`Tensor::set_data`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TensorError {
    /// A field exists but has an unexpected type.
    WrongType {
        /// Field name.
        field: String,
        /// What was expected.
        expected: &'static str,
        /// The GType name found.
        found: String,
    },
    /// A `dims` element is negative or not an integer.
    BadDim {
        /// Index of the element.
        index: usize,
    },
    /// The product of `dims` times the element size does not match the data length.
    SizeMismatch {
        /// Bytes implied by `dims` and `precision`.
        expected: usize,
        /// Bytes of data.
        actual: usize,
    },
    /// The product of `dims` overflows.
    Overflow,
    /// The operation is not allowed on a `detection` tensor (e.g. setting a label).
    DetectionTensor,
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            TensorError::WrongType {
                field,
                expected,
                found,
            } => write!(f, "field '{field}' has type {found}, expected {expected}"),
            TensorError::BadDim { index } => {
                write!(f, "dims[{index}] is not a non-negative integer")
            }
            TensorError::SizeMismatch { expected, actual } => write!(
                f,
                "tensor data has {actual} bytes but dims and precision require {expected}"
            ),
            TensorError::Overflow => f.write_str("tensor dims product overflows"),
            TensorError::DetectionTensor => {
                f.write_str("operation not supported on a detection tensor")
            }
        }
    }
}

impl std::error::Error for TensorError {}

/// A field name whose GQuark is resolved once, on first use.
///
/// Looking a field up by name costs a trip through GLib's global quark table
/// (a mutex and a hash look-up) each time; the quark is looked up by a plain
/// scan of the structure's fields. For names used on every frame.
///
/// ```
/// use gvarust_meta::tensor::{FieldName, Tensor};
/// static SCORE: FieldName = FieldName::new("score");
/// gst::init().unwrap();
/// let s = gst::Structure::builder("t").field("score", 0.5f64).build();
/// let value = Tensor::from_structure(&s).value_of(&SCORE).unwrap();
/// assert_eq!(value.get::<f64>().unwrap(), 0.5);
/// ```
#[derive(Debug)]
pub struct FieldName {
    name: &'static str,
    quark: std::sync::OnceLock<glib::Quark>,
}

impl FieldName {
    /// The field `name`; its quark is made on first use.
    pub const fn new(name: &'static str) -> Self {
        FieldName {
            name,
            quark: std::sync::OnceLock::new(),
        }
    }

    /// The field's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The field's quark.
    pub fn quark(&self) -> glib::Quark {
        *self.quark.get_or_init(|| glib::Quark::from_str(self.name))
    }
}

/// Field names read on every frame.
pub mod fields {
    use super::FieldName;

    /// `label`: a classification's label.
    pub static LABEL: FieldName = FieldName::new("label");
    /// `label_id`: the label's index.
    pub static LABEL_ID: FieldName = FieldName::new("label_id");
    /// `confidence`: a detection's or classification's confidence.
    pub static CONFIDENCE: FieldName = FieldName::new("confidence");
}

/// A string value, or `None` for another type, a NULL string or bytes that are
/// not UTF-8 (which C code can store: GStreamer checks only some strings).
pub fn string_of(value: &glib::Value) -> Option<&str> {
    if value.type_() != glib::Type::STRING {
        return None;
    }
    // SAFETY: the value holds G_TYPE_STRING (checked above), so this is NULL or a
    // NUL-terminated string owned by `value`, alive while it is borrowed.
    unsafe {
        let ptr = glib::gobject_ffi::g_value_get_string(value.to_glib_none().0);
        if ptr.is_null() {
            None
        } else {
            std::ffi::CStr::from_ptr(ptr).to_str().ok()
        }
    }
}

/// An integer value as `i32` (INT, UINT, INT64, UINT64 in range), or `None`.
pub fn int_of(value: &glib::Value) -> Option<i32> {
    if let Ok(i) = value.get::<i32>() {
        Some(i)
    } else if let Ok(u) = value.get::<u32>() {
        i32::try_from(u).ok()
    } else if let Ok(i) = value.get::<i64>() {
        i32::try_from(i).ok()
    } else if let Ok(u) = value.get::<u64>() {
        i32::try_from(u).ok()
    } else {
        None
    }
}

/// A floating-point value (DOUBLE or FLOAT), or `None` for another type.
pub fn double_of(value: &glib::Value) -> Option<f64> {
    if let Ok(d) = value.get::<f64>() {
        Some(d)
    } else {
        value.get::<f32>().ok().map(f64::from)
    }
}

/// Whether the structure `s` is named `name`. Compares in place, without
/// measuring the name first: regions are searched by parameter name on every
/// read, and measuring every name showed up as the main cost of bulk reads.
pub fn has_name(s: &gst::StructureRef, name: &str) -> bool {
    // SAFETY: gst_structure_get_name returns the structure's NUL-terminated name,
    // alive while `s` is borrowed. strncmp stops at the first difference or NUL, so
    // it reads at most `name.len()` bytes of it; a zero result means those bytes
    // equal `name` (none is NUL, as `name` has none), so byte `name.len()` exists
    // and is read only then.
    unsafe {
        let actual = gst::ffi::gst_structure_get_name(s.as_ptr());
        !actual.is_null()
            && !name.as_bytes().contains(&0)
            && libc::strncmp(actual, name.as_ptr().cast(), name.len()) == 0
            && *actual.add(name.len()) == 0
    }
}

/// Name of the structure that describes a detection (first ROI parameter).
pub const DETECTION_NAME: &str = "detection";

/// Whether `name` is a valid `GstStructure` name: an ASCII letter followed by ASCII letters,
/// digits and `/-_.:+` (GStreamer refuses other names with a critical warning).
///
/// ```
/// use gvarust_meta::tensor::is_valid_structure_name;
/// assert!(is_valid_structure_name("detection"));
/// assert!(is_valid_structure_name("age_gender/fc1.0"));
/// assert!(!is_valid_structure_name(""));
/// assert!(!is_valid_structure_name("1st"));
/// assert!(!is_valid_structure_name("has space"));
/// ```
pub fn is_valid_structure_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || "/-_.:+".contains(c))
}

/// A tensor: a typed view of a `GstStructure` (see the [module docs](self)).
///
/// Obtain one with [`Tensor::from_structure`] / [`Tensor::from_structure_mut`]. Reads of typed
/// accessors return `None` when the field is missing or has another type; they never panic.
#[repr(transparent)]
pub struct Tensor(gst::StructureRef);

impl Tensor {
    /// A read-only tensor view of `s`.
    pub fn from_structure(s: &gst::StructureRef) -> &Tensor {
        // SAFETY: `Tensor` is #[repr(transparent)] over `StructureRef`, so the layouts are equal
        // and the lifetime is carried over unchanged.
        unsafe { &*(s as *const gst::StructureRef as *const Tensor) }
    }

    /// A writable tensor view of `s`.
    pub fn from_structure_mut(s: &mut gst::StructureRef) -> &mut Tensor {
        // SAFETY: as in `from_structure`; exclusivity is carried over from `s`.
        unsafe { &mut *(s as *mut gst::StructureRef as *mut Tensor) }
    }

    /// The underlying structure.
    pub fn structure(&self) -> &gst::StructureRef {
        &self.0
    }

    /// The underlying structure, writable.
    pub fn structure_mut(&mut self) -> &mut gst::StructureRef {
        &mut self.0
    }

    /// The structure name (e.g. `detection`, `meta`, a layer or attribute name).
    pub fn name(&self) -> &str {
        self.0.name().as_str()
    }

    /// Renames the structure.
    pub fn set_name(&mut self, name: &str) {
        self.0.set_name(name);
    }

    /// Whether this is a detection tensor (name `detection`).
    pub fn is_detection(&self) -> bool {
        has_name(&self.0, DETECTION_NAME)
    }

    /// The value of the field whose name has the quark `quark`, if present.
    ///
    /// Faster than a look-up by name, which resolves the name through GLib's
    /// global (locked) quark table on every call; see [`FieldName`].
    pub fn value_by_quark(&self, quark: glib::Quark) -> Option<&glib::Value> {
        // gst_structure_id_get_value is deprecated from 1.26 on in favour of
        // GstIdStr look-ups, which 1.22 lacks; it stays available and fast.
        #[allow(deprecated)]
        // SAFETY: the structure is live for `&self`; the returned value is owned by
        // it (NULL when missing), so borrowing it for `&self` is sound.
        unsafe {
            let value = gst::ffi::gst_structure_id_get_value(self.0.as_ptr(), quark.into_glib());
            (value as *const glib::Value).as_ref()
        }
    }

    /// Sets the field whose name has the quark `quark` to `value` (see
    /// [`Tensor::value_by_quark`] for why a quark).
    pub fn set_value_by_quark(&mut self, quark: glib::Quark, value: glib::SendValue) {
        // The quark setter is deprecated from 1.26 on in favour of GstIdStr, which
        // 1.22 lacks; it stays available and fast.
        #[allow(deprecated)]
        self.0.set_value_by_quark(quark, value);
    }

    /// The value of a field named by a [`FieldName`], if present.
    pub fn value_of(&self, field: &FieldName) -> Option<&glib::Value> {
        self.value_by_quark(field.quark())
    }

    /// A string field, or `None` if missing or not a string.
    pub fn string(&self, field: &str) -> Option<&str> {
        string_of(self.0.value(field).ok()?)
    }

    /// An integer field as `i32` (accepts INT, UINT, INT64, UINT64 in range).
    pub fn int(&self, field: &str) -> Option<i32> {
        int_of(self.0.value(field).ok()?)
    }

    /// A floating-point field (accepts DOUBLE and FLOAT).
    pub fn double(&self, field: &str) -> Option<f64> {
        double_of(self.0.value(field).ok()?)
    }

    /// `layer_name` field.
    pub fn layer_name(&self) -> Option<&str> {
        self.string("layer_name")
    }

    /// `model_name` field.
    pub fn model_name(&self) -> Option<&str> {
        self.string("model_name")
    }

    /// `format` field.
    pub fn format(&self) -> Option<&str> {
        self.string("format")
    }

    /// `element_id` field.
    pub fn element_id(&self) -> Option<&str> {
        self.string("element_id")
    }

    /// `label` field.
    pub fn label(&self) -> Option<&str> {
        string_of(self.value_of(&fields::LABEL)?)
    }

    /// Sets the `label` field. Refused on a detection tensor (the label of a region is its
    /// `roi_type`), as in the reference.
    pub fn set_label(&mut self, label: &str) -> Result<(), TensorError> {
        if self.is_detection() {
            return Err(TensorError::DetectionTensor);
        }
        self.0.set("label", label);
        Ok(())
    }

    /// `label_id` field.
    pub fn label_id(&self) -> Option<i32> {
        int_of(self.value_of(&fields::LABEL_ID)?)
    }

    /// `object_id` field.
    pub fn object_id(&self) -> Option<i32> {
        self.int("object_id")
    }

    /// `confidence` field.
    pub fn confidence(&self) -> Option<f64> {
        double_of(self.value_of(&fields::CONFIDENCE)?)
    }

    /// `precision` field; missing or unknown reads as [`Precision::Unspecified`].
    pub fn precision(&self) -> Precision {
        self.int("precision")
            .map(Precision::from_i32)
            .unwrap_or(Precision::Unspecified)
    }

    /// Sets the `precision` field (INT).
    pub fn set_precision(&mut self, precision: Precision) {
        self.0.set("precision", precision.as_i32());
    }

    /// `layout` field; missing or unknown reads as [`Layout::Any`].
    pub fn layout(&self) -> Layout {
        self.int("layout")
            .map(Layout::from_i32)
            .unwrap_or(Layout::Any)
    }

    /// Sets the `layout` field (INT).
    pub fn set_layout(&mut self, layout: Layout) {
        self.0.set("layout", layout.as_i32());
    }

    /// `dims` field: an array (`GST_TYPE_ARRAY`, or `GST_TYPE_LIST`) of non-negative integers
    /// (UINT, INT, UINT64, INT64 accepted). Missing `dims` reads as an empty vector.
    pub fn dims(&self) -> Result<Vec<u32>, TensorError> {
        let Ok(v) = self.0.value("dims") else {
            return Ok(Vec::new());
        };
        let items: &[glib::SendValue] = if let Ok(a) = v.get::<gst::ArrayRef>() {
            a.as_slice()
        } else if let Ok(l) = v.get::<gst::ListRef>() {
            l.as_slice()
        } else {
            return Err(TensorError::WrongType {
                field: "dims".into(),
                expected: "GstValueArray",
                found: v.type_().name().into(),
            });
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let d = if let Ok(u) = item.get::<u32>() {
                    Some(u)
                } else if let Ok(i) = item.get::<i32>() {
                    u32::try_from(i).ok()
                } else if let Ok(u) = item.get::<u64>() {
                    u32::try_from(u).ok()
                } else if let Ok(i) = item.get::<i64>() {
                    u32::try_from(i).ok()
                } else {
                    None
                };
                d.ok_or(TensorError::BadDim { index })
            })
            .collect()
    }

    /// Sets the `dims` field as a `GST_TYPE_ARRAY` of `G_TYPE_UINT`.
    pub fn set_dims(&mut self, dims: &[u32]) {
        self.0.set_value("dims", dims_value(dims));
    }

    /// The raw tensor bytes from `data_buffer`, zero-copy.
    ///
    /// Returns `None` if the field is missing or is not a `G_TYPE_VARIANT` holding a GVariant of
    /// type `ay`. The slice borrows the structure: it stays valid while the field is unchanged.
    pub fn data(&self) -> Option<&[u8]> {
        let value = self.0.value("data_buffer").ok()?;
        if value.type_() != glib::Type::VARIANT {
            return None;
        }
        // SAFETY: the value holds a G_TYPE_VARIANT; g_value_get_variant returns it without a new
        // reference (NULL if unset). The variant is owned by the structure's field, which `&self`
        // keeps alive and unchanged for the returned lifetime. We check the GVariant type before
        // g_variant_get_fixed_array, which then returns `n` bytes (possibly NULL for n == 0).
        unsafe {
            let variant = glib::gobject_ffi::g_value_get_variant(value.to_glib_none().0);
            if variant.is_null() {
                return None;
            }
            let ty = glib::VariantTy::BYTE_STRING;
            if glib::ffi::g_variant_is_of_type(variant, ty.to_glib_none().0) == glib::ffi::GFALSE {
                return None;
            }
            let mut n: usize = 0;
            let ptr = glib::ffi::g_variant_get_fixed_array(variant, &mut n, 1);
            if ptr.is_null() || n == 0 {
                Some(&[])
            } else {
                Some(std::slice::from_raw_parts(ptr as *const u8, n))
            }
        }
    }

    /// Stores raw tensor bytes: `data_buffer` (GVariant `ay`), `precision` (INT) and `dims`
    /// (array of UINT).
    ///
    /// When `precision` has a defined element size and `dims` is not empty, the data length must
    /// equal the product of `dims` times the element size (sub-byte precisions packed, rounded
    /// up); otherwise nothing is changed and [`TensorError::SizeMismatch`] is returned. An empty
    /// `dims` skips the check and stores an empty array.
    pub fn set_data(
        &mut self,
        data: &[u8],
        precision: Precision,
        dims: &[u32],
    ) -> Result<(), TensorError> {
        check_size(data.len(), precision, dims)?;
        self.0
            .set("data_buffer", glib::Variant::array_from_fixed_array(data));
        self.set_precision(precision);
        self.set_dims(dims);
        Ok(())
    }

    /// Checks that the stored data, `dims` and `precision` agree (as [`set_data`](Self::set_data)
    /// would require). A tensor without data is valid.
    pub fn validate(&self) -> Result<(), TensorError> {
        match self.data() {
            None => Ok(()),
            Some(data) => check_size(data.len(), self.precision(), &self.dims()?),
        }
    }
}

/// Checks `len` against `dims` x element size (see [`Tensor::set_data`]).
pub fn check_size(len: usize, precision: Precision, dims: &[u32]) -> Result<(), TensorError> {
    if dims.is_empty() || precision.bits().is_none() {
        return Ok(());
    }
    let count = dims
        .iter()
        .try_fold(1usize, |acc, d| acc.checked_mul(*d as usize))
        .ok_or(TensorError::Overflow)?;
    let expected = precision.byte_len(count).ok_or(TensorError::Overflow)?;
    if expected == len {
        Ok(())
    } else {
        Err(TensorError::SizeMismatch {
            expected,
            actual: len,
        })
    }
}

impl Deref for Tensor {
    type Target = gst::StructureRef;

    fn deref(&self) -> &gst::StructureRef {
        &self.0
    }
}

impl DerefMut for Tensor {
    fn deref_mut(&mut self) -> &mut gst::StructureRef {
        &mut self.0
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_tuple("Tensor").field(&&self.0).finish()
    }
}

impl AsRef<gst::StructureRef> for Tensor {
    fn as_ref(&self) -> &gst::StructureRef {
        &self.0
    }
}

/// The value of a `dims` field: an array of UINT.
pub fn dims_value(dims: &[u32]) -> glib::SendValue {
    gst::Array::new(dims.iter().map(|d| d.to_send_value())).to_send_value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_init as init;

    #[test]
    fn precision_values_and_names() {
        let expected = [
            ("UNSPECIFIED", 255),
            ("FP32", 10),
            ("FP16", 11),
            ("BF16", 12),
            ("FP64", 13),
            ("Q78", 20),
            ("I16", 30),
            ("U4", 39),
            ("U8", 40),
            ("I4", 49),
            ("I8", 50),
            ("U16", 60),
            ("I32", 70),
            ("U32", 74),
            ("I64", 72),
            ("U64", 73),
            ("BIN", 71),
            ("BOOL", 41),
            ("CUSTOM", 80),
        ];
        for (name, value) in expected {
            let p = Precision::from_i32(value);
            assert_eq!(p.as_str(), name);
            assert_eq!(p.as_i32(), value);
            assert_eq!(Precision::from_name(name), Some(p));
        }
        assert_eq!(Precision::from_i32(-1), Precision::Unspecified);
        assert_eq!(Precision::from_i32(0), Precision::Unspecified);
        assert_eq!(Precision::Fp64.element_size(), Some(8));
        assert_eq!(Precision::Fp16.element_size(), Some(2));
        assert_eq!(Precision::Bool.element_size(), Some(1));
        assert_eq!(Precision::Bin.element_size(), None);
        assert_eq!(Precision::Custom.element_size(), None);
        assert_eq!(Precision::U4.byte_len(3), Some(2));
        assert_eq!(Precision::Bin.byte_len(9), Some(2));
    }

    #[test]
    fn layout_values_and_names() {
        for (name, value) in [("ANY", 0), ("NCHW", 1), ("NHWC", 2), ("NC", 193)] {
            let l = Layout::from_i32(value);
            assert_eq!(l.as_str(), name);
            assert_eq!(l.as_i32(), value);
            assert_eq!(Layout::from_name(name), Some(l));
        }
        assert_eq!(Layout::from_i32(7), Layout::Any);
    }

    #[test]
    fn typed_accessors() {
        init();
        let mut s = gst::Structure::builder("age")
            .field("layer_name", "fc")
            .field("model_name", "agegender")
            .field("element_id", "cls1")
            .field("format", "label")
            .field("label", "42")
            .field("label_id", 3i32)
            .field("object_id", 9u32)
            .field("confidence", 0.75f64)
            .field("precision", 10i32)
            .field("layout", 193i32)
            .field("dims", gst::Array::new([1i32, 4i32]))
            .build();
        let t = Tensor::from_structure(&s);
        assert_eq!(t.name(), "age");
        assert_eq!(t.layer_name(), Some("fc"));
        assert_eq!(t.model_name(), Some("agegender"));
        assert_eq!(t.element_id(), Some("cls1"));
        assert_eq!(t.format(), Some("label"));
        assert_eq!(t.label(), Some("42"));
        assert_eq!(t.label_id(), Some(3));
        assert_eq!(t.object_id(), Some(9));
        assert_eq!(t.confidence(), Some(0.75));
        assert_eq!(t.precision(), Precision::Fp32);
        assert_eq!(t.layout(), Layout::Nc);
        assert_eq!(t.dims().unwrap(), vec![1, 4]);
        assert!(!t.is_detection());
        assert_eq!(t.data(), None);

        let t = Tensor::from_structure_mut(&mut s);
        t.set_label("43").unwrap();
        assert_eq!(t.label(), Some("43"));
        t.set_name("detection");
        assert!(t.is_detection());
        assert_eq!(t.set_label("x"), Err(TensorError::DetectionTensor));
        // Deref to the structure.
        assert!(t.has_field("label_id"));
    }

    #[test]
    fn wrong_types_do_not_panic() {
        init();
        let s = gst::Structure::builder("x")
            .field("layer_name", 5i32)
            .field("confidence", "high")
            .field("precision", "FP32")
            .field("dims", "1x2")
            .field("data_buffer", "bytes")
            .build();
        let t = Tensor::from_structure(&s);
        assert_eq!(t.layer_name(), None);
        assert_eq!(t.confidence(), None);
        assert_eq!(t.precision(), Precision::Unspecified);
        assert!(matches!(t.dims(), Err(TensorError::WrongType { .. })));
        assert_eq!(t.data(), None);
        assert_eq!(t.layout(), Layout::Any);

        let s = gst::Structure::builder("x")
            .field("dims", gst::Array::new([1i32, -4i32]))
            .field("data_buffer", glib::Variant::from("not ay"))
            .build();
        let t = Tensor::from_structure(&s);
        assert_eq!(t.dims(), Err(TensorError::BadDim { index: 1 }));
        assert_eq!(t.data(), None);

        let s = gst::Structure::builder("x")
            .field("dims", gst::Array::new(["a"]))
            .build();
        assert_eq!(
            Tensor::from_structure(&s).dims(),
            Err(TensorError::BadDim { index: 0 })
        );
    }

    #[test]
    fn set_data_roundtrip_and_types() {
        init();
        let mut s = gst::Structure::new_empty("raw");
        let t = Tensor::from_structure_mut(&mut s);
        let bytes: Vec<u8> = (0..24).collect();
        t.set_data(&bytes, Precision::Fp32, &[1, 2, 3]).unwrap();
        assert_eq!(t.data(), Some(&bytes[..]));
        assert_eq!(t.precision(), Precision::Fp32);
        assert_eq!(t.dims().unwrap(), vec![1, 2, 3]);
        t.validate().unwrap();

        // Stored types follow the DL Streamer conventions.
        assert_eq!(s.value("data_buffer").unwrap().type_(), glib::Type::VARIANT);
        let v = s.get::<glib::Variant>("data_buffer").unwrap();
        assert_eq!(v.type_().as_str(), "ay");
        assert_eq!(s.value("precision").unwrap().type_(), glib::Type::I32);
        let dims = s.get::<gst::ArrayRef>("dims").unwrap();
        assert!(dims.as_slice().iter().all(|d| d.type_() == glib::Type::U32));

        // Survives a structure copy (what meta transforms do).
        let copy = s.clone();
        assert_eq!(Tensor::from_structure(&copy).data(), Some(&bytes[..]));

        // Empty data.
        let t = Tensor::from_structure_mut(&mut s);
        t.set_data(&[], Precision::U8, &[0]).unwrap();
        assert_eq!(t.data(), Some(&[][..]));
    }

    #[test]
    fn set_data_checks_size() {
        init();
        let mut s = gst::Structure::new_empty("raw");
        let t = Tensor::from_structure_mut(&mut s);
        assert_eq!(
            t.set_data(&[0; 10], Precision::Fp32, &[2, 2]),
            Err(TensorError::SizeMismatch {
                expected: 16,
                actual: 10
            })
        );
        assert!(
            !t.has_field("data_buffer"),
            "failed set_data changes nothing"
        );
        assert_eq!(
            t.set_data(&[0; 1], Precision::U8, &[u32::MAX, u32::MAX, u32::MAX]),
            Err(TensorError::Overflow)
        );
        // Unspecified precision and empty dims are not checked.
        t.set_data(&[0; 10], Precision::Unspecified, &[3]).unwrap();
        t.set_data(&[0; 10], Precision::Fp32, &[]).unwrap();
        // Sub-byte: 3 U4 values need 2 bytes.
        t.set_data(&[0; 2], Precision::U4, &[3]).unwrap();
        // validate() catches inconsistent foreign data.
        t.set_precision(Precision::Fp64);
        assert_eq!(
            t.validate(),
            Err(TensorError::SizeMismatch {
                expected: 24,
                actual: 2
            })
        );
        let msg = t.validate().unwrap_err().to_string();
        assert!(msg.contains("2 bytes"), "{msg}");
    }
}
