//! `VideoFrame.data()` / `planes()` through real pipelines: shapes, strides and
//! pixel values (checked against what GStreamer's own `GstVideoFrame` mapping
//! reads at the sink), writes reaching downstream, and the lifetime rules.

mod common;

use std::sync::{Arc, Mutex};

use common::{callback, module_key, records};
use gst::prelude::*;
use gst_video::prelude::*;
use serde_json::Value;

/// Per buffer, per plane: the plane's pixel rows without padding, as GStreamer maps them.
type SinkPlanes = Arc<Mutex<Vec<Vec<Vec<u8>>>>>;

/// Runs `description` (which must contain `fakesink name=sink`) and reads every
/// buffer reaching the sink with `gst_video::VideoFrameRef`.
fn run_reading_sink(description: &str) -> (common::Run, Vec<Vec<Vec<u8>>>) {
    common::init();
    let pipeline = gst::parse::launch(description)
        .unwrap_or_else(|e| panic!("cannot parse '{description}': {e}"))
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
    let seen: SinkPlanes = Arc::default();
    let sink = pipeline.by_name("sink").expect("an element named sink");
    let pad = sink.static_pad("sink").expect("sink pad");
    let store = seen.clone();
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let (Some(buffer), Some(caps)) = (info.buffer(), pad.current_caps()) else {
            return gst::PadProbeReturn::Ok;
        };
        let info = gst_video::VideoInfo::from_caps(&caps).expect("raw video caps at the sink");
        let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
            .expect("GStreamer maps the frame");
        let finfo = info.format_info();
        let mut planes = Vec::new();
        for p in 0..frame.n_planes() {
            let data = frame.plane_data(p).expect("plane data");
            let stride = frame.plane_stride()[p as usize] as usize;
            let c = (0..finfo.n_components() as usize)
                .find(|&c| finfo.plane()[c] == p)
                .expect("a component in the plane");
            let row_bytes = finfo.scale_width(c as u8, info.width()) as usize
                * finfo.pixel_stride()[c] as usize;
            let mut bytes = Vec::new();
            for row in 0..frame.plane_height(p) as usize {
                bytes.extend_from_slice(&data[row * stride..row * stride + row_bytes]);
            }
            planes.push(bytes);
        }
        store.lock().unwrap().push(planes);
        gst::PadProbeReturn::Ok
    });
    let run = common::run_pipeline(&pipeline);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    (run, seen)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn ints(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_i64().expect("an int"))
        .collect()
}

/// Runs `describe` of `pixels_read.py` on `caps` with `pattern`; returns the
/// records and what the sink saw.
fn describe(element: &str, pattern: &str, caps: &str) -> (Vec<Value>, Vec<Vec<Vec<u8>>>) {
    let (run, sink) = run_reading_sink(&format!(
        "videotestsrc {pattern} num-buffers=2 ! {caps} ! gvarust name={element} module={} \
         function=describe ! fakesink name=sink",
        callback("pixels_read.py")
    ));
    run.assert_ok();
    let seen = records(&module_key(element, "pixels_read"));
    let seen = seen.as_array().expect("records").clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(sink.len(), 2);
    (seen, sink)
}

/// The data() array and every plane read what GStreamer reads, buffer by buffer.
fn assert_matches_sink(seen: &[Value], sink: &[Vec<Vec<u8>>]) {
    assert_eq!(seen.len(), sink.len(), "one sink buffer per callback call");
    for (item, planes) in seen.iter().zip(sink) {
        let all: Vec<u8> = planes.concat();
        assert_eq!(
            item["hex"].as_str().unwrap(),
            hex(&all),
            "data() bytes differ from the frame at the sink ({})",
            item["format"]
        );
        let described = item["planes"].as_array().unwrap();
        assert_eq!(described.len(), planes.len());
        for (p, (d, bytes)) in described.iter().zip(planes).enumerate() {
            assert_eq!(d["hex"].as_str().unwrap(), hex(bytes), "plane {p}");
            assert_eq!(d["writeable"], false, "planes(READ) is read-only");
        }
    }
}

const SOLID: &str = "pattern=solid-color foreground-color=0xff112233";

