//! Memory stays flat over a long run whose callback adds and reads regions,
//! tensors and messages on every frame.
//!
//! Measured precisely, not through RSS pages: the bytes malloc has handed out
//! (glibc's `mallinfo2`, every arena; Rust, GStreamer and Python's larger
//! objects all allocate there) and the blocks Python's own allocator holds
//! (`sys.getallocatedblocks()`), sampled through the run; the growth per buffer
//! is the least-squares slope after a warm-up.
//!
//! `GVARUST_LEAK_BUFFERS` sets the run length (default 40000, under half a
//! minute in a debug build); `scripts/leak-check.sh` runs 1,000,000 buffers on
//! a release build. `GVARUST_LEAK_TEST_BYTES=16` makes the callback leak 16
//! bytes of malloc per buffer, to show that the test catches such a leak.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{callback, records};
use gst::prelude::*;
use pyo3::prelude::*;

/// A leak this small per buffer is still caught: the slopes must stay below it.
const LIMIT_BYTES_PER_BUFFER: f64 = 4.0;
const LIMIT_PY_BLOCKS_PER_BUFFER: f64 = 0.05;

#[derive(Debug, Clone, Copy)]
struct Sample {
    buffer: u64,
    malloc_bytes: f64,
    python_blocks: f64,
}

fn sample(buffer: u64, py: Python<'_>) -> Sample {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let malloc_bytes = unsafe { libc::mallinfo2() }.uordblks as f64;
    let python_blocks = py
        .import("sys")
        .and_then(|sys| sys.call_method0("getallocatedblocks"))
        .and_then(|n| n.extract::<u64>())
        .expect("sys.getallocatedblocks()") as f64;
    Sample {
        buffer,
        malloc_bytes,
        python_blocks,
    }
}

/// Least-squares slope of `value` over the buffer number.
fn slope(samples: &[Sample], value: impl Fn(&Sample) -> f64) -> f64 {
    let n = samples.len() as f64;
    let mean_x = samples.iter().map(|s| s.buffer as f64).sum::<f64>() / n;
    let mean_y = samples.iter().map(&value).sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for s in samples {
        let dx = s.buffer as f64 - mean_x;
        covariance += dx * (value(s) - mean_y);
        variance += dx * dx;
    }
    covariance / variance
}

#[test]
fn memory_stays_flat_while_metadata_is_added_and_read_every_frame() {
    common::init();
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let buffers = env("GVARUST_LEAK_BUFFERS", 40_000);
    let leak_bytes = env("GVARUST_LEAK_TEST_BYTES", 0);
    let warm_up = (buffers / 5).max(2_000).min(buffers / 2);
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers={buffers} ! video/x-raw,format=GRAY8,width=64,height=48 ! \
         gvarust name=leak module={} class=Loop ! fakesink name=sink",
        callback("bad_loop.py")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    pipeline.by_name("leak").unwrap().set_property(
        "kwarg",
        format!(r#"{{"key": "leak", "leak_bytes": {leak_bytes}}}"#),
    );
    // Sampled in the streaming thread, between two buffers, 40 times after the warm-up.
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    {
        let samples = samples.clone();
        let step = ((buffers - warm_up) / 40).max(1);
        pipeline
            .by_name("sink")
            .unwrap()
            .static_pad("sink")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= warm_up && ((n - warm_up) % step == 0 || n == buffers) {
                    let s = Python::attach(|py| sample(n, py));
                    samples.lock().unwrap().push(s);
                }
                gst::PadProbeReturn::Ok
            });
    }
    // About 0.3 ms a buffer in a debug build: the deadline grows with the run.
    let deadline = Duration::from_secs(60) + Duration::from_millis(buffers);
    let r = common::run_pipeline_within(&pipeline, deadline);
    r.assert_ok();
    assert_eq!(records("leak"), serde_json::json!(["init", "stop", "del"]));
    let samples = samples.lock().unwrap();
    assert_eq!(samples.last().map(|s| s.buffer), Some(buffers));
    let malloc_slope = slope(&samples, |s| s.malloc_bytes);
    let python_slope = slope(&samples, |s| s.python_blocks);
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    println!(
        "leak: {buffers} buffers (callback leaking {leak_bytes} bytes each), after {} warm-up: \
         malloc in use {:.2} -> {:.2} MB, {malloc_slope:.2} bytes per buffer; \
         Python blocks {} -> {}, {python_slope:.4} per buffer",
        first.buffer,
        first.malloc_bytes / 1e6,
        last.malloc_bytes / 1e6,
        first.python_blocks,
        last.python_blocks,
    );
    assert!(
        malloc_slope < LIMIT_BYTES_PER_BUFFER,
        "malloc in use grows {malloc_slope:.2} bytes per buffer: {samples:?}"
    );
    assert!(
        python_slope < LIMIT_PY_BLOCKS_PER_BUFFER,
        "Python's allocated blocks grow {python_slope:.4} per buffer: {samples:?}"
    );
}
