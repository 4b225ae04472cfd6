//! Eight pipelines in one process, buffers flowing, while the main thread
//! cycles their states at random: no deadlock, no crash, every `on_stop` and
//! `__del__` ran, and Python thread states and memory stay flat.
//!
//! A watchdog aborts the process with a message if the test stalls, so a
//! deadlock fails CI instead of hanging it.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{callback, records};
use gst::prelude::*;
use pyo3::Python;

const PIPELINES: usize = 8;
const TRANSITIONS: usize = 1000;
const WATCHDOG: Duration = Duration::from_secs(150);

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: f64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64 / 1e6
}

#[test]
fn eight_pipelines_survive_a_thousand_random_state_changes() {
    common::init();
    let progress = Arc::new(AtomicU64::new(0));
    let watchdog = common::watchdog("concurrency", progress.clone(), WATCHDOG);

    let flowing = Arc::new(AtomicU64::new(0));
    let pipelines: Vec<gst::Pipeline> = (0..PIPELINES)
        .map(|i| {
            let pipeline = gst::parse::launch(&format!(
                "videotestsrc ! video/x-raw,format=GRAY8,width=32,height=24 ! queue max-size-buffers=4 ! \
                 gvarust name=g{i} module={} class=Loop ! fakesink name=sink sync=false",
                callback("bad_loop.py")
            ))
            .unwrap()
            .downcast::<gst::Pipeline>()
            .unwrap();
            pipeline
                .by_name(&format!("g{i}"))
                .unwrap()
                .set_property("kwarg", format!(r#"{{"key": "conc{i}"}}"#));
            common::count_buffers_at(&pipeline, "sink", &flowing);
            pipeline
        })
        .collect();

    let thread_states = || Python::attach(gstgvarust::pyhost::thread_state_count);
    let started = Instant::now();
    let mut baseline = None;
    common::random_state_changes(&pipelines, TRANSITIONS, &progress, |step| {
        if step == TRANSITIONS / 5 {
            baseline = Some((thread_states(), rss_mb()));
        }
    });
    for pipeline in &pipelines {
        pipeline.set_state(gst::State::Null).unwrap();
    }
    let elapsed = started.elapsed();
    let (states_at_baseline, rss_at_baseline) = baseline.unwrap();
    let (states_at_end, rss_at_end) = (thread_states(), rss_mb());
    watchdog.done();

    let mut starts = 0;
    for i in 0..PIPELINES {
        let seen = records(&format!("conc{i}"));
        let seen = common::strs(&seen);
        let count = |what| seen.iter().filter(|s| **s == what).count();
        assert_eq!(count("init"), count("stop"), "pipeline {i}: {seen:?}");
        assert_eq!(count("init"), count("del"), "pipeline {i}: {seen:?}");
        starts += count("init");
    }
    println!(
        "concurrency: {TRANSITIONS} state changes over {PIPELINES} pipelines in {:.1} s, {starts} \
         starts (each with on_stop and __del__), {} buffers; Python thread states {states_at_baseline} \
         -> {states_at_end}; RSS {rss_at_baseline:.1} -> {rss_at_end:.1} MB",
        elapsed.as_secs_f64(),
        flowing.load(Ordering::Relaxed)
    );
    assert!(starts > 50, "too few starts to mean anything: {starts}");
    assert!(flowing.load(Ordering::Relaxed) > 1000, "buffers flowed");
    assert!(
        states_at_end <= states_at_baseline + PIPELINES,
        "Python thread states grow: {states_at_baseline} -> {states_at_end}"
    );
    assert!(
        rss_at_end - rss_at_baseline < 40.0,
        "RSS grows: {rss_at_baseline:.1} -> {rss_at_end:.1} MB"
    );
}