#[test]
fn packed_rgb_family_has_channels_in_format_order() {
    // (format, bytes per pixel, the pixel ARGB 0xff112233 in memory order; None = padding byte)
    let formats: [(&str, usize, [Option<u8>; 4]); 10] = [
        ("RGB", 3, [Some(0x11), Some(0x22), Some(0x33), None]),
        ("BGR", 3, [Some(0x33), Some(0x22), Some(0x11), None]),
        ("RGBx", 4, [Some(0x11), Some(0x22), Some(0x33), None]),
        ("BGRx", 4, [Some(0x33), Some(0x22), Some(0x11), None]),
        ("xRGB", 4, [None, Some(0x11), Some(0x22), Some(0x33)]),
        ("xBGR", 4, [None, Some(0x33), Some(0x22), Some(0x11)]),
        ("RGBA", 4, [Some(0x11), Some(0x22), Some(0x33), Some(0xff)]),
        ("BGRA", 4, [Some(0x33), Some(0x22), Some(0x11), Some(0xff)]),
        ("ARGB", 4, [Some(0xff), Some(0x11), Some(0x22), Some(0x33)]),
        ("ABGR", 4, [Some(0xff), Some(0x33), Some(0x22), Some(0x11)]),
    ];
    for (format, bpp, pixel) in formats {
        // Width 10: RGB/BGR rows of 30 bytes are padded to 32.
        let element = format!("packed_{format}");
        let (seen, sink) = describe(
            &element,
            SOLID,
            &format!("video/x-raw,format={format},width=10,height=6"),
        );
        let stride = (10 * bpp).div_ceil(4) * 4;
        for item in &seen {
            assert_eq!(item["format"], format);
            assert_eq!(ints(&item["shape"]), [6, 10, bpp as i64], "{format}");
            assert_eq!(
                ints(&item["strides"]),
                [stride as i64, bpp as i64, 1],
                "{format}"
            );
            assert_eq!(item["dtype"], "uint8");
            assert_eq!(
                item["writeable"], true,
                "default flags map READ|WRITE in callbacks"
            );
            assert_eq!(
                item["base"], "ndarray/PixelMapping",
                "zero-copy: a view of an array over the mapping"
            );
            assert_eq!(item["warnings"], serde_json::json!([]));
            // After the block the (writable) array is emptied and read-only.
            assert_eq!(ints(&item["after"]["shape"]), [0, 10, bpp as i64]);
            assert_eq!(item["after"]["writeable"], false);
            let bytes = unhex(item["hex"].as_str().unwrap());
            assert_eq!(bytes.len(), 6 * 10 * bpp);
            for px in bytes.chunks(bpp) {
                for (i, expected) in pixel.iter().take(bpp).enumerate() {
                    if let Some(expected) = expected {
                        assert_eq!(px[i], *expected, "{format} byte {i} of {px:?}");
                    }
                }
            }
        }
        assert_matches_sink(&seen, &sink);
    }
}

#[test]
fn gray_formats_honour_padded_strides() {
    let (seen, sink) = describe(
        "gray8",
        "pattern=white",
        "video/x-raw,format=GRAY8,width=10,height=6",
    );
    for item in &seen {
        assert_eq!(ints(&item["shape"]), [6, 10, 1]);
        assert_eq!(ints(&item["strides"]), [12, 1, 1], "rows padded to 4 bytes");
        assert_eq!(item["dtype"], "uint8");
        assert_eq!(
            item["hex"].as_str().unwrap(),
            "eb".repeat(60),
            "videotestsrc white is 235 in GRAY8"
        );
        assert_eq!(item["row_equal"], serde_json::json!([[235], [235]]));
        assert_eq!(ints(&item["planes"][0]["shape"]), [6, 10]);
        assert_eq!(ints(&item["planes"][0]["strides"]), [12, 1]);
    }
    assert_matches_sink(&seen, &sink);

    let (seen, sink) = describe(
        "gray8_snow",
        "pattern=snow",
        "video/x-raw,format=GRAY8,width=10,height=6",
    );
    assert_ne!(
        seen[0]["hex"], seen[1]["hex"],
        "snow differs between frames"
    );
    assert_matches_sink(&seen, &sink);

    let (seen, sink) = describe(
        "gray16",
        "pattern=snow",
        "video/x-raw,format=GRAY16_LE,width=10,height=6",
    );
    for item in &seen {
        assert_eq!(ints(&item["shape"]), [6, 10, 1]);
        assert_eq!(ints(&item["strides"]), [20, 2, 2]);
        assert_eq!(item["dtype"], "uint16");
    }
    assert_matches_sink(&seen, &sink);

    let (seen, _) = describe(
        "gray16_white",
        "pattern=white",
        "video/x-raw,format=GRAY16_LE,width=10,height=6",
    );
    assert_eq!(
        seen[0]["row_equal"],
        serde_json::json!([[0xebeb], [0xebeb]]),
        "videotestsrc white is 0xebeb in GRAY16"
    );
}

