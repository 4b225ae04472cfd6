//! The audio side of the Python API through real pipelines: `AudioFrame.data()`
//! and `audio_info()`, and audio events (`AudioEvent`) written by one callback
//! and read by a later one and by the Rust model.

mod common;

use std::sync::{Arc, Mutex};

use common::{callback, module_key, records, run};
use gst::prelude::*;
use gvarust_meta::AudioEventMeta;
use serde_json::{json, Value};

/// Two channels of 16-bit samples at 8 kHz, 3 buffers of 100 samples.
const AUDIO: &str = "audiotestsrc num-buffers=3 samplesperbuffer=100 volume=0.5 ! \
                     audio/x-raw,format=S16LE,channels=2,rate=8000,layout=interleaved";

fn first(records: &Value) -> &Value {
    records
        .as_array()
        .and_then(|a| a.first())
        .unwrap_or_else(|| panic!("no records: {records}"))
}

#[test]
fn data_is_a_typed_zero_copy_array_shaped_samples_by_channels() {
    let r = run(&format!(
        "{AUDIO} ! gvarust name=adata module={} ! fakesink name=sink",
        callback("audio_data.py")
    ));
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 3);
    let key = module_key("adata", "audio_data");
    let seen = records(&key);
    let seen = seen.as_array().expect("records");
    assert_eq!(seen.len(), 3);
    for (i, item) in seen.iter().enumerate() {
        assert_eq!(item["class"], "AudioFrame");
        assert_eq!(
            (&item["rate"], &item["channels"], &item["format"]),
            (&json!(8000), &json!(2), &json!("S16LE"))
        );
        assert_eq!(item["shape"], json!([100, 2]));
        assert_eq!(item["dtype"], "int16");
        assert_eq!(
            item["default_writeable"], true,
            "data() maps READ|WRITE in callbacks by default, as VideoFrame.data()"
        );
        assert_eq!(item["writeable"], false, "data(READ) is read-only");
        assert_eq!(item["read_only_write"], "ValueError");
        assert_eq!(item["size_matches"], true);
        assert_eq!(item["channels_equal"], true);
        let max = item["max_abs"].as_i64().unwrap();
        assert!(max > 1000 && max <= 16384, "a half-volume sine: {max}");
        assert_eq!(item["writable_writeable"], true);
        assert_eq!(item["write_seen"], 7, "WRITE arrays write into the buffer");
        assert_eq!(item["audio_info_same"], true);
        assert_eq!(item["audio_info_rate"], 8000);
        assert_eq!(item["audio_info_channels"], 2);
        assert_eq!(item["audio_info_type"], "AudioInfo");
        assert_eq!(
            item["bad_flags"],
            json!(["TypeError", "ValueError", "ValueError"])
        );
        if i > 0 {
            assert_eq!(
                item["info_shared_across_frames"], true,
                "audio_info() is built once per caps"
            );
        }
    }
    let eos = records(&format!("{key}.eos"));
    let eos = first(&eos);
    assert_eq!(eos["kept_frame"], "InvalidatedError");
    assert_eq!(eos["kept_shape"], json!([100, 2]));
    assert_ne!(
        eos["kept_value"], 7,
        "a kept read-only array keeps the samples it was mapped with"
    );
}

#[test]
fn writes_through_data_reach_downstream() {
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "{AUDIO} ! gvarust name=awrite module={} ! fakesink name=sink",
        callback("audio_data.py")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let seen = common::seen_at(&pipeline, "sink", |buffer| {
        let map = buffer.map_readable().unwrap();
        i16::from_le_bytes([map[0], map[1]])
    });
    common::run_pipeline(&pipeline).assert_ok();
    records(&module_key("awrite", "audio_data"));
    assert_eq!(*seen.lock().unwrap(), vec![7, 7, 7]);
}

#[test]
fn unsupported_formats_raise_naming_the_format() {
    let r = run(&format!(
        "audiotestsrc num-buffers=1 ! audio/x-raw,format=S24LE,channels=1,rate=8000 ! \
         gvarust name=a24 module={} function=unsupported ! fakesink name=sink",
        callback("audio_data.py")
    ));
    r.assert_ok();
    let seen = records(&format!("{}.unsupported", module_key("a24", "audio_data")));
    let message = first(&seen).as_str().unwrap().to_string();
    assert!(message.contains("S24LE"), "{message}");
}

#[test]
fn other_sample_formats_get_their_dtype() {
    for (format, dtype) in [
        ("F32LE", "float32"),
        ("S32LE", "int32"),
        ("U8", "uint8"),
        ("F64LE", "float64"),
    ] {
        let r = run(&format!(
            "audiotestsrc num-buffers=1 samplesperbuffer=64 ! \
             audio/x-raw,format={format},channels=3,rate=8000 ! \
             gvarust name=afmt module={} function=float_planar ! fakesink name=sink",
            callback("audio_data.py")
        ));
        r.assert_ok();
        let seen = records(&format!("{}.planar", module_key("afmt", "audio_data")));
        let item = first(&seen);
        assert_eq!(item["shape"], json!([64, 3]), "{format}");
        assert_eq!(item["dtype"], dtype, "{format}");
        assert_eq!(item["format"], format);
    }
}

