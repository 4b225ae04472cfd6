//! `transfer`: every kind of metadata and field type survives encode -> replace, and bytes
//! that are cut short, corrupt or random give errors, never panics or partial changes.

use std::ffi::CString;

use glib::prelude::*;
use gvarust_meta::region::{self, Rect};
use gvarust_meta::transfer::{self, TransferError};
use gvarust_meta::{frame, AudioEventMeta, JsonMeta, TensorMeta};
use proptest::prelude::*;

fn init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| gst::init().expect("GStreamer initialization failed"));
}

/// A structure with a field of every type the encoding knows.
fn every_field_type() -> gst::Structure {
    let nested = gst::Structure::builder("model")
        .field("name", "age-gender")
        .field(
            "inner",
            gst::Structure::builder("deep").field("k", 1i32).build(),
        )
        .build();
    gst::Structure::builder("age")
        .field("flag", true)
        .field("i32", -5i32)
        .field("u32", 7u32)
        .field("i64", -(1i64 << 40))
        .field("u64", u64::MAX)
        .field("f32", 0.25f32)
        .field("f64", 0.125f64)
        .field("label", "adult")
        .field("dims", gst::Array::new([1u32, 3, 224, 224]))
        .field("mixed", gst::List::new([1i32, 2, 3]))
        .field("model", nested)
        .field(
            "data_buffer",
            glib::Variant::array_from_fixed_array(&[1u8, 2, 3, 255]),
        )
        .field("rate", gst::Fraction::new(30000, 1001))
        .field(
            "caps",
            gst::Caps::builder("video/x-raw")
                .field("width", 64i32)
                .build(),
        )
        .build()
}

