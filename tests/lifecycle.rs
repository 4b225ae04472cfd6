//! Start/stop cycles, Python thread states and the logging bridge.
//!
//! A test binary of its own: it counts the interpreter's thread states and
//! changes debug thresholds, both process-wide.

mod common;

use std::sync::{Arc, Mutex};

use common::{callback, records, run};
use pyo3::Python;

fn thread_states() -> usize {
    Python::attach(gstgvarust::pyhost::thread_state_count)
}

#[test]
fn stop_releases_python_objects_and_start_reloads_without_leaking_thread_states() {
    common::init();
    let description = format!(
        "videotestsrc num-buffers=5 ! queue ! gvarust module={} class=Tracker ! queue ! fakesink",
        callback("lifecycle.py")
    );
    let mut counts = Vec::new();
    for cycle in 0..12 {
        let r = run(&description);
        r.assert_ok();
        let seen = records("lifecycle");
        let mut seen = common::strs(&seen);
        // The two __del__ calls may come in either order.
        seen[2..].sort();
        assert_eq!(
            seen,
            [
                "module loaded",
                "on_stop",
                "instance released",
                "module object released"
            ],
            "cycle {cycle}"
        );
        counts.push(thread_states());
    }
    // Streaming threads come and go with each run; their thread states must go too.
    let settled = counts[3];
    assert!(
        counts[3..].iter().all(|&c| c <= settled + 2),
        "Python thread states grow across start/stop cycles: {counts:?}"
    );
    assert!(settled <= 8, "too many Python thread states: {counts:?}");
}

#[test]
fn python_logging_reaches_the_gstreamer_debug_log() {
    common::init();
    // Capture the records here instead of printing every INFO line to stderr.
    gst::log::remove_default_log_function();
    gst::log::set_threshold_for_name("gvarust", gst::DebugLevel::Info);
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let sink = seen.clone();
    let function = gst::log::add_log_function(
        move |category, level, _file, _function, _line, object, message| {
            if category.name() == "gvarust" && level == gst::DebugLevel::Warning {
                let object = object.map(|o| o.to_string()).unwrap_or_default();
                if let Some(text) = message.get() {
                    sink.lock().unwrap().push((object, text.to_string()));
                }
            }
        },
    );
    let r = run(&format!(
        "videotestsrc num-buffers=3 ! gvarust name=logger module={} ! fakesink",
        callback("logs.py")
    ));
    gst::log::remove_log_function(function);
    r.assert_ok();
    let seen = seen.lock().unwrap();
    let bridged: Vec<_> = seen
        .iter()
        .filter(|(_, m)| m.contains("seen by the logging bridge"))
        .collect();
    assert_eq!(bridged.len(), 3, "{seen:?}");
    assert_eq!(bridged[0].1, "frame at 0 seen by the logging bridge");
    assert!(
        bridged[0].0.contains("logger"),
        "attributed to the element: {:?}",
        bridged[0].0
    );
}
