//! Slow and stuck Python calls: the watchdog names every slow call once, and
//! stopping never waits forever for a callback (a call still running when the
//! element stops is interrupted; one blocked in native code is reported).

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{callback, module_key, records};
use gst::prelude::*;
use pyo3::prelude::*;
use serde_json::json;

fn parse(description: &str) -> gst::Pipeline {
    common::init();
    gst::parse::launch(description)
        .expect("pipeline parses")
        .downcast::<gst::Pipeline>()
        .expect("a pipeline")
}

/// A channel of every warning's text posted by `pipeline`, and "EOS" at EOS.
fn watch_bus(pipeline: &gst::Pipeline) -> mpsc::Receiver<String> {
    let (sender, warnings) = mpsc::channel();
    let sender = std::sync::Mutex::new(sender);
    pipeline
        .bus()
        .expect("pipeline bus")
        .set_sync_handler(move |_, msg| {
            match msg.view() {
                gst::MessageView::Warning(w) => {
                    let _ = sender.lock().unwrap().send(w.error().message().to_string());
                }
                gst::MessageView::Eos(_) => {
                    let _ = sender.lock().unwrap().send("EOS".into());
                }
                _ => {}
            }
            gst::BusSyncReply::Drop
        });
    warnings
}

/// Starts `description` and returns it with its bus channel (see [`watch_bus`]).
fn play(description: &str) -> (gst::Pipeline, mpsc::Receiver<String>) {
    let pipeline = parse(description);
    let warnings = watch_bus(&pipeline);
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

/// Opens gate `name` of `tests/callbacks/gate.py`.
fn open_gate(name: &str) {
    Python::attach(|py| {
        py.import("gate")
            .and_then(|gate| gate.call_method1("open_gate", (name,)))
            .expect("the test opens the gate");
    });
}

#[test]
fn the_watchdog_names_every_slow_python_call_not_only_the_callback() {
    let module = callback("slow_phases.py");
    let pipeline = parse(&format!(
        "videotestsrc num-buffers=2 ! gvarust name=phases slow-call-warning=0.05 class=SlowPhases module={module} ! fakesink",
    ));
    let warnings = watch_bus(&pipeline);
    // set_state blocks in the slow start and stop: it runs on a thread of its own.
    let playing = pipeline.clone();
    let play = std::thread::spawn(move || playing.set_state(gst::State::Playing).is_ok());
    let suffix = " in element phases; the stream is stalled until it returns";
    for (gate, label) in [
        ("import", format!("Loading Python module '{module}'")),
        (
            "constructor",
            "Python class SlowPhases() constructor".to_string(),
        ),
        ("on_start", "Python hook on_start()".to_string()),
        ("process_event", "Python hook process_event()".to_string()),
        ("on_eos", "Python hook on_eos()".to_string()),
    ] {
        let warning = wait_for_warning(&warnings, &label);
        assert!(
            warning.starts_with(&format!("{label} has been running for "))
                && warning.ends_with(suffix),
            "{warning}"
        );
        open_gate(gate);
    }
    assert!(play.join().unwrap(), "the pipeline started");
    wait_for_warning(&warnings, "EOS");
    let stopped = stop_in_background(&pipeline);
    let warning = wait_for_warning(&warnings, "Python hook on_stop()");
    assert!(warning.ends_with(suffix), "{warning}");
    open_gate("on_stop");
    assert_eq!(
        stopped.recv_timeout(Duration::from_secs(10)),
        Ok(true),
        "set_state(NULL) returned once on_stop() did"
    );
}

#[test]
fn each_slow_call_is_reported_once() {
    let (pipeline, warnings) = play(&format!(
        "videotestsrc num-buffers=2 ! gvarust name=slowpoke slow-call-warning=0.05 module={} ! fakesink",
        callback("slow.py")
    ));
    for call in 1..=2 {
        // The call waits at its gate until its warning has been seen.
        let warning = wait_for_warning(&warnings, "has been running for");
        assert!(
            warning.starts_with("Python callback process_frame() has been running for ")
                && warning
                    .ends_with(" s in element slowpoke; the stream is stalled until it returns"),
            "{warning}"
        );
        open_gate(&format!("slow-{call}"));
    }
    wait_for_warning(&warnings, "EOS");
    let stopped = stop_in_background(&pipeline);
    assert_eq!(stopped.recv_timeout(Duration::from_secs(10)), Ok(true));
    let later: Vec<String> = warnings.try_iter().collect();
    assert!(
        later.iter().all(|w| !w.contains("has been running for")),
        "one warning per call: {later:?}"
    );
}
