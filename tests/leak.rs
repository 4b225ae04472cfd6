//! Memory stays flat over a long run whose callback adds and reads regions,
//! tensors and messages on every frame.
//!
//! `GVARUST_LEAK_BUFFERS` sets the run length (default 20000, a CI-sized run);
//! `scripts/leak-check.sh` runs it with 1,000,000 buffers on a release build.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::{callback, records};
use gst::prelude::*;

/// Resident set size in bytes, from `/proc/self/statm`.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

#[test]
fn memory_stays_flat_while_metadata_is_added_and_read_every_frame() {
    common::init();
    let buffers: u64 = std::env::var("GVARUST_LEAK_BUFFERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let warm_up = (buffers / 10).max(2_000).min(buffers / 2);
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers={buffers} ! video/x-raw,format=GRAY8,width=64,height=48 ! \
         gvarust name=leak module={} class=Loop ! fakesink name=sink",
        callback("bad_loop.py")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    pipeline
        .by_name("leak")
        .unwrap()
        .set_property("kwarg", r#"{"key": "leak"}"#);
    // RSS after the warm-up and at the last buffer, sampled in the streaming thread.
    let samples: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    {
        let samples = samples.clone();
        let step = ((buffers - warm_up) / 10).max(1);
        pipeline
            .by_name("sink")
            .unwrap()
            .static_pad("sink")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= warm_up && ((n - warm_up) % step == 0 || n == buffers) {
                    samples.lock().unwrap().push((n, rss_bytes()));
                }
                gst::PadProbeReturn::Ok
            });
    }
    let r = common::run_pipeline(&pipeline);
    r.assert_ok();
    assert_eq!(records("leak"), serde_json::json!(["init", "stop", "del"]));
    let samples = samples.lock().unwrap();
    let (first_n, first_rss) = samples[0];
    let (last_n, last_rss) = *samples.last().unwrap();
    assert_eq!(last_n, buffers);
    let growth = last_rss.saturating_sub(first_rss) as f64;
    let per_million_mb = growth / (last_n - first_n) as f64 * 1e6 / 1e6;
    println!(
        "leak: {buffers} buffers, RSS {:.1} MB after {first_n} (warm-up), {:.1} MB at {last_n}: \
         growth {:.2} MB, {per_million_mb:.2} MB per million buffers",
        first_rss as f64 / 1e6,
        last_rss as f64 / 1e6,
        growth / 1e6
    );
    println!(
        "leak samples (buffer, RSS MB): {:?}",
        samples
            .iter()
            .map(|(n, rss)| (*n, (*rss as f64 / 1e5).round() / 10.0))
            .collect::<Vec<_>>()
    );
    // Generous: allocator noise is a few MB; a leak of 100 bytes per buffer
    // would be 100 MB per million.
    assert!(
        per_million_mb < 50.0 || growth < 4e6,
        "RSS grows {per_million_mb:.1} MB per million buffers: {samples:?}"
    );
}
