//! Stopping never waits forever for a callback: a call still running when the
//! element stops is interrupted, and one blocked in native code is reported.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{callback, module_key, records};
use gst::prelude::*;
use pyo3::prelude::*;
use serde_json::json;

/// Starts `pipeline` and returns it with a channel of every warning's text.
fn play(description: &str) -> (gst::Pipeline, mpsc::Receiver<String>) {
    common::init();
    let pipeline = gst::parse::launch(description)
        .expect("pipeline parses")
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
    let (sender, warnings) = mpsc::channel();
    let sender = std::sync::Mutex::new(sender);
    pipeline
        .bus()
        .expect("pipeline bus")
        .set_sync_handler(move |_, msg| {
            if let gst::MessageView::Warning(w) = msg.view() {
                let _ = sender.lock().unwrap().send(w.error().message().to_string());
            }
            gst::BusSyncReply::Drop
        });
    pipeline
        .set_state(gst::State::Playing)
        .expect("pipeline plays");
    (pipeline, warnings)
}

/// Waits (at most 20 s) for a warning containing `text`.
fn wait_for_warning(warnings: &mpsc::Receiver<String>, text: &str) -> String {
    loop {
        match warnings.recv_timeout(Duration::from_secs(20)) {
            Ok(warning) if warning.contains(text) => return warning,
            Ok(_) => continue,
            Err(e) => panic!("no warning containing {text:?}: {e}"),
        }
    }
}

/// Sets `pipeline` to NULL on a thread of its own; the receiver gets the result.
fn stop_in_background(pipeline: &gst::Pipeline) -> mpsc::Receiver<bool> {
    let (done, stopped) = mpsc::channel();
    let pipeline = pipeline.clone();
    std::thread::spawn(move || {
        let ok = pipeline.set_state(gst::State::Null).is_ok();
        let _ = done.send(ok);
    });
    stopped
}

#[test]
fn a_callback_in_an_endless_python_loop_is_interrupted_at_stop() {
    let (pipeline, warnings) = play(&format!(
        "videotestsrc num-buffers=3 ! gvarust name=endless slow-call-warning=0.1 module={} ! fakesink",
        callback("bad_forever.py")
    ));
    // The watchdog's warning: the call is running (and looping with the GIL).
    wait_for_warning(&warnings, "has been running for");
    let stopped = stop_in_background(&pipeline);
    assert_eq!(
        stopped.recv_timeout(Duration::from_secs(5)),
        Ok(true),
        "set_state(NULL) returned within 5 s"
    );
    let warning = wait_for_warning(&warnings, "it was interrupted");
    assert_eq!(
        warning,
        "Python callback process_frame() had not returned 0.3 s after the element began to stop; \
         it was interrupted"
    );
    assert_eq!(records("bad_forever"), json!(["entered"]));
}

#[test]
fn a_callback_blocked_in_native_code_is_reported_and_interrupted_when_it_returns() {
    let (pipeline, warnings) = play(&format!(
        "videotestsrc num-buffers=3 ! gvarust name=blocked slow-call-warning=0.1 module={} ! fakesink",
        callback("bad_blocks.py")
    ));
    wait_for_warning(&warnings, "has been running for");
    let stopped = stop_in_background(&pipeline);
    let warning = wait_for_warning(&warnings, "cannot be interrupted");
    assert_eq!(
        warning,
        "Python callback process_frame() has not returned and cannot be interrupted: it is blocked \
         outside Python code (a C extension, I/O or a sleep); stopping waits until it returns"
    );
    assert!(
        stopped.try_recv().is_err(),
        "set_state(NULL) waits for the blocked call"
    );
    Python::attach(|py| {
        py.import("sys")
            .and_then(|sys| sys.getattr("modules"))
            .and_then(|modules| modules.get_item(module_key("blocked", "bad_blocks")))
            .and_then(|module| module.getattr("release"))
            .and_then(|release| release.call_method0("set"))
            .expect("the test releases the callback");
    });
    assert_eq!(
        stopped.recv_timeout(Duration::from_secs(10)),
        Ok(true),
        "set_state(NULL) returned once the call was released"
    );
    // Back in Python bytecode, the pending interrupt ended the call at once.
    assert_eq!(records("bad_blocks"), json!(["entered"]));
}
