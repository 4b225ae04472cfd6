//! Property-based tests: tensor structures of arbitrary (also malformed) shape
//! through the model's conversions, and the numpy view of tensor data, never
//! panic and never return a value that disagrees with what was stored.

use gst::glib;
use gvarust_meta::tensor::check_size;
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
        any::<i64>().prop_map(Field::Int64),
        any::<u32>().prop_map(Field::UInt),
        any::<f64>().prop_map(Field::Double),
        "[a-z0-9 ]{0,8}".prop_map(Field::Str),
        any::<bool>().prop_map(Field::Bool),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Field::Bytes),
        proptest::collection::vec(any::<i32>(), 0..4).prop_map(Field::IntVariant),
        proptest::collection::vec(-3i64..70_000, 0..5).prop_map(Field::Array),
    ]
}

const NAMES: [&str; 10] = [
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
];

fn structure() -> impl Strategy<Value = gst::Structure> {
    proptest::collection::vec((0..NAMES.len(), field()), 0..10).prop_map(|fields| {
        init();
        let mut s = gst::Structure::new_empty("tensor");
        for (i, f) in fields {
            s.set_value(NAMES[i], f.value());
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every accessor of a tensor view is total over arbitrary structures,
    /// and what it returns agrees with the stored field.
    #[test]
    fn accessors_are_total_and_agree_with_the_fields(s in structure()) {
        let t = Tensor::from_structure(&s);
        let _ = (t.name(), t.layer_name(), t.model_name(), t.format(), t.label());
        let _ = (t.label_id(), t.object_id(), t.confidence(), t.layout(), t.element_id());
        if let Ok(i) = s.get::<i32>("precision") {
            prop_assert_eq!(t.precision().as_i32(), if Precision::from_i32(i) == Precision::Unspecified { 255 } else { i });
        } else if !s.has_field("precision") {
            prop_assert_eq!(t.precision(), Precision::Unspecified);
        }
        match (t.data(), s.get::<glib::Variant>("data_buffer")) {
            (Some(bytes), Ok(v)) => prop_assert_eq!(Some(bytes), v.fixed_array::<u8>().ok()),
            (Some(_), Err(_)) => prop_assert!(false, "data without a variant"),
            (None, Ok(v)) => prop_assert!(v.type_().as_str() != "ay"),
            (None, Err(_)) => {}
        }
        if let Ok(dims) = t.dims() {
            let stored = s.get::<gst::ArrayRef>("dims").map(|a| a.len()).unwrap_or(0);
            prop_assert_eq!(dims.len(), stored);
        }
        // validate() is consistent with check_size on what the accessors read.
        if let (Some(data), Ok(dims)) = (t.data(), t.dims()) {
            prop_assert_eq!(t.validate().is_ok(), check_size(data.len(), t.precision(), &dims).is_ok());
        }
    }

    /// set_data accepts exactly the sizes check_size accepts, and reads back.
    #[test]
    fn set_data_round_trips(
        data in proptest::collection::vec(any::<u8>(), 0..64),
        precision in prop::sample::select(Precision::ALL.to_vec()),
        dims in proptest::collection::vec(0u32..9, 0..4),
    ) {
        init();
        let mut s = gst::Structure::new_empty("raw");
        let t = Tensor::from_structure_mut(&mut s);
        let expected_ok = check_size(data.len(), precision, &dims).is_ok();
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

    /// Clipping keeps every region inside the frame.
    #[test]
    fn clipped_regions_are_inside_the_frame(
        x in -5000i64..5000, y in -5000i64..5000, w in -100i64..9000, h in -100i64..9000,
        width in 1u32..4000, height in 1u32..4000,
    ) {
        let (rect, clipped) = gvarust_meta::region::clip_rect(x, y, w, h, width, height);
        prop_assert!(rect.x + rect.w <= width && rect.y + rect.h <= height, "{:?}", rect);
        prop_assert_eq!(
            clipped,
            !gvarust_meta::region::is_inside(x, y, w, h, width, height)
        );
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