/// A buffer with two regions (params of every type, a tracking id, a parent), two tensor
/// metas, two messages (one without a message) and an audio event.
fn full_buffer() -> gst::Buffer {
    let mut buffer = gst::Buffer::new();
    let b = buffer.get_mut().unwrap();
    let mut car = frame::add_region(b, "car", Rect::new(1, 2, 30, 40), (100, 100), 0.75, Some(3));
    region::add_param(&mut car, every_field_type());
    region::set_object_id(&mut car, 42);
    let car_id = car.id();
    let mut wheel = frame::add_region(b, "wheel", Rect::new(5, 6, 7, 8), (100, 100), 0.5, None);
    region::set_parent_id(&mut wheel, car_id);
    TensorMeta::add_with_structure(b, every_field_type()).unwrap();
    TensorMeta::add_with_structure(b, gst::Structure::new_empty("scene")).unwrap();
    JsonMeta::add(b, r#"{"event": "entered"}"#).unwrap();
    JsonMeta::add_raw_message(b, None).unwrap();
    let mut event = AudioEventMeta::add(b, "speech", 10, 20).unwrap();
    event.set_id(9);
    event.add_param(
        gst::Structure::builder("detection")
            .field("confidence", 0.9f64)
            .build(),
    );
    buffer
}

#[test]
fn every_kind_of_metadata_and_field_type_round_trips() {
    init();
    let source = full_buffer();
    let bytes = transfer::encode(&source).unwrap();
    let mut target = gst::Buffer::new();
    transfer::replace(target.get_mut().unwrap(), &bytes).unwrap();
    // The same encoding back: every value, type, name and order survived.
    assert_eq!(transfer::encode(&target).unwrap(), bytes);
    // And through the model API, for the fields that matter to readers.
    let regions = frame::regions(&target);
    assert_eq!(regions.len(), 2);
    assert_eq!(region::label(&regions[0]), "car");
    assert_eq!(region::rect(&regions[0]), Rect::new(1, 2, 30, 40));
    assert_eq!(region::confidence(&regions[0]), Some(0.75));
    assert_eq!(region::label_id(&regions[0]), Some(3));
    assert_eq!(region::object_id(&regions[0]), Some(42));
    assert_eq!(region::parent_id(&regions[1]), regions[0].id());
    // (GStreamer cannot compare GVariant fields, so the structures are checked field by field
    // here; the equal encodings above cover every field.)
    let age = region::param(&regions[0], "age").unwrap();
    assert_eq!(age.get::<&str>("label").unwrap(), "adult");
    assert_eq!(age.get::<u64>("u64").unwrap(), u64::MAX);
    assert_eq!(age.get::<gst::Array>("dims").unwrap().len(), 4);
    assert_eq!(
        age.get::<gst::Fraction>("rate").unwrap(),
        gst::Fraction::new(30000, 1001)
    );
    assert_eq!(
        age.get::<gst::Caps>("caps").unwrap().to_string(),
        "video/x-raw, width=(int)64"
    );
    let model = age.get::<gst::Structure>("model").unwrap();
    assert_eq!(
        model
            .get::<gst::Structure>("inner")
            .unwrap()
            .get::<i32>("k")
            .unwrap(),
        1
    );
    let data: glib::Variant = age.get("data_buffer").unwrap();
    assert_eq!(data.fixed_array::<u8>().unwrap(), &[1, 2, 3, 255]);
    let tensors = frame::tensors(&target);
    assert_eq!(
        tensors[0].structure().get::<i64>("i64").unwrap(),
        -(1i64 << 40)
    );
    assert_eq!(tensors[1].structure().name(), "scene");
    let messages = frame::messages(&target);
    assert_eq!(messages[0].message().unwrap(), r#"{"event": "entered"}"#);
    assert!(messages[1].message_bytes().is_none());
    let events = frame::audio_events(&target);
    assert_eq!(events[0].event_type(), Some("speech"));
    assert_eq!(
        (
            events[0].start_timestamp(),
            events[0].end_timestamp(),
            events[0].id()
        ),
        (10, 20, 9)
    );
    assert_eq!(events[0].confidence(), Some(0.9));
}

#[test]
fn replace_takes_the_place_of_what_was_there() {
    init();
    let mut target = full_buffer();
    let mut empty = gst::Buffer::new();
    let b = empty.get_mut().unwrap();
    frame::add_region(b, "only", Rect::new(0, 0, 1, 1), (10, 10), 0.1, None);
    let bytes = transfer::encode(&empty).unwrap();
    transfer::replace(target.get_mut().unwrap(), &bytes).unwrap();
    let labels: Vec<_> = frame::regions(&target)
        .iter()
        .map(|r| region::label(r))
        .collect();
    assert_eq!(labels, ["only"]);
    assert!(frame::tensors(&target).is_empty());
    assert!(frame::messages(&target).is_empty());
    assert!(frame::audio_events(&target).is_empty());
    // Other metas are not touched.
    let mut with_video_meta = gst::Buffer::with_size(16).unwrap();
    gst_video::VideoMeta::add(
        with_video_meta.get_mut().unwrap(),
        gst_video::VideoFrameFlags::empty(),
        gst_video::VideoFormat::Gray8,
        4,
        4,
    )
    .unwrap();
    transfer::replace(with_video_meta.get_mut().unwrap(), &bytes).unwrap();
    assert!(with_video_meta.meta::<gst_video::VideoMeta>().is_some());
}

#[test]
fn labels_and_strings_that_are_not_utf8_keep_their_bytes() {
    init();
    let mut source = gst::Buffer::new();
    let b = source.get_mut().unwrap();
    let odd = CString::new(b"\xff\xfeodd".to_vec()).unwrap();
    // SAFETY: a NUL-terminated string; g_quark_from_string copies it.
    let quark = unsafe { glib::ffi::g_quark_from_string(odd.as_ptr()) };
    let mut roi = frame::add_region(b, "x", Rect::new(1, 1, 2, 2), (10, 10), 0.5, None);
    let raw =
        &mut *roi as *mut region::RoiMeta as *mut gst_video::ffi::GstVideoRegionOfInterestMeta;
    // SAFETY: the meta is live and held exclusively; this sets its label quark.
    unsafe { (*raw).roi_type = quark };
    JsonMeta::add_raw_message(b, Some(&odd)).unwrap();
    let bytes = transfer::encode(&source).unwrap();
    let mut target = gst::Buffer::new();
    transfer::replace(target.get_mut().unwrap(), &bytes).unwrap();
    assert_eq!(region::label_quark(&frame::regions(&target)[0]), quark);
    assert_eq!(
        frame::messages(&target)[0].message_bytes().unwrap(),
        b"\xff\xfeodd"
    );
}

#[test]
fn every_cut_short_encoding_is_an_error_and_changes_nothing() {
    init();
    let bytes = transfer::encode(&full_buffer()).unwrap();
    let mut target = gst::Buffer::new();
    let b = target.get_mut().unwrap();
    JsonMeta::add(b, "keep me").unwrap();
    for end in 0..bytes.len() {
        let result = transfer::replace(target.get_mut().unwrap(), &bytes[..end]);
        assert!(result.is_err(), "a prefix of {end} bytes decoded");
        assert_eq!(frame::message_strings(&target), ["keep me"]);
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        transfer::replace(target.get_mut().unwrap(), &longer),
        Err(TransferError::Invalid(_))
    ));
}

#[test]
fn nesting_beyond_the_limit_is_refused() {
    init();
    let mut value = gst::Array::new([1i32]).to_send_value();
    for _ in 0..40 {
        value = gst::Array::from_values([value]).to_send_value();
    }
    let mut deep = gst::Structure::new_empty("deep");
    deep.set_value("v", value);
    let mut buffer = gst::Buffer::new();
    TensorMeta::add_with_structure(buffer.get_mut().unwrap(), deep).unwrap();
    assert!(matches!(
        transfer::encode(&buffer),
        Err(TransferError::Unsupported(_))
    ));
}

#[test]
fn arrays_and_lists_with_items_of_two_types_are_refused() {
    init();
    for (tag, value) in [
        (8u8, gst::Array::new([1i32, 2i32]).to_send_value()),
        (9u8, gst::List::new([1i32, 2i32]).to_send_value()),
    ] {
        let mut s = gst::Structure::new_empty("mixed");
        s.set_value("v", value);
        let mut buffer = gst::Buffer::new();
        TensorMeta::add_with_structure(buffer.get_mut().unwrap(), s).unwrap();
        let mut bytes = transfer::encode(&buffer).unwrap();
        // The items as encoded: tag, count 2, then I32 (tag 1) 1 and I32 2.
        let items = [tag, 2, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 0, 0, 0];
        let at = bytes
            .windows(items.len())
            .position(|w| w == items)
            .expect("the array's items in the encoding");
        // The second item becomes a U32 (tag 2) of the same bytes.
        bytes[at + 10] = 2;
        let mut target = gst::Buffer::new();
        let err = transfer::replace(target.get_mut().unwrap(), &bytes).unwrap_err();
        assert!(
            err.to_string()
                .contains("an array or list with items of types gint and guint"),
            "{err}"
        );
        // Nothing was added.
        assert_eq!(
            transfer::encode(&target).unwrap(),
            transfer::encode(&gst::Buffer::new()).unwrap()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..200)) {
        init();
        let mut bytes = b"GVAT\x01".to_vec();
        bytes.extend(tail);
        let mut target = gst::Buffer::new();
        let _ = transfer::replace(target.get_mut().unwrap(), &bytes);
    }

    #[test]
    fn single_byte_corruptions_never_panic(at in 0usize..10_000, byte in any::<u8>()) {
        init();
        let mut bytes = transfer::encode(&full_buffer()).unwrap();
        let at = at % bytes.len();
        bytes[at] = byte;
        let mut target = gst::Buffer::new();
        let _ = transfer::replace(target.get_mut().unwrap(), &bytes);
    }
}

#[cfg(feature = "analytics")]
mod analytics {
    use super::*;
    use gst_analytics::prelude::*;
    use gst_analytics::{AnalyticsRelationMeta, RelTypes};
    use gvarust_meta::analytics::{self as mirror, MetadataMode};

    #[test]
    fn records_and_relations_travel_with_their_ids() {
        init();
        let mut source = gst::Buffer::new();
        let b = source.get_mut().unwrap();
        // Regions mirrored as DL Streamer 2025.2 does, plus a producer's own records.
        let roi = frame::add_region(b, "car", Rect::new(1, 2, 30, 40), (100, 100), 0.75, None);
        let seqnum = frame::meta_seqnum(&*roi);
        mirror::region_added(b, seqnum, MetadataMode::Both).unwrap();
        let color = gst::Structure::builder("color")
            .field("label", "red")
            .field("confidence", 0.5f64)
            .build();
        mirror::tensor_added(b, seqnum, &color, MetadataMode::Both).unwrap();
        mirror::object_id_set(b, seqnum, 7, MetadataMode::Both).unwrap();
        {
            let mut meta = b.meta_mut::<AnalyticsRelationMeta>().unwrap();
            let person = meta
                .add_od_mtd(glib::Quark::from_str("person"), -5, 0, 10, 10, 0.25)
                .unwrap()
                .id();
            let face = meta
                .add_od_mtd(glib::Quark::from_str("face"), 1, 1, 3, 3, 0.5)
                .unwrap()
                .id();
            meta.set_relation(RelTypes::IS_PART_OF, face, person)
                .unwrap();
        }
        RECORDS.with(|bytes| *bytes.borrow_mut() = transfer::encode(&source).unwrap());
        let before = mirror::snapshot(&source).unwrap().unwrap();
        assert_eq!(before.records.len(), 5);
        let bytes = transfer::encode(&source).unwrap();
        let mut target = gst::Buffer::new();
        transfer::replace(target.get_mut().unwrap(), &bytes).unwrap();
        assert_eq!(mirror::snapshot(&target).unwrap().unwrap(), before);
        assert_eq!(transfer::encode(&target).unwrap(), bytes);
        // The region still mirrors its record (same id), so it reads its tracking id back.
        let regions = frame::regions(&target);
        let od = mirror::od_for_region(&target, &regions[0]).unwrap();
        assert_eq!(mirror::tracking_id(&target, od.id), Some(7));
    }

    thread_local! {
        static RECORDS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn corrupted_records_never_panic(at in 0usize..10_000, byte in any::<u8>()) {
            init();
            let mut bytes = RECORDS.with(|b| b.borrow().clone());
            if bytes.is_empty() {
                records_and_relations_travel_with_their_ids();
                bytes = RECORDS.with(|b| b.borrow().clone());
            }
            let at = at % bytes.len();
            bytes[at] = byte;
            let mut target = gst::Buffer::new();
            let _ = transfer::replace(target.get_mut().unwrap(), &bytes);
        }
    }

    #[cfg(feature = "analytics-v1_26")]
    #[test]
    fn record_types_that_cannot_be_copied_are_named() {
        init();
        let mut source = gst::Buffer::new();
        let mut mask = gst::Buffer::with_size(16).unwrap();
        gst_video::VideoMeta::add(
            mask.get_mut().unwrap(),
            gst_video::VideoFrameFlags::empty(),
            gst_video::VideoFormat::Gray8,
            4,
            4,
        )
        .unwrap();
        {
            let mut meta = AnalyticsRelationMeta::add(source.get_mut().unwrap());
            let mut ids = [1u32];
            let mut handle = gst_analytics::ffi::GstAnalyticsSegmentationMtd {
                id: 0,
                meta: std::ptr::null_mut(),
            };
            // SAFETY: the relation meta is live and held mutably; the call takes its own
            // reference to `mask` and copies the region ids.
            let added = unsafe {
                gst_analytics::ffi::gst_analytics_relation_meta_add_segmentation_mtd(
                    meta.as_mut_ptr(),
                    glib::translate::ToGlibPtr::to_glib_none(&mask).0,
                    gst_analytics::ffi::GST_SEGMENTATION_TYPE_SEMANTIC,
                    1,
                    ids.as_mut_ptr(),
                    0,
                    0,
                    4,
                    4,
                    &mut handle,
                )
            };
            assert_ne!(added, 0);
        }
        match transfer::encode(&source) {
            Err(TransferError::Unsupported(what)) => {
                assert!(what.contains("segmentation"), "{what}")
            }
            other => panic!("expected an error naming the record type, got {other:?}"),
        }
    }
}