#[test]
fn non_interleaved_audio_is_channels_by_samples() {
    let r = run(&format!(
        "audiotestsrc num-buffers=1 samplesperbuffer=50 ! \
         audio/x-raw,format=F32LE,channels=2,rate=8000 ! audioconvert ! \
         audio/x-raw,format=F32LE,channels=2,rate=8000,layout=non-interleaved ! \
         gvarust name=aplanar module={} function=float_planar ! fakesink name=sink",
        callback("audio_data.py")
    ));
    r.assert_ok();
    let seen = records(&format!("{}.planar", module_key("aplanar", "audio_data")));
    let item = first(&seen);
    assert_eq!(item["shape"], json!([2, 50]));
    assert_eq!(item["dtype"], "float32");
}

#[test]
fn events_are_added_read_removed_and_invalidated() {
    let events = Arc::new(Mutex::new(Vec::new()));
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "{AUDIO} ! gvarust name=aev module={cb} ! \
         gvarust name=aread module={cb} function=reader ! fakesink name=sink",
        cb = callback("audio_events.py")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let store = events.clone();
    pipeline
        .by_name("sink")
        .unwrap()
        .static_pad("sink")
        .unwrap()
        .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(buffer) = info.buffer() {
                for meta in gvarust_meta::frame::audio_events(buffer) {
                    let meta: &AudioEventMeta = &meta;
                    store.lock().unwrap().push((
                        meta.event_type().unwrap_or("").to_string(),
                        meta.id(),
                        meta.end_timestamp() - meta.start_timestamp(),
                        meta.confidence(),
                        meta.label_id(),
                        meta.params()
                            .map(|p| p.name().to_string())
                            .collect::<Vec<_>>(),
                    ));
                }
            }
            gst::PadProbeReturn::Ok
        });
    common::run_pipeline(&pipeline).assert_ok();

    let key = module_key("aev", "audio_events");
    let seen = records(&key);
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 3);
    let item = &seen[0];
    assert_eq!(item["isinstance"], true);
    assert_eq!(item["labels"], json!(["Speech", "Dog"]));
    assert_eq!(item["same"], true);
    assert_eq!(item["segment_ok"], true);
    assert_eq!(item["confidence"], json!([0.75, 0.0]));
    assert_eq!(item["label_id"], json!([3, null]));
    assert_eq!(item["event_id"], 0);
    assert_eq!(item["detection"]["name"], "detection");
    assert_eq!(item["detection"]["is_detection"], true);
    assert_eq!(item["tensors"], json!(["detection", "text", "copy"]));
    assert_eq!(item["copied_n"], 1);
    assert_eq!(item["tensor_types"], true);
    assert_eq!(item["meta"], json!([42, true, true, true, 42]));
    assert_eq!(item["repr"], true);
    assert_eq!(
        item["errors"],
        json!(["RuntimeError", "TypeError", "RuntimeError", "ValueError"]),
        "removing twice / removing a non-event / using a removed event / end before start"
    );
    assert_eq!(item["after_remove"], json!(["Speech"]));
    assert_eq!(item["valid"], json!([true, false]));

    let eos = records(&format!("{key}.eos"));
    let eos = first(&eos);
    assert_eq!(eos[0], "InvalidatedError");
    assert_eq!(eos[1], "InvalidatedError");
    assert_eq!(eos[2], "<gvarust.AudioEvent (invalidated)>");

    // The downstream callback reads the same events.
    let read = records(&format!("{}.reader", module_key("aread", "audio_events")));
    let read = read.as_array().unwrap();
    assert_eq!(read.len(), 3);
    for frame in read {
        let frame = frame.as_array().unwrap();
        assert_eq!(frame.len(), 1);
        assert_eq!(frame[0]["label"], "Speech");
        assert_eq!(frame[0]["confidence"], 0.75);
        assert_eq!(frame[0]["id"], 42);
        assert_eq!(frame[0]["tensors"], json!(["detection", "text", "copy"]));
        let segment = frame[0]["segment"].as_array().unwrap();
        let (start, end) = (segment[0].as_u64().unwrap(), segment[1].as_u64().unwrap());
        // 100 samples at 8 kHz = 12.5 ms, plus the 5 ns the callback added.
        assert_eq!(end - start, 12_500_000 + 5);
    }

    // And the Rust model sees them at the sink.
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 3);
    for (label, id, span, confidence, label_id, params) in events.iter() {
        assert_eq!(label, "Speech");
        assert_eq!(*id, 42);
        assert_eq!(*span, 12_500_005);
        assert_eq!(*confidence, Some(0.75));
        assert_eq!(*label_id, Some(3));
        assert_eq!(params, &["detection", "text", "copy"]);
    }
}

#[test]
fn data_works_as_a_plain_array_and_as_a_context_manager() {
    let r = run(&format!(
        "{AUDIO} ! gvarust name=astyles module={module} function=styles \
         ! gvarust name=acheck module={module} function=check ! fakesink name=sink",
        module = callback("audio_styles.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("astyles", "audio_styles"));
    let item = first(&seen);
    assert_eq!(item["classic_is_ndarray"], true);
    assert_eq!(
        item["classic_mean_type"], "float64",
        "results are plain numpy values"
    );
    assert_eq!(item["classic_product_type"], "ndarray");
    assert_eq!(item["classic_writeable"], true);
    assert_eq!(item["with_same_shape"], true);
    assert_eq!(item["with_writeable"], true);
    assert_eq!(
        item["after_block_writeable"], false,
        "read-only after the block"
    );
    assert_eq!(item["after_block_write"], "ValueError");
    let checked = records(&format!("{}.check", module_key("acheck", "audio_styles")));
    let checked = first(&checked);
    assert_eq!(
        checked["first"],
        json!([5, 3]),
        "writes of both styles reach downstream"
    );
}
