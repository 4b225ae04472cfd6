//! `slow-call-warning=0` disables the slow-call watchdog. Alone in its test
//! binary, so the watchdog threads it counts are only this test's.

mod common;

use std::time::{Duration, Instant};

use common::callback;
use gst::prelude::*;
use pyo3::prelude::*;

/// Threads of this process named like the watchdog (names are cut to 15 bytes).
fn watchdog_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("task list")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "gvarust-watchdo")
        .count()
}

fn gate(call: &str, name: &str) -> bool {
    Python::attach(|py| {
        py.import("gate")
            .and_then(|gate| gate.call_method1(call, (name,)))
            .and_then(|result| result.extract::<Option<bool>>())
            .expect("gate call")
            .unwrap_or(true)
    })
}

/// Watchdog threads counted while a call of an element with `threshold` runs.
fn watchdogs_during_a_call(name: &str, threshold: f64) -> usize {
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=1 ! gvarust name=gated slow-call-warning={threshold} module={} class=Gated ! fakesink",
        callback("gated.py")
    ))
    .unwrap()
    .downcast::<gst::Bin>()
    .unwrap();
    pipeline
        .by_name("gated")
        .unwrap()
        .set_property("arg", format!("[\"{name}\"]"));
    pipeline.set_state(gst::State::Playing).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    // `gate` is importable once the element has loaded gated.py.
    while !Python::attach(|py| py.import("gate").is_ok())
        || !gate("is_open", &format!("{name}-entered"))
    {
        assert!(
            Instant::now() < deadline,
            "the call did not start within 20 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // A thread names itself once it runs: look for a while, not at one instant.
    let mut threads = watchdog_threads();
    let watch_until = Instant::now() + Duration::from_millis(500);
    while threads == 0 && Instant::now() < watch_until {
        std::thread::sleep(Duration::from_millis(10));
        threads = watchdog_threads();
    }
    gate("open_gate", name);
    pipeline.set_state(gst::State::Null).unwrap();
    threads
}

#[test]
fn a_zero_threshold_runs_no_watchdog() {
    assert_eq!(
        watchdogs_during_a_call("watched", 5.0),
        1,
        "the control has one"
    );
    assert_eq!(watchdogs_during_a_call("unwatched", 0.0), 0);
}
