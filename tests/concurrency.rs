//! Eight pipelines in one process, buffers flowing, while the main thread
//! cycles their states at random: no deadlock, no crash, every `on_stop` and
//! `__del__` ran, and Python thread states and memory stay flat.
//!
//! A watchdog aborts the process with a message if the test stalls, so a
//! deadlock fails CI instead of hanging it.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// Aborts the process unless `done` is set within `limit`.
fn watchdog(done: Arc<AtomicBool>, progress: Arc<AtomicU64>, limit: Duration) {
    std::thread::spawn(move || {
        let started = Instant::now();
        while started.elapsed() < limit {
            if done.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "concurrency watchdog: no completion after {limit:?} ({} state changes done); \
             probable deadlock, aborting",
            progress.load(Ordering::Relaxed)
        );
        std::process::abort();
    });
}

/// A small deterministic pseudo-random sequence (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn eight_pipelines_survive_a_thousand_random_state_changes() {
    common::init();
    let done = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    watchdog(done.clone(), progress.clone(), WATCHDOG);

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
            let flowing = flowing.clone();
            pipeline
                .by_name("sink")
                .unwrap()
                .static_pad("sink")
                .unwrap()
                .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                    flowing.fetch_add(1, Ordering::Relaxed);
                    gst::PadProbeReturn::Ok
                });
            pipeline
        })
        .collect();

    let states = [
        gst::State::Null,
        gst::State::Ready,
        gst::State::Paused,
        gst::State::Playing,
    ];
    let thread_states = || Python::attach(gstgvarust::pyhost::thread_state_count);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let mut baseline = None;
    for step in 0..TRANSITIONS {
        let pipeline = &pipelines[rng.below(PIPELINES)];
        let target = states[rng.below(states.len())];
        let result = pipeline.set_state(target);
        assert!(result.is_ok(), "step {step}: set_state({target:?}) failed");
        // Now and then wait for a transition to finish, so both settled and
        // in-flight transitions get interrupted by the next change.
        if rng.below(4) == 0 {
            let (result, _, _) = pipeline.state(gst::ClockTime::from_seconds(20));
            assert!(result.is_ok(), "step {step}: {target:?} did not complete");
        }
        progress.fetch_add(1, Ordering::Relaxed);
        if step == TRANSITIONS / 5 {
            baseline = Some((thread_states(), rss_mb()));
        }
    }
    for pipeline in &pipelines {
        pipeline.set_state(gst::State::Null).unwrap();
    }
    let elapsed = started.elapsed();
    let (states_at_baseline, rss_at_baseline) = baseline.unwrap();
    let (states_at_end, rss_at_end) = (thread_states(), rss_mb());
    done.store(true, Ordering::Relaxed);

    let mut starts = 0;
    for i in 0..PIPELINES {
        let seen = records(&format!("conc{i}"));
        let seen: Vec<&str> = seen
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
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