#[test]
fn packed_yuv_is_h_w_2() {
    for format in ["YUY2", "UYVY"] {
        let (seen, sink) = describe(
            &format!("packed_{format}"),
            "pattern=snow",
            &format!("video/x-raw,format={format},width=10,height=6"),
        );
        for item in &seen {
            assert_eq!(ints(&item["shape"]), [6, 10, 2], "{format}");
            assert_eq!(ints(&item["strides"]), [20, 2, 1], "{format}");
            assert_eq!(item["dtype"], "uint8");
            assert_eq!(ints(&item["planes"][0]["shape"]), [6, 20]);
        }
        assert_matches_sink(&seen, &sink);
    }
}

#[test]
fn nv12_is_one_strided_view_even_with_padded_rows() {
    // Width 10: both planes have stride 12, the chroma plane right after the luma.
    let (seen, sink) = describe(
        "nv12_padded",
        "pattern=snow",
        "video/x-raw,format=NV12,width=10,height=6",
    );
    for item in &seen {
        assert_eq!(ints(&item["shape"]), [9, 10, 1]);
        assert_eq!(ints(&item["strides"]), [12, 1, 1]);
        assert_eq!(item["base"], "ndarray/PixelMapping");
        assert_eq!(item["warnings"], serde_json::json!([]));
        let planes = item["planes"].as_array().unwrap();
        assert_eq!(planes.len(), 2);
        assert_eq!(ints(&planes[0]["shape"]), [6, 10]);
        assert_eq!(ints(&planes[1]["shape"]), [3, 10]);
        assert_eq!(ints(&planes[1]["strides"]), [12, 1]);
    }
    assert_matches_sink(&seen, &sink);
}

