//! Property-based tests: tensor structures of arbitrary (also malformed) shape
//! through the model's conversions, and the numpy view of tensor data, never
//! panic and never return a value that disagrees with what was stored.

use gst::glib;
use gvarust_meta::{Precision, Tensor};
use proptest::prelude::*;

fn init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| gst::init().unwrap());
}

/// A field value of any of the types producers (or broken producers) store.
#[derive(Debug, Clone)]
enum Field {
    Int(i32),
    Int64(i64),
    UInt(u32),
    Double(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
    IntVariant(Vec<i32>),
    Array(Vec<i64>),
}

impl Field {
    fn value(&self) -> glib::SendValue {
        use gst::prelude::*;
        match self {
            Field::Int(v) => v.to_send_value(),
            Field::Int64(v) => v.to_send_value(),
            Field::UInt(v) => v.to_send_value(),
            Field::Double(v) => v.to_send_value(),
            Field::Str(v) => v.to_send_value(),
            Field::Bool(v) => v.to_send_value(),
            Field::Bytes(v) => glib::Variant::array_from_fixed_array(v).to_send_value(),
            Field::IntVariant(v) => {
                glib::Variant::array_from_iter::<i32>(v.iter().map(|i| i.to_variant()))
                    .to_send_value()
            }
            Field::Array(v) => gst::Array::new(v.iter().map(|i| i.to_send_value())).to_send_value(),
        }
    }
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        any::<i32>().prop_map(Field::Int),
        // The C enum values (precision, layout), which arbitrary integers almost never hit.
        prop::sample::select(vec![0, 1, 2, 10, 39, 40, 49, 71, 80, 193, 255]).prop_map(Field::Int),
        // Integers of the wider and unsigned types, in and out of i32's range.
        prop_oneof![any::<i64>(), -300i64..300].prop_map(Field::Int64),
        prop_oneof![any::<u32>(), 0u32..300].prop_map(Field::UInt),
        any::<f64>().prop_map(Field::Double),
        "[a-z0-9 ]{0,8}".prop_map(Field::Str),
        any::<bool>().prop_map(Field::Bool),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Field::Bytes),
        proptest::collection::vec(any::<i32>(), 0..4).prop_map(Field::IntVariant),
        proptest::collection::vec(-3i64..70_000, 0..5).prop_map(Field::Array),
    ]
}

const NAMES: [&str; 12] = [
    "data_buffer",
    "precision",
    "layout",
    "dims",
    "label",
    "label_id",
    "confidence",
    "layer_name",
    "object_id",
    "format",
    "model_name",
    "element_id",
];

/// Field assignments in order (a later one to the same name replaces the earlier).
fn assignments() -> impl Strategy<Value = Vec<(usize, Field)>> {
    proptest::collection::vec((0..NAMES.len(), field()), 0..12)
}

fn build(fields: &[(usize, Field)]) -> gst::Structure {
    init();
    let mut s = gst::Structure::new_empty("tensor");
    for (i, f) in fields {
        s.set_value(NAMES[*i], f.value());
    }
    s
}

/// What the generator last stored under `name` (the test's own record, not read back).
fn stored<'a>(fields: &'a [(usize, Field)], name: &str) -> Option<&'a Field> {
    fields
        .iter()
        .rev()
        .find(|(i, _)| NAMES[*i] == name)
        .map(|(_, f)| f)
}

// Oracles: what DL Streamer's tensor accessors read from each field type, written out
// from the C semantics (GVA::Tensor), independently of the model's code.

