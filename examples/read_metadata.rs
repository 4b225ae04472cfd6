//! Reading DL Streamer metadata from Rust with the `gvarust-meta` crate.
//!
//! The pipeline is `videotestsrc num-buffers=5 ! gvarust module=examples/read_metadata.py !
//! fakesink`. The Python callback adds a region (with a tracking id and a classification
//! result), a frame-level tensor and a JSON message to every frame; a pad probe on the sink
//! reads them back through the Rust API and prints them:
//!
//! ```sh
//! cargo run --example read_metadata
//! ```
//!
//! The gvarust plugin is registered statically (`gstgvarust::plugin_register_static()`), so
//! the example needs no `GST_PLUGIN_PATH`.

use std::error::Error;
use std::sync::{Arc, Mutex};

use gst::prelude::*;
use gvarust_meta::{frame, region, Tensor};

/// The callback file the example runs, next to this source file.
pub fn callback_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/read_metadata.py")
}

/// Describes the metadata of one buffer, one line per item.
pub fn describe(buffer: &gst::BufferRef) -> Vec<String> {
    let mut lines = vec![format!(
        "frame {} pts={}",
        buffer.offset(),
        buffer.pts().map_or("none".into(), |t| t.to_string())
    )];
    for roi in frame::regions(buffer) {
        let rect = region::rect(&roi);
        lines.push(format!(
            "  region id={} label={} rect=({}, {}, {}, {}) confidence={} object_id={}",
            roi.id(),
            region::label(&roi),
            rect.x,
            rect.y,
            rect.w,
            rect.h,
            region::confidence(&roi).map_or("none".into(), |c| format!("{c:.2}")),
            region::object_id(&roi).map_or("none".into(), |id| id.to_string()),
        ));
        for param in region::tensors(&roi) {
            let tensor = Tensor::from_structure(param);
            if tensor.is_detection() {
                lines.push(format!(
                    "    detection extra_params={}",
                    tensor.string("extra_params_json").unwrap_or("none")
                ));
            } else {
                lines.push(format!(
                    "    tensor {} label={} label_id={} confidence={}",
                    tensor.name(),
                    tensor.label().unwrap_or("none"),
                    tensor.label_id().map_or("none".into(), |id| id.to_string()),
                    tensor
                        .confidence()
                        .map_or("none".into(), |c| format!("{c:.2}")),
                ));
            }
        }
    }
    for meta in frame::tensors(buffer) {
        let tensor = Tensor::from_structure(meta.structure());
        let values: Vec<f32> = tensor
            .data()
            .unwrap_or_default()
            .chunks_exact(4)
            .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        lines.push(format!(
            "  frame tensor {} layer={} precision={} dims={:?} data={values:?}",
            tensor.name(),
            tensor.layer_name().unwrap_or("none"),
            tensor.precision().as_str(),
            tensor.dims().unwrap_or_default(),
        ));
    }
    for text in frame::message_strings(buffer) {
        lines.push(format!("  message {text}"));
    }
    lines
}

/// Runs the pipeline to its end and returns the lines [`describe`] produced for every buffer
/// reaching the sink.
pub fn run() -> Result<Vec<String>, Box<dyn Error>> {
    gst::init()?;
    static REGISTER: std::sync::Once = std::sync::Once::new();
    let mut registered = Ok(());
    REGISTER.call_once(|| registered = gstgvarust::plugin_register_static());
    registered?;

    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=5 ! video/x-raw,width=320,height=240 ! \
         gvarust module={} ! fakesink name=sink",
        callback_path().display()
    ))?
    .downcast::<gst::Pipeline>()
    .map_err(|_| "not a pipeline")?;

    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = pipeline.by_name("sink").ok_or("no sink")?;
    let pad = sink.static_pad("sink").ok_or("no sink pad")?;
    let store = lines.clone();
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        if let Some(buffer) = info.buffer() {
            if let Ok(mut lines) = store.lock() {
                lines.extend(describe(buffer));
            }
        }
        gst::PadProbeReturn::Ok
    });

    pipeline.set_state(gst::State::Playing)?;
    let bus = pipeline.bus().ok_or("no bus")?;
    let mut result = Ok(());
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(60)) {
        match msg.view() {
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(err) => {
                result = Err(format!(
                    "{}: {}",
                    err.error(),
                    err.debug().map(|d| d.to_string()).unwrap_or_default()
                ));
                break;
            }
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null)?;
    result?;
    let lines = lines.lock().map_err(|_| "poisoned")?.clone();
    Ok(lines)
}

#[allow(dead_code)] // the integration test includes this file as a module and calls `run`
fn main() -> Result<(), Box<dyn Error>> {
    for line in run()? {
        println!("{line}");
    }
    Ok(())
}