#[test]
fn i420_is_a_view_when_tightly_packed_and_a_copy_with_a_warning_otherwise() {
    let (seen, sink) = describe(
        "i420_tight",
        "pattern=snow",
        "video/x-raw,format=I420,width=16,height=8",
    );
    for item in &seen {
        assert_eq!(ints(&item["shape"]), [12, 16, 1]);
        assert_eq!(ints(&item["strides"]), [16, 1, 1]);
        assert_eq!(item["base"], "ndarray/PixelMapping");
        assert_eq!(item["warnings"], serde_json::json!([]));
        let shapes: Vec<Vec<i64>> = item["planes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| ints(&p["shape"]))
            .collect();
        assert_eq!(shapes, [vec![8, 16], vec![4, 8], vec![4, 8]]);
    }
    assert_matches_sink(&seen, &sink);

    // Width 20: luma stride 20 but chroma stride 12 (10 rounded up to 4): a copy.
    let (seen, sink) = describe(
        "i420_padded",
        "pattern=snow",
        "video/x-raw,format=I420,width=20,height=6",
    );
    for item in &seen {
        assert_eq!(ints(&item["shape"]), [9, 20, 1]);
        assert_eq!(item["base"], "ndarray/NoneType", "a copy owns its data");
        let warnings = item["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .as_str()
                .unwrap()
                .starts_with("UserWarning: VideoFrame.data(): the planes of this I420 frame"),
            "{warnings:?}"
        );
        assert_eq!(ints(&item["planes"][1]["strides"]), [12, 1]);
        assert_eq!(ints(&item["planes"][1]["shape"]), [3, 10]);
    }
    assert_matches_sink(&seen, &sink);
}

#[test]
fn writes_reach_the_buffer_pushed_downstream() {
    // RGB at width 10 (padded rows), BGRx, GRAY8, NV12 (view) and I420 width 20 (copy, written back).
    for (name, caps) in [
        ("w_rgb", "video/x-raw,format=RGB,width=10,height=6"),
        ("w_bgrx", "video/x-raw,format=BGRx,width=16,height=8"),
        ("w_gray", "video/x-raw,format=GRAY8,width=10,height=6"),
        ("w_nv12", "video/x-raw,format=NV12,width=10,height=6"),
        ("w_i420", "video/x-raw,format=I420,width=20,height=6"),
    ] {
        let module = callback("pixels_write.py");
        let (run, sink) = run_reading_sink(&format!(
            "videotestsrc pattern=black num-buffers=2 ! {caps} \
             ! gvarust name={name}_paint module={module} function=paint \
             ! gvarust name={name}_check module={module} function=check ! fakesink name=sink"
        ));
        run.assert_ok();
        let painted = records(&module_key(&format!("{name}_paint"), "pixels_write"));
        let painted = painted.as_array().unwrap();
        assert_eq!(painted.len(), 2);
        assert_eq!(painted[0]["writeable"], true, "{name}");
        assert_eq!(painted[0]["after"]["writeable"], false, "{name}");
        // A view is emptied after the block; a copy (I420 here) stays, read-only.
        let rows_after = if name == "w_i420" { 9 } else { 0 };
        assert_eq!(
            ints(&painted[0]["after"]["shape"])[0],
            rows_after,
            "{name}: after the block"
        );

        let checked = records(&module_key(&format!("{name}_check"), "pixels_write"));
        let checked = checked.as_array().unwrap();
        assert_eq!(checked.len(), 2);
        assert_eq!(sink.len(), 2, "{name}: every buffer reaches the sink");
        for (item, planes) in checked.iter().zip(&sink) {
            let values = item["values"].as_array().unwrap();
            let channels = ints(&values[0]).len();
            assert_eq!(ints(&values[0]), vec![7; channels], "{name}");
            assert_eq!(ints(&values[1]), vec![9; channels], "{name}");
            assert_eq!(ints(&values[2]), vec![200; channels], "{name}");
            // The downstream element and GStreamer's own mapping agree byte for byte.
            assert_eq!(
                item["hex"].as_str().unwrap(),
                hex(&planes.concat()),
                "{name}"
            );
        }
        // Row 1, first and last pixel of an RGB frame with padded rows.
        if name == "w_rgb" {
            let plane = &sink[0][0];
            assert_eq!(&plane[30..33], &[7, 7, 7]);
            assert_eq!(&plane[57..60], &[9, 9, 9]);
            assert_eq!(&plane[60..63], &[0, 0, 0], "row 2 untouched");
        }
    }
}

#[test]
fn planes_are_writable_views() {
    let module = callback("pixels_write.py");
    let (run, sink) = run_reading_sink(&format!(
        "videotestsrc pattern=black num-buffers=2 ! video/x-raw,format=I420,width=10,height=6 \
         ! gvarust name=wp_paint module={module} function=paint_planes \
         ! gvarust name=wp_check module={module} function=check ! fakesink name=sink"
    ));
    run.assert_ok();
    let painted = records(&module_key("wp_paint", "pixels_write"));
    assert_eq!(
        painted[0]["after"],
        serde_json::json!([[0, 10], [0, 5], [0, 5]]),
        "emptied after the block"
    );
    let plane_sizes = [(6usize, 10usize), (3, 5), (3, 5)];
    for (p, (rows, width)) in plane_sizes.iter().enumerate() {
        let plane = &sink[0][p];
        assert_eq!(plane.len(), rows * width);
        assert_eq!(plane[0], 42, "plane {p}");
        assert_eq!(plane[rows * width - 1], 43, "plane {p}");
    }
}

#[test]
fn read_mappings_are_read_only_and_flags_accept_ints_and_map_flags() {
    let r = common::run(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,format=BGRx,width=16,height=8 ! gvarust name=ro module={} \
         function=read_only ! fakesink name=sink",
        callback("pixels_read.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("ro", "pixels_read"));
    let item = &seen[0];
    assert_eq!(item["writeable"], false);
    assert_eq!(
        item["write"],
        "ValueError: assignment destination is read-only"
    );
    assert_eq!(
        item["after_block_equal"], true,
        "a READ array stays valid after the block"
    );
    assert_eq!(item["intlike_writeable"], false);
    assert_eq!(item["mapflags_read_writeable"], false, "{item}");
    assert_eq!(item["mapflags_rw_writeable"], true, "{item}");
    assert_eq!(item["rw_writeable"], true);
    assert_eq!(item["w_writeable"], true);
    assert_eq!(item["planes_writeable"], serde_json::json!([false]));
    assert_eq!(item["default_writeable_while_read_view_kept"], true);
}

#[test]
fn bad_flags_raise_precise_errors() {
    let r = common::run(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,format=BGRx,width=16,height=8 ! gvarust name=bf module={} \
         function=bad_flags ! fakesink name=sink",
        callback("pixels_read.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("bf", "pixels_read"));
    let item = &seen[0];
    let expected =
        |v: i64| format!("ValueError: flags={v}: expected READ (1), WRITE (2) or READ|WRITE (3)");
    assert_eq!(item["zero"], expected(0));
    assert_eq!(item["eight"], expected(8));
    assert_eq!(item["negative"], expected(-1));
    assert_eq!(
        item["text"],
        "TypeError: flags must be an int or Gst.MapFlags (READ=1, WRITE=2), not str"
    );
    assert_eq!(item["float"], "accepted", "int(1.5) is 1: READ");
}

#[test]
fn writable_views_kept_past_the_block_raise_buffer_error() {
    let r = common::run(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,format=BGRx,width=16,height=8 ! gvarust name=kw module={} \
         function=keeps ! fakesink name=sink",
        callback("pixels_write.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("kw", "pixels_write"));
    let item = &seen[0];
    let buffer_error =
        "BufferError: a writable pixel array is still referenced when the `with` block ends";
    for case in ["slice", "stored", "plane_slice"] {
        assert!(
            item[case].as_str().unwrap().starts_with(buffer_error),
            "{case}: {}",
            item[case]
        );
    }
    assert_eq!(item["slice_still_readable"], true);
    assert_eq!(item["plain_after"]["shape"], serde_json::json!([0, 16, 4]));
    assert_eq!(item["plain_after"]["writeable"], false);
    assert_eq!(
        item["plain_after"]["base"],
        "<gvarust.PixelMapping (released)>"
    );
    assert_eq!(item["unpacked_after"], serde_json::json!([0, 64]));
    assert_eq!(
        item["exception"], "KeyError: 'inside'",
        "not masked by BufferError"
    );
    assert!(
        item["reenter"]
            .as_str()
            .unwrap()
            .starts_with("RuntimeError: this pixel access was already entered"),
        "{}",
        item["reenter"]
    );
    assert_eq!(
        item["repr"],
        "<gvarust.PixelAccess data() READ|WRITE BGRx 16x8 (done)>"
    );
}

#[test]
fn kept_read_only_views_stay_valid_and_kept_frames_are_invalidated() {
    let r = common::run(&format!(
        "videotestsrc pattern=snow num-buffers=4 ! video/x-raw,format=RGB,width=10,height=6 \
         ! gvarust name=keep module={} ! fakesink name=sink",
        callback("pixels_keep.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("keep", "pixels_keep"));
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 4, "{seen:?}");
    for item in &seen[..3] {
        for name in ["data", "planes"] {
            assert!(
                item[name]
                    .as_str()
                    .unwrap()
                    .starts_with("InvalidatedError: "),
                "{name}: {item}"
            );
        }
    }
    let eos = &seen[3];
    assert_eq!(eos["kept"], 4);
    assert_eq!(eos["equal"], serde_json::json!([true, true, true, true]));
    assert_eq!(eos["distinct"], 4);
    assert_eq!(
        eos["write"],
        "ValueError: assignment destination is read-only"
    );
    assert_eq!(eos["base"], "<gvarust.PixelMapping 192 bytes, read-only>");
}

#[test]
fn unsupported_formats_name_the_format_and_planes_still_work() {
    for (format, planes) in [
        ("v210", vec![vec![6, 128]]),
        ("I420_10LE", vec![vec![6, 20], vec![3, 10], vec![3, 10]]),
    ] {
        let element = format!("unsup_{format}");
        let r = common::run(&format!(
            "videotestsrc num-buffers=1 ! video/x-raw,format={format},width=10,height=6 ! gvarust name={element} \
             module={} function=unsupported ! fakesink name=sink",
            callback("pixels_read.py")
        ));
        r.assert_ok();
        let seen = records(&module_key(&element, "pixels_read"));
        let item = &seen[0];
        let message = item["data"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "RuntimeError: VideoFrame.data() does not support the pixel format {format} "
            )),
            "{message}"
        );
        let shapes: Vec<Vec<i64>> = item["planes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| ints(&p["shape"]))
            .collect();
        assert_eq!(shapes, planes, "{format}");
        assert_eq!(item["planes"][0]["writeable"], true);
    }
}

#[test]
fn frames_without_video_info_raise_runtime_error() {
    let r = common::run(&format!(
        "fakesrc num-buffers=1 sizetype=fixed sizemax=64 filltype=zero ! capsfilter caps=video/x-fake \
         ! gvarust name=noinfo module={} function=no_info ! fakesink name=sink",
        callback("pixels_read.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("noinfo", "pixels_read"));
    let item = &seen[0];
    assert_eq!(item["class"], "VideoFrame");
    let expected = "RuntimeError: this frame has no raw video info (the caps are not raw video), so its pixels cannot be mapped";
    assert_eq!(item["data"], expected);
    assert_eq!(item["planes"], expected);
}

#[test]
fn sixteen_bit_rgb_formats_are_h_w_4_uint16_views() {
    // The solid colour ARGB 0xff112233; videotestsrc widens each 8-bit value v to v * 0x101.
    let (a, r, g, b) = (0xffff_i64, 0x1111, 0x2222, 0x3333);
    for (format, order, little) in [
        ("ARGB64", [a, r, g, b], cfg!(target_endian = "little")),
        ("ARGB64_LE", [a, r, g, b], true),
        ("ARGB64_BE", [a, r, g, b], false),
        ("RGBA64_LE", [r, g, b, a], true),
        ("RGBA64_BE", [r, g, b, a], false),
        ("BGRA64_LE", [b, g, r, a], true),
        ("BGRA64_BE", [b, g, r, a], false),
        ("ABGR64_LE", [a, b, g, r], true),
        ("ABGR64_BE", [a, b, g, r], false),
    ] {
        let name = format.to_lowercase();
        let module = callback("pixels_rgb64.py");
        let (run, sink) = run_reading_sink(&format!(
            "videotestsrc {SOLID} num-buffers=1 ! video/x-raw,format={format},width=5,height=3 \
             ! gvarust name={name}_paint module={module} function=paint \
             ! gvarust name={name}_check module={module} function=check ! fakesink name=sink"
        ));
        run.assert_ok();
        let painted = records(&module_key(&format!("{name}_paint"), "pixels_rgb64"));
        let item = &painted[0];
        assert_eq!(item["format"], format);
        assert_eq!(ints(&item["shape"]), [3, 5, 4], "{format}");
        assert_eq!(
            item["dtype"],
            if little { "<u2" } else { ">u2" },
            "{format}"
        );
        assert_eq!(ints(&item["strides"]), [40, 8, 2], "{format}");
        assert_eq!(item["writeable"], true, "{format}");
        assert_eq!(item["base"], "ndarray/PixelMapping", "{format}: zero-copy");
        assert_eq!(ints(&item["first"]), order, "{format}: channel order");

        let checked = records(&format!(
            "{}.check",
            module_key(&format!("{name}_check"), "pixels_rgb64")
        ));
        let checked = &checked[0];
        assert_eq!(ints(&checked["second_row"]), [1, 2, 0x1234, 0xfffe]);
        assert_eq!(checked["writeable"], false);
        // The bytes GStreamer's own mapping reads downstream, in the format's byte order.
        let row1 = &sink[0][0][40..48];
        let expected: Vec<u8> = [1u16, 2, 0x1234, 0xfffe]
            .iter()
            .flat_map(|v| {
                if little {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                }
            })
            .collect();
        assert_eq!(row1, expected.as_slice(), "{format}");
    }
}

#[test]
fn an_unconstrained_videotestsrc_gives_a_usable_array() {
    let r = common::run(&format!(
        "videotestsrc num-buffers=1 ! gvarust name=plain module={} function=first_look ! fakesink name=sink",
        callback("pixels_rgb64.py")
    ));
    r.assert_ok();
    let seen = records(&format!(
        "{}.first_look",
        module_key("plain", "pixels_rgb64")
    ));
    let item = &seen[0];
    // videotestsrc's first caps: 16-bit RGBA on GStreamer 1.22, 16-bit planar
    // YUV 4:4:4 with alpha from 1.24 on (no interleaved array for it: planes()).
    if gst::version() < (1, 24, 0, 0) {
        assert_eq!(item["format"], "ABGR64_LE", "{item}");
        assert_eq!(ints(&item["shape"]), [240, 320, 4]);
    } else {
        assert_eq!(item["format"], "A444_16LE", "{item}");
        let error = item["data_error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("VideoFrame.data() does not support the pixel format A444_16LE")
                && error.contains("VideoFrame.planes() gives raw access to every plane"),
            "{item}"
        );
    }
    let planes: Vec<Vec<i64>> = item["planes"]
        .as_array()
        .unwrap()
        .iter()
        .map(ints)
        .collect();
    let expected_planes = if gst::version() < (1, 24, 0, 0) { 1 } else { 4 };
    assert_eq!(planes.len(), expected_planes, "{item}");
    assert!(planes.iter().all(|p| p[0] == 240), "{item}");
}

#[test]
fn using_the_context_manager_as_an_array_shows_the_with_form() {
    let r = common::run(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,format=BGRx,width=16,height=8 \
         ! gvarust name=misuse module={} ! fakesink name=sink",
        callback("pixels_misuse.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("misuse", "pixels_misuse"));
    let item = &seen[0];
    for (case, hint) in [
        ("index", "with frame.data() as a:"),
        ("iterate", "with frame.planes() as planes:"),
        ("asarray", "with frame.data() as a:"),
        ("array", "with frame.planes() as planes:"),
    ] {
        let text = item[case].as_str().unwrap_or_default();
        assert!(text.contains(hint), "{case}: {text}");
        assert!(text.contains("context manager"), "{case}: {text}");
    }
}

#[test]
fn data_follows_a_caps_change_mid_stream() {
    // One element, one stream: the caps change between buffers (size, then format),
    // and data() must describe each buffer by the caps it arrived under.
    common::init();
    let element = gst::ElementFactory::make("gvarust")
        .name("recaps_pixels")
        .property("module", callback("pixels_read.py"))
        .property("function", "describe")
        .build()
        .unwrap();
    let mut h = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
    let steps: [(&str, u8); 4] = [
        ("video/x-raw,format=GRAY8,width=4,height=4,framerate=1/1", 0),
        (
            "video/x-raw,format=GRAY8,width=8,height=2,framerate=1/1",
            100,
        ),
        (
            "video/x-raw,format=BGRx,width=2,height=2,framerate=1/1",
            200,
        ),
        // Rows of 6 bytes padded to 8: the padding must not show in the array.
        ("video/x-raw,format=RGB,width=2,height=2,framerate=1/1", 16),
    ];
    for (caps, first) in steps {
        h.set_src_caps_str(caps);
        let bytes: Vec<u8> = (first..first + 16).collect();
        h.push_and_pull(gst::Buffer::from_mut_slice(bytes)).unwrap();
    }
    let seen = records(&module_key("recaps_pixels", "pixels_read"));
    let seen = seen.as_array().expect("records");
    assert_eq!(seen.len(), 4, "{seen:?}");
    let run = |first: u8, len: u8| -> Vec<u8> { (first..first + len).collect() };
    // (format, shape, strides, the bytes of the array in C order)
    type Expected = (&'static str, [i64; 3], [i64; 3], Vec<u8>);
    let expected: [Expected; 4] = [
        ("GRAY8", [4, 4, 1], [4, 1, 1], run(0, 16)),
        ("GRAY8", [2, 8, 1], [8, 1, 1], run(100, 16)),
        ("BGRx", [2, 2, 4], [8, 4, 1], run(200, 16)),
        (
            "RGB",
            [2, 2, 3],
            [8, 3, 1],
            [run(16, 6), run(24, 6)].concat(),
        ),
    ];
    for (item, (format, shape, strides, values)) in seen.iter().zip(expected) {
        assert_eq!(item["format"], format, "{item}");
        assert_eq!(ints(&item["shape"]), shape, "{format}");
        assert_eq!(ints(&item["strides"]), strides, "{format}");
        assert_eq!(item["hex"].as_str().unwrap(), hex(&values), "{format}");
    }
}