fn expected_string(f: Option<&Field>) -> Option<String> {
    match f {
        Some(Field::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

fn expected_int(f: Option<&Field>) -> Option<i32> {
    match f {
        Some(Field::Int(i)) => Some(*i),
        Some(Field::UInt(u)) if *u <= i32::MAX as u32 => Some(*u as i32),
        Some(Field::Int64(i)) if (i32::MIN as i64..=i32::MAX as i64).contains(i) => Some(*i as i32),
        _ => None,
    }
}

/// The C `GVAPrecision` values and their element sizes in bits (None: no fixed size).
const PRECISIONS: [(i32, Option<usize>); 19] = [
    (255, None), // UNSPECIFIED
    (10, Some(32)),
    (11, Some(16)),
    (12, Some(16)),
    (13, Some(64)),
    (20, Some(16)),
    (30, Some(16)),
    (39, Some(4)),
    (40, Some(8)),
    (49, Some(4)),
    (50, Some(8)),
    (60, Some(16)),
    (70, Some(32)),
    (71, Some(1)),
    (72, Some(64)),
    (73, Some(64)),
    (74, Some(32)),
    (41, Some(8)),
    (80, None), // CUSTOM
];

fn expected_precision(f: Option<&Field>) -> i32 {
    match expected_int(f) {
        Some(i) if PRECISIONS.iter().any(|(p, _)| *p == i) => i,
        _ => 255,
    }
}

fn expected_layout(f: Option<&Field>) -> i32 {
    match expected_int(f) {
        Some(i) if [0, 1, 2, 193].contains(&i) => i,
        _ => 0,
    }
}

/// `dims`: missing reads as empty, an array of values in `u32` range as those, anything else is an error.
fn expected_dims(f: Option<&Field>) -> Result<Vec<u32>, ()> {
    match f {
        None => Ok(Vec::new()),
        Some(Field::Array(v)) => v
            .iter()
            .map(|d| u32::try_from(*d).map_err(|_| ()))
            .collect(),
        Some(_) => Err(()),
    }
}

fn expected_data(f: Option<&Field>) -> Option<Vec<u8>> {
    match f {
        Some(Field::Bytes(b)) => Some(b.clone()),
        _ => None,
    }
}

/// Whether `len` bytes hold `dims` elements of `precision` (empty dims or a precision without
/// element size: any length), by multiplying out in u128 (no overflow for these ranges).
fn size_fits(len: usize, precision: i32, dims: &[u32]) -> bool {
    let bits = PRECISIONS
        .iter()
        .find(|(p, _)| *p == precision)
        .and_then(|(_, b)| *b);
    match bits {
        Some(bits) if !dims.is_empty() => {
            let count: u128 = dims.iter().map(|d| u128::from(*d)).product();
            (count * bits as u128).div_ceil(8) == len as u128
        }
        _ => true,
    }
}

fn expected_valid(fields: &[(usize, Field)]) -> bool {
    match expected_data(stored(fields, "data_buffer")) {
        None => true,
        Some(data) => match expected_dims(stored(fields, "dims")) {
            Err(()) => false,
            Ok(dims) => size_fits(
                data.len(),
                expected_precision(stored(fields, "precision")),
                &dims,
            ),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every accessor of a tensor view is total over arbitrary structures,
    /// and what it returns is what the generator stored, as DL Streamer reads it.
    #[test]
    fn accessors_are_total_and_agree_with_the_fields(fields in assignments()) {
        let s = build(&fields);
        let t = Tensor::from_structure(&s);
        let f = |name| stored(&fields, name);
        prop_assert_eq!(t.name(), "tensor");
        prop_assert_eq!(t.layer_name().map(str::to_owned), expected_string(f("layer_name")));
        prop_assert_eq!(t.model_name().map(str::to_owned), expected_string(f("model_name")));
        prop_assert_eq!(t.format().map(str::to_owned), expected_string(f("format")));
        prop_assert_eq!(t.label().map(str::to_owned), expected_string(f("label")));
        prop_assert_eq!(t.element_id().map(str::to_owned), expected_string(f("element_id")));
        prop_assert_eq!(t.label_id(), expected_int(f("label_id")));
        prop_assert_eq!(t.object_id(), expected_int(f("object_id")));
        let confidence = match f("confidence") {
            Some(Field::Double(d)) => Some(d.to_bits()),
            _ => None,
        };
        prop_assert_eq!(t.confidence().map(f64::to_bits), confidence);
        prop_assert_eq!(t.precision().as_i32(), expected_precision(f("precision")));
        prop_assert_eq!(t.layout().as_i32(), expected_layout(f("layout")));
        prop_assert_eq!(t.dims().map_err(|_| ()), expected_dims(f("dims")));
        prop_assert_eq!(t.data().map(<[u8]>::to_vec), expected_data(f("data_buffer")));
        prop_assert_eq!(t.validate().is_ok(), expected_valid(&fields), "{:?}", fields);
    }

    /// set_data accepts exactly the sizes that fit dims x precision, and reads back.
    #[test]
    fn set_data_round_trips(
        data in proptest::collection::vec(any::<u8>(), 0..64),
        precision in prop::sample::select(Precision::ALL.to_vec()),
        dims in proptest::collection::vec(0u32..9, 0..4),
    ) {
        init();
        let mut s = gst::Structure::new_empty("raw");
        let t = Tensor::from_structure_mut(&mut s);
        let expected_ok = size_fits(data.len(), precision.as_i32(), &dims);
        let result = t.set_data(&data, precision, &dims);
        prop_assert_eq!(result.is_ok(), expected_ok);
        if expected_ok {
            prop_assert_eq!(t.data(), Some(&data[..]));
            prop_assert_eq!(t.precision(), precision);
            prop_assert_eq!(t.dims().unwrap(), dims);
            prop_assert!(t.validate().is_ok());
            // A copy (what meta transforms make) holds the same bytes.
            let copy = s.clone();
            prop_assert_eq!(Tensor::from_structure(&copy).data(), Some(&data[..]));
        } else {
            prop_assert!(!t.has_field("data_buffer"));
        }
    }

    /// validate() near the boundary: data of exactly dims x precision bytes, one byte
    /// less, one byte more (random structures rarely hit an exact fit).
    #[test]
    fn validate_accepts_exactly_the_sizes_that_fit(
        precision in prop::sample::select(PRECISIONS.iter().map(|(p, _)| *p).collect::<Vec<_>>()),
        dims in proptest::collection::vec(0u32..6, 0..4),
        delta in -1i64..=1,
    ) {
        let bits = PRECISIONS.iter().find(|(p, _)| *p == precision).and_then(|(_, b)| *b).unwrap_or(8);
        let count: usize = dims.iter().map(|d| *d as usize).product();
        let len = ((count * bits).div_ceil(8) as i64 + delta).max(0) as usize;
        let fields = vec![
            (0, Field::Bytes(vec![7; len])),
            (1, Field::Int(precision)),
            (3, Field::Array(dims.iter().map(|d| i64::from(*d)).collect())),
        ];
        let s = build(&fields);
        let t = Tensor::from_structure(&s);
        prop_assert_eq!(t.validate().is_ok(), size_fits(len, precision, &dims));
        prop_assert_eq!(t.validate().is_ok(), expected_valid(&fields));
    }

    /// A box that ends exactly at the frame edge is inside; one pixel more is clipped.
    #[test]
    fn boxes_at_the_edge_are_inside_and_one_pixel_past_it_clipped(
        width in 1u32..4000, height in 1u32..4000, fx in 0.0f64..1.0, fy in 0.0f64..1.0,
        dx in -1i64..=1, dy in -1i64..=1,
    ) {
        let (fw, fh) = (i64::from(width), i64::from(height));
        let (x, y) = ((fx * fw as f64) as i64, (fy * fh as f64) as i64);
        let (w, h) = (fw - x + dx, fh - y + dy);
        let (rect, clipped) = gvarust_meta::region::clip_rect(x, y, w, h, width, height);
        let inside = w >= 0 && h >= 0 && dx <= 0 && dy <= 0;
        prop_assert_eq!(clipped, !inside);
        if inside {
            prop_assert_eq!((rect.x, rect.y, rect.w, rect.h), (x as u32, y as u32, w as u32, h as u32));
        } else {
            prop_assert_eq!((rect.x + rect.w, rect.y + rect.h), (width.min((x + w.max(0)) as u32), height.min((y + h.max(0)) as u32)));
        }
    }

    /// Clipping keeps every region inside the frame.
    #[test]
    fn clipped_regions_are_inside_the_frame(
        x in -5000i64..5000, y in -5000i64..5000, w in -100i64..9000, h in -100i64..9000,
        width in 1u32..4000, height in 1u32..4000,
    ) {
        let (rect, clipped) = gvarust_meta::region::clip_rect(x, y, w, h, width, height);
        prop_assert!(rect.x + rect.w <= width && rect.y + rect.h <= height, "{:?}", rect);
        // Inside means: no negative coordinate or size and no edge past the frame.
        let (fw, fh) = (i64::from(width), i64::from(height));
        let inside = x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= fw && y + h <= fh;
        prop_assert_eq!(clipped, !inside);
        if inside {
            prop_assert_eq!((rect.x, rect.y, rect.w, rect.h), (x as u32, y as u32, w as u32, h as u32));
        }
    }
}

/// The numpy view of `Tensor.data()` over arbitrary bytes and precisions:
/// an array of exactly the stored bytes, or a RuntimeError; never a panic.
#[cfg(feature = "python")]
mod numpy_views {
    use super::*;
    use pyo3::prelude::*;

    fn with_gvarust<R>(f: impl for<'py> FnOnce(Python<'py>, &Bound<'py, PyAny>) -> R) -> R {
        init();
        Python::initialize();
        Python::attach(|py| {
            let module = PyModule::new(py, "gvarust").unwrap();
            gvarust_meta::py::init_module(&module).unwrap();
            let tensor_class = module.getattr("Tensor").unwrap();
            f(py, &tensor_class)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn data_views_match_the_stored_bytes(
            data in proptest::collection::vec(any::<u8>(), 0..48),
            precision in prop_oneof![
                prop::sample::select(Precision::ALL.iter().map(|p| p.as_i32()).collect::<Vec<_>>()),
                any::<i32>(),
            ],
            dims in proptest::collection::vec(-2i64..20, 0..3),
        ) {
            with_gvarust(|py, tensor_class| -> Result<(), TestCaseError> {
                let t = tensor_class.call1(("fuzz",)).unwrap();
                t.set_item("data_buffer", pyo3::types::PyBytes::new(py, &data)).unwrap();
                t.set_item("precision", precision).unwrap();
                // Negative dims are refused (dims are unsigned): keep whatever was stored.
                let _ = t.set_item("dims", dims.clone());
                match t.call_method0("data") {
                    Ok(array) => {
                        let raw: Vec<u8> = array.call_method0("tobytes").unwrap().extract().unwrap();
                        prop_assert_eq!(raw, data.clone());
                        let writeable: bool = array.getattr("flags").unwrap()
                            .getattr("writeable").unwrap().extract().unwrap();
                        // (An empty array is a fresh numpy.zeros(0), writable but harmless.)
                        prop_assert!(!writeable || data.is_empty());
                    }
                    Err(err) => {
                        prop_assert!(err.is_instance_of::<pyo3::exceptions::PyRuntimeError>(py), "{}", err);
                    }
                }
                // dims() either reads the stored list or raises ValueError.
                if let Err(err) = t.call_method0("dims") {
                    prop_assert!(err.is_instance_of::<pyo3::exceptions::PyValueError>(py), "{}", err);
                }
                Ok(())
            })?;
        }
    }
}
