//! The bad-input matrix: every way a user (or another element) can hand gvarust
//! something broken, each with the exact error a user sees. After each case the
//! test process is still running, which is the other half of every assertion.
//!
//! Cases already covered elsewhere are not repeated here: missing file,
//! directory, syntax error, import error, missing or non-callable class and
//! function, constructor raising, `on_start()` raising, a bad `kwarg` type and
//! an unreadable `arg` file (`element.rs`); callback raising, `on-error` modes,
//! `__bool__` raising, `sys.exit()` in a callback, kept frames (`element.rs`);
//! kept regions/tensors/messages, non-writable buffers (`metadata.rs`); kept
//! pixel arrays and unsupported pixel formats (`pixels.rs`).

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{callback, records, run, run_pipeline, Run};
use gst::glib;
use gst::prelude::*;
use pyo3::prelude::*;
use serde_json::{json, Value};

const VIDEO: &str =
    "videotestsrc num-buffers=10 ! video/x-raw,format=BGRx,width=64,height=48,framerate=30/1";

/// A scratch directory for files the cases need (removed by the OS temp cleaner).
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gvarust-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// `videotestsrc ! gvarust (with properties) ! fakesink name=sink`, run to the end.
fn run_with(props: &[(&str, &str)]) -> (Run, gst::Element) {
    let (r, element, _) = run_capturing_warnings(props);
    (r, element)
}

/// [`run_with`], also returning every warning message as it was posted
/// (including those posted while stopping, which the bus flushes at NULL).
fn run_capturing_warnings(props: &[(&str, &str)]) -> (Run, gst::Element, Vec<String>) {
    common::init();
    let pipeline = gst::parse::launch(&format!("{VIDEO} ! identity name=in"))
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let element = gst::ElementFactory::make("gvarust").build().unwrap();
    for (name, value) in props {
        if element.find_property(name).unwrap().value_type() == glib::Type::STRING {
            element.set_property(name, *value);
        } else {
            element.set_property_from_str(name, value);
        }
    }
    let sink = gst::ElementFactory::make("fakesink")
        .name("sink")
        .build()
        .unwrap();
    pipeline.add_many([&element, &sink]).unwrap();
    let identity = pipeline.by_name("in").unwrap();
    gst::Element::link_many([&identity, &element, &sink]).unwrap();
    // run_pipeline collects warnings as they are posted, including those at stop.
    let r = run_pipeline(&pipeline);
    let warnings = r
        .warnings
        .iter()
        .map(|(e, _)| e.message().to_string())
        .collect();
    (r, element, warnings)
}

/// The LIBRARY/INIT start error of `props`, as (message, debug).
fn start_error_with(props: &[(&str, &str)]) -> (String, String) {
    let (r, _) = run_with(props);
    let (error, debug) = r.error();
    assert!(
        error.matches(gst::LibraryError::Init),
        "{error:?} is LIBRARY/INIT for {props:?}"
    );
    (error.message().to_string(), debug.clone())
}

/// The LIBRARY/FAILED stream error of `props`, as (message, debug).
fn stream_error_with(props: &[(&str, &str)]) -> (String, String) {
    let (r, _) = run_with(props);
    let (error, debug) = r.error();
    assert!(
        error.matches(gst::LibraryError::Failed),
        "{error:?} is LIBRARY/FAILED for {props:?}"
    );
    (error.message().to_string(), debug.clone())
}

#[test]
fn unreadable_module_files_are_start_errors() {
    let dir = scratch();
    // Tests run as root, where `chmod 000` does not stop reads: a path whose
    // parent is a file is unreadable for everyone.
    let under_a_file = format!("{}/inner.py", callback("bad_arity.py"));
    let (message, _) = start_error_with(&[("module", &under_a_file)]);
    assert_eq!(
        message,
        format!("Cannot access Python module file '{under_a_file}': Not a directory (os error 20)")
    );

    // A FIFO: opening it for reading would block until a writer comes, so
    // gvarust must refuse it instead of hanging in start().
    let fifo = dir.join("fifo.py");
    let _ = std::fs::remove_file(&fifo);
    let c_fifo = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o600) }, 0);
    let started = Instant::now();
    let (message, _) = start_error_with(&[("module", fifo.to_str().unwrap())]);
    assert_eq!(
        message,
        format!(
            "Python module path '{}' is not a regular file",
            fifo.display()
        )
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // Bytes that are not UTF-8 (and no coding cookie): Python's SyntaxError.
    let latin1 = dir.join("latin1.py");
    std::fs::write(
        &latin1,
        b"LABEL = \"caf\xe9\"\ndef process_frame(frame):\n    return True\n",
    )
    .unwrap();
    let (message, _) = start_error_with(&[("module", latin1.to_str().unwrap())]);
    assert!(
        message.starts_with(&format!(
            "Loading Python module '{}' raised SyntaxError: (unicode error) 'utf-8' codec can't decode byte 0xe9",
        latin1.display())),
        "{message}"
    );
}

#[test]
fn modules_that_raise_or_exit_at_import_are_start_errors() {
    let file = callback("bad_import_raises.py");
    let (message, debug) = start_error_with(&[("module", &file)]);
    assert_eq!(
        message,
        format!("Loading Python module '{file}' raised ValueError: configuration missing: None (bad_import_raises.py:3)")
    );
    assert!(
        debug.contains("Traceback (most recent call last):"),
        "{debug}"
    );

    let file = callback("bad_import_exits.py");
    let (message, _) = start_error_with(&[("module", &file)]);
    assert_eq!(
        message,
        format!(
            "Loading Python module '{file}' raised SystemExit: leaving at import (bad_import_exits.py:4)"
        )
    );
}

#[test]
fn wrong_arity_is_reported_at_the_call() {
    let file = callback("bad_arity.py");
    let (message, _) = stream_error_with(&[("module", &file)]);
    assert_eq!(
        message,
        "Python callback process_frame() raised TypeError: process_frame() takes 0 positional arguments but 1 was given"
    );
    let (message, _) = stream_error_with(&[
        ("module", &file),
        ("class", "Wide"),
        ("function", "process"),
    ]);
    assert_eq!(
        message,
        "Python callback Wide.process() raised TypeError: Wide.process() missing 1 required positional argument: 'extra'"
    );
    // Keyword arguments the constructor does not take.
    let (message, _) = start_error_with(&[
        ("module", &file),
        ("class", "Wide"),
        ("kwarg", r#"{"not an identifier": 1}"#),
    ]);
    assert_eq!(
        message,
        "Python class Wide() constructor raised TypeError: Wide.__init__() got an unexpected keyword argument 'not an identifier'"
    );
    let (message, _) = start_error_with(&[("module", &file), ("class", "Wide"), ("arg", "[1]")]);
    assert_eq!(
        message,
        "Python class Wide() constructor raised TypeError: Wide.__init__() takes 1 positional argument but 2 were given"
    );
}

#[test]
fn keyboard_interrupt_in_a_callback_is_an_ordinary_error_in_every_mode() {
    let file = callback("bad_interrupt.py");
    let expected = "Python callback process_frame() raised KeyboardInterrupt (bad_interrupt.py:7)";
    let (message, debug) = stream_error_with(&[("module", &file)]);
    assert_eq!(message, expected);
    assert!(debug.contains("raise KeyboardInterrupt"), "{debug}");
    let _ = records("bad_interrupt");
    for (mode, at_sink) in [("drop", 0), ("pass", 10)] {
        let (r, element) = run_with(&[("module", &file), ("on-error", mode)]);
        r.assert_ok();
        assert_eq!(r.buffers_at_sink, at_sink, "on-error={mode}");
        assert_eq!(r.warnings[0].0.message(), expected);
        let stats = element.property::<gst::Structure>("stats");
        assert_eq!(stats.get::<u64>("errors").unwrap(), 10, "{stats}");
        assert_eq!(records("bad_interrupt").as_array().unwrap().len(), 10);
    }
}

/// Runs `bad_hooks.py` with the hook `raise_in` raising `exception`, in `mode`.
fn hooks_run(raise_in: &str, mode: &str, exception: &str) -> (Run, Vec<String>, Vec<String>) {
    let key = format!("hooks-{raise_in}-{mode}-{exception}");
    let kwarg = json!({"raise_in": raise_in, "key": key, "exception": exception}).to_string();
    let (r, _, warnings) = run_capturing_warnings(&[
        ("module", &callback("bad_hooks.py")),
        ("class", "HookRaiser"),
        ("kwarg", &kwarg),
        ("on-error", mode),
    ]);
    let seen = records(&key)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    (r, seen, warnings)
}

#[test]
fn hooks_raising_follow_on_error() {
    // process_event(): fail stops at the first event (stream-start); drop and
    // pass keep every event that cannot be dropped, so the stream still flows.
    let (r, seen, _) = hooks_run("process_event", "fail", "ValueError");
    let (error, _) = r.error();
    assert!(error.matches(gst::LibraryError::Failed));
    assert_eq!(
        error.message(),
        "Python hook process_event() raised ValueError: process_event failed (bad_hooks.py:19)"
    );
    assert_eq!(seen.first().map(String::as_str), Some("process_event"));
    assert!(!seen.contains(&"process_frame".to_string()), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("del"));
    for mode in ["drop", "pass"] {
        let (r, seen, _) = hooks_run("process_event", mode, "ValueError");
        r.assert_ok();
        assert_eq!(r.buffers_at_sink, 10, "{mode}");
        assert_eq!(
            r.warnings[0].0.message(),
            "Python hook process_event() raised ValueError: process_event failed (bad_hooks.py:19)"
        );
        assert!(r.warnings.len() <= 2, "rate-limited: {:?}", r.warnings);
        assert_eq!(seen.iter().filter(|s| *s == "process_frame").count(), 10);
        assert!(seen.ends_with(&["on_eos".into(), "on_stop".into(), "del".into()]));
    }

    // on_eos(): fail turns EOS into an error; drop and pass forward EOS.
    let (r, seen, _) = hooks_run("on_eos", "fail", "ValueError");
    assert_eq!(
        r.error().0.message(),
        "Python hook on_eos() raised ValueError: on_eos failed (bad_hooks.py:19)"
    );
    assert_eq!(r.buffers_at_sink, 10);
    assert!(seen.ends_with(&["on_eos".into(), "on_stop".into(), "del".into()]));
    for mode in ["drop", "pass"] {
        let (r, _, _) = hooks_run("on_eos", mode, "ValueError");
        r.assert_ok();
        assert_eq!(
            r.warnings[0].0.message(),
            "Python hook on_eos() raised ValueError: on_eos failed (bad_hooks.py:19)"
        );
    }

    // on_stop() raising (even SystemExit) is a warning in every mode, and the
    // instance is still released.
    for (exception, text) in [
        ("ValueError", "ValueError: on_stop failed (bad_hooks.py:19)"),
        ("SystemExit", "SystemExit: on_stop exits (bad_hooks.py:18)"),
    ] {
        for mode in ["fail", "drop", "pass"] {
            let (r, seen, messages) = hooks_run("on_stop", mode, exception);
            r.assert_ok();
            assert_eq!(
                messages,
                [format!("Python hook on_stop() raised {text}")],
                "{mode}"
            );
            assert!(
                seen.ends_with(&["on_stop".into(), "del".into()]),
                "{seen:?}"
            );
        }
    }

    // __del__ raising at stop: Python reports it as "Exception ignored"; the
    // pipeline stops normally.
    let (r, seen, _) = hooks_run("__del__", "fail", "ValueError");
    r.assert_ok();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(seen.last().map(String::as_str), Some("del"));
}

#[test]
fn callbacks_may_start_python_threads() {
    let r = run(&format!(
        "{VIDEO} ! gvarust module={} ! fakesink name=sink",
        callback("bad_threads.py")
    ));
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 10);
    let seen = records("bad_threads");
    let seen = seen.as_array().unwrap();
    let work: Vec<&Value> = seen.iter().filter(|s| s[0].is_u64()).collect();
    assert_eq!(work.len(), 10, "{seen:?}");
    assert!(work.iter().all(|w| w[1] == 2_664_667_000u64), "{work:?}");
    let ticks = seen.iter().find(|s| s[0] == "ticks").unwrap();
    assert_eq!(
        ticks[1], true,
        "the background thread ran between callbacks"
    );
    let alive = seen.iter().find(|s| s[0] == "background alive").unwrap();
    assert_eq!(alive[1], false, "on_stop ended the background thread");
}

#[test]
fn a_callback_that_never_returns_is_reported_and_can_be_released() {
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=3 ! gvarust name=forever slow-call-warning=0.3 module={} ! fakesink name=sink",
        callback("bad_forever.py")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let bus = pipeline.bus().unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let started = Instant::now();
    let msg = bus
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(10),
            &[gst::MessageType::Warning, gst::MessageType::Error],
        )
        .expect("a slow-call warning within 10 s");
    let gst::MessageView::Warning(w) = msg.view() else {
        panic!("unexpected {msg:?}")
    };
    let warning = w.error().message().to_string();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(
        warning.starts_with("Python callback process_frame() has been running for 0.")
            && warning.ends_with(" s in element forever; the stream is stalled until it returns"),
        "{warning}"
    );
    // The callback holds the GIL in a busy loop, but Python still switches
    // threads: the test can take the GIL and end the loop.
    Python::attach(|py| {
        py.import("sys")
            .unwrap()
            .getattr("modules")
            .unwrap()
            .get_item(common::module_key("forever", "bad_forever"))
            .unwrap()
            .setattr("release", true)
            .unwrap();
    });
    let msg = bus
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(10),
            &[
                gst::MessageType::Eos,
                gst::MessageType::Error,
                gst::MessageType::Warning,
            ],
        )
        .expect("EOS after the release");
    assert_eq!(msg.type_(), gst::MessageType::Eos, "{msg:?}");
    pipeline.set_state(gst::State::Null).unwrap();
    let seen = records("bad_forever");
    assert_eq!(
        seen,
        json!(["entered", "released", "entered", "released", "entered", "released"])
    );
}

#[test]
fn bad_arg_and_kwarg_values_name_the_value() {
    let dir = scratch();
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{'single': 'quotes'}").unwrap();
    let array = dir.join("array.json");
    std::fs::write(&array, "[1, 2]").unwrap();
    let fifo = dir.join("args-fifo.json");
    let _ = std::fs::remove_file(&fifo);
    let c_fifo = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o600) }, 0);
    let module = callback("bad_arity.py");
    let under_a_file = format!("{module}/args.json");
    let (d, g, a, f) = (
        dir.display(),
        garbage.display(),
        array.display(),
        fifo.display(),
    );
    let cases: Vec<(&str, String, String)> = vec![
        ("arg", "[1,".into(), "Property 'arg' has an invalid value: '[1,' is not valid JSON: EOF while parsing a value at line 1 column 3".into()),
        ("arg", "".into(), "Property 'arg' has an invalid value: '' is not valid JSON: EOF while parsing a value at line 1 column 0".into()),
        ("kwarg", "\"text\"".into(), "Property 'kwarg' has an invalid value: \"text\" is not a JSON object".into()),
        ("kwarg", "null".into(), "Property 'kwarg' has an invalid value: null is not a JSON object".into()),
        ("kwarg", format!("@{d}"), format!("Property 'kwarg' has an invalid value: cannot read JSON file '{d}': Is a directory (os error 21)")),
        ("kwarg", format!("@{under_a_file}"), format!("Property 'kwarg' has an invalid value: cannot read JSON file '{under_a_file}': Not a directory (os error 20)")),
        ("kwarg", format!("@{g}"), format!("Property 'kwarg' has an invalid value: file '{g}' is not valid JSON: key must be a string at line 1 column 2")),
        ("kwarg", format!("@{a}"), "Property 'kwarg' has an invalid value: [1,2] is not a JSON object".into()),
        ("arg", format!("@{f}"), format!("Property 'arg' has an invalid value: cannot read JSON file '{f}': not a regular file")),
    ];
    for (property, value, expected) in cases {
        let started = Instant::now();
        let (message, _) =
            start_error_with(&[("module", &module), ("class", "Wide"), (property, &value)]);
        assert_eq!(message, expected, "{property}={value}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{property}={value}"
        );
    }
    // A later good value clears the error: the class starts (and then fails only
    // at the call, because Wide.process needs two arguments).
    let (r, element) = run_with(&[
        ("module", &module),
        ("class", "Wide"),
        ("function", "process"),
        ("kwarg", "[1]"),
        ("kwarg", "{}"),
    ]);
    assert!(r.error().0.matches(gst::LibraryError::Failed));
    assert_eq!(element.property::<String>("kwarg"), "{}");
}

#[test]
fn only_on_error_and_reload_change_while_playing() {
    common::init();
    let module = callback("frames.py");
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc is-live=true ! gvarust name=locked module={module} ! fakesink"
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    pipeline.state(gst::ClockTime::from_seconds(10)).0.unwrap();
    let element = pipeline.by_name("locked").unwrap();
    let before: Vec<String> = [
        "module",
        "class",
        "function",
        "arg",
        "kwarg",
        "slow-call-warning",
    ]
    .iter()
    .map(|p| format!("{:?}", element.property_value(p)))
    .collect();
    element.set_property("class", "Other");
    element.set_property("function", "other");
    element.set_property("arg", "[1]");
    element.set_property("arg", "[1,"); // a bad value while playing is refused, not stored
    element.set_property("kwarg", r#"{"a": 1}"#);
    element.set_property("slow-call-warning", 9.0f64);
    element.set_property("module", "other.py");
    let after: Vec<String> = [
        "module",
        "class",
        "function",
        "arg",
        "kwarg",
        "slow-call-warning",
    ]
    .iter()
    .map(|p| format!("{:?}", element.property_value(p)))
    .collect();
    assert_eq!(before, after);
    // Still running normally: more calls after the refused changes (waited for,
    // with a deadline, rather than assumed after a fixed pause), and no errors.
    let calls = |stats: &gst::Structure| stats.get::<u64>("calls").unwrap();
    let calls_before = calls(&element.property::<gst::Structure>("stats"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let stats = loop {
        let stats = element.property::<gst::Structure>("stats");
        if calls(&stats) >= calls_before + 2 || Instant::now() > deadline {
            break stats;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(calls(&stats) >= calls_before + 2, "{stats}");
    assert_eq!(stats.get::<u64>("errors").unwrap(), 0, "{stats}");
    pipeline.set_state(gst::State::Null).unwrap();
    // The refused bad `arg` left no error behind: a restart works.
    pipeline.set_state(gst::State::Playing).unwrap();
    assert_eq!(
        pipeline.state(gst::ClockTime::from_seconds(10)).0,
        Ok(gst::StateChangeSuccess::Success)
    );
    pipeline.set_state(gst::State::Null).unwrap();
    let _ = records(&common::module_key("locked", "frames"));
}

#[test]
fn a_python_host_of_another_version_is_refused_and_survives() {
    // The host is a real running interpreter (a small C program embedding the Python the
    // plugin was built for), driving GStreamer through ctypes; a preloaded
    // Py_GetVersion() makes it report another version. The
    // plugin adopts running interpreters, so it must refuse this one before touching it,
    // with a clear start error, and leave the host running.
    let (built_for, other) = common::built_and_other_python_version();
    let library = common::fake_python_version_library(other);
    let plugins = common::fresh_plugin_dir();
    let mut command = std::process::Command::new(common::embedding_python_host());
    command
        .env("HOST_SCRIPT", callback("bad_host_ctypes.py"))
        .env(
            "HOST_ARG",
            format!(
                "videotestsrc num-buffers=3 ! gvarust module={} ! fakesink",
                callback("frames.py")
            ),
        )
        .env("LD_PRELOAD", &library)
        .env("GST_PLUGIN_PATH", &plugins)
        .env("GST_REGISTRY", scratch().join("registry.bin"))
        .env_remove("GST_DEBUG")
        .env_remove("VIRTUAL_ENV");
    let out = common::output_within(command, Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(library.parent().unwrap());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stdout}\n{stderr}", out.status);
    assert!(
        stdout.contains(&format!(
            "ERROR: Cannot start Python: the host process runs Python {other}, but gvarust was built for Python {built_for}"
        )),
        "{stdout}\n{stderr}"
    );
    // The interpreter's own version (compiled in, not from Py_GetVersion): the real host.
    assert!(
        stdout.contains(&format!("host survived, running {built_for}")),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------
// Metadata from other elements: foreign, malformed, non-UTF-8.
// ---------------------------------------------------------------------------

use gvarust_meta::meta::{json_meta_info, GstGVAJSONMeta, GstGVATensorMeta};
use gvarust_meta::TensorMeta;

/// A string GValue holding `bytes` as is (not valid UTF-8), as C code can make.
fn raw_string_value(bytes: &[u8]) -> glib::Value {
    let c = std::ffi::CString::new(bytes).unwrap();
    let mut value = glib::Value::from_type(glib::Type::STRING);
    // SAFETY: `value` holds G_TYPE_STRING; g_value_set_string copies the C string.
    unsafe {
        glib::gobject_ffi::g_value_set_string(
            glib::translate::ToGlibPtrMut::to_glib_none_mut(&mut value).0,
            c.as_ptr(),
        )
    };
    value
}

/// Sets field `name` of `s` to a GST_TYPE_ARRAY of `items` (raw GValues).
fn set_raw_array(s: &mut gst::StructureRef, name: &str, items: &[glib::Value]) {
    use glib::translate::{ToGlibPtr, ToGlibPtrMut};
    let mut array = glib::Value::from_type(gst::Array::static_type());
    let name = std::ffi::CString::new(name).unwrap();
    // SAFETY: `array` holds GST_TYPE_ARRAY; append copies each value, and
    // gst_structure_set_value copies the array into the structure.
    unsafe {
        for item in items {
            gst::ffi::gst_value_array_append_value(
                array.to_glib_none_mut().0,
                item.to_glib_none().0,
            );
        }
        gst::ffi::gst_structure_set_value(s.as_mut_ptr(), name.as_ptr(), array.to_glib_none().0);
    }
}

/// A 4x4 GRAY8 buffer carrying every kind of broken metadata we know of.
fn buffer_with_foreign_metadata() -> gst::Buffer {
    let mut buffer = gst::Buffer::from_slice(vec![9u8; 16]);
    let b = buffer.get_mut().unwrap();
    // A region whose detection has fields of the wrong types, and a classification
    // whose label is a number.
    let mut roi = gst_video::VideoRegionOfInterestMeta::add(b, "odd", (1, 1, 2, 2));
    roi.add_param(
        gst::Structure::builder("detection")
            .field("confidence", "high")
            .field("x_min", 1i32)
            .field("label_id", "seven")
            .build(),
    );
    roi.add_param(
        gst::Structure::builder("classification")
            .field("label", 5i32)
            .build(),
    );
    roi.add_param(
        gst::Structure::builder("object_id")
            .field("id", "x")
            .build(),
    );
    // A region far outside the 4x4 frame, with a detection box beyond [0, 1].
    let mut roi = gst_video::VideoRegionOfInterestMeta::add(b, "outside", (1000, 2000, 50, 60));
    roi.add_param(
        gst::Structure::builder("detection")
            .field("x_min", -3.0f64)
            .field("x_max", 7.5f64)
            .field("y_min", 0.0f64)
            .field("y_max", 1.0f64)
            .build(),
    );
    // A region whose label (roi_type quark) is not UTF-8.
    let roi = gst_video::VideoRegionOfInterestMeta::add(b, "x", (0, 0, 1, 1));
    // SAFETY: a live ROI meta of this buffer; roi_type is a plain quark field.
    unsafe {
        let meta = roi.as_ptr() as *mut gst_video::ffi::GstVideoRegionOfInterestMeta;
        (*meta).roi_type = glib::ffi::g_quark_from_string(c"caf\xe9".as_ptr());
    }

    let tensors = [
        // data_buffer a string, precision a string, dims a string.
        gst::Structure::builder("t_strings")
            .field("data_buffer", "not bytes")
            .field("precision", "FP32")
            .field("dims", "1x2")
            .build(),
        // data_buffer a variant that is not `ay`.
        gst::Structure::builder("t_ints_variant")
            .field(
                "data_buffer",
                glib::Variant::array_from_iter::<i32>([1.to_variant(), 2.to_variant()]),
            )
            .field("precision", 10i32)
            .field("dims", gst::Array::new([2u32]))
            .build(),
        // 6 bytes with FP32: not a whole number of elements.
        gst::Structure::builder("t_ragged")
            .field(
                "data_buffer",
                glib::Variant::array_from_fixed_array(&[0u8; 6]),
            )
            .field("precision", 10i32)
            .field("dims", gst::Array::new([4u32, 4u32]))
            .build(),
        // dims inconsistent with the data size, but whole elements.
        gst::Structure::builder("t_dims_mismatch")
            .field(
                "data_buffer",
                glib::Variant::array_from_fixed_array(&[0u8; 16]),
            )
            .field("precision", 10i32)
            .field("dims", gst::Array::new([1u32, 2u32]))
            .build(),
        // An unknown precision and a negative dimension.
        gst::Structure::builder("t_unknown_precision")
            .field(
                "data_buffer",
                glib::Variant::array_from_fixed_array(&[1u8, 2, 3]),
            )
            .field("precision", 999i32)
            .field("layout", -5i32)
            .field("dims", gst::Array::new([-1i32]))
            .build(),
    ];
    for s in tensors {
        TensorMeta::add_with_structure(b, s).unwrap();
    }
    // Non-UTF-8 strings inside an array field.
    let mut s = gst::Structure::new_empty("t_non_utf8");
    set_raw_array(
        &mut s,
        "names",
        &[raw_string_value(b"ok"), raw_string_value(b"caf\xe9")],
    );
    TensorMeta::add_with_structure(b, s).unwrap();
    // A foreign tensor meta whose structure pointer is NULL.
    {
        let meta = TensorMeta::add(b).unwrap();
        // SAFETY: the meta is ours and live; the structure we detach is freed here.
        unsafe {
            let raw = meta.as_ptr() as *mut GstGVATensorMeta;
            gst::ffi::gst_structure_free((*raw).data);
            (*raw).data = std::ptr::null_mut();
        }
    }
    // JSON messages: one not UTF-8, one NULL.
    for message in [Some(&b"\xff\xfe{}"[..]), None] {
        // SAFETY: adding a registered meta to a writable buffer; the message is
        // g_malloc'ed as the meta's free function expects.
        unsafe {
            let meta = gst::ffi::gst_buffer_add_meta(
                b.as_mut_ptr(),
                json_meta_info(),
                std::ptr::null_mut(),
            ) as *mut GstGVAJSONMeta;
            if let Some(bytes) = message {
                let c = std::ffi::CString::new(bytes).unwrap();
                (*meta).message = glib::ffi::g_strdup(c.as_ptr());
            }
        }
    }
    buffer
}

#[test]
fn foreign_and_malformed_metadata_reads_without_crash_or_panic() {
    common::init();
    let element = gst::ElementFactory::make("gvarust")
        .name("foreign")
        .property("module", callback("bad_meta_reader.py"))
        .build()
        .unwrap();
    let mut h = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
    h.set_src_caps_str("video/x-raw,format=GRAY8,width=4,height=4,framerate=1/1");
    let mut event_structure = gst::Structure::builder("odd-event")
        .field("fraction", gst::Fraction::new(30, 1))
        .field("caps", gst::Caps::new_empty_simple("video/x-raw"))
        .field("nested", gst::Structure::new_empty("inner"))
        .build();
    set_raw_array(
        &mut event_structure,
        "names",
        &[raw_string_value(b"caf\xe9")],
    );
    h.push_event(gst::event::CustomDownstream::new(event_structure));
    let out = h.push_and_pull(buffer_with_foreign_metadata()).unwrap();
    assert_eq!(out.size(), 16);

    let seen = records("bad_meta_reader");
    let dump = seen[0].to_string();
    println!("{dump}");
    assert!(!dump.contains("PanicException"), "{dump}");
    let regions = &seen[0]["regions"];
    assert_eq!(regions[0]["rect"], json!([1, 1, 2, 2]));
    assert_eq!(regions[0]["label"], "odd");
    assert_eq!(
        regions[0]["confidence"],
        Value::Null,
        "a string confidence is no confidence"
    );
    assert_eq!(regions[0]["label_id"], Value::Null);
    assert_eq!(regions[0]["object_id"], Value::Null);
    assert_eq!(
        regions[1]["rect"],
        json!([1000, 2000, 50, 60]),
        "stored values, unclipped"
    );
    // A label that is not UTF-8 reads as "" (documented in region::label).
    assert_eq!(regions[2]["label"], "");
    let tensors = seen[0]["tensors"].as_array().unwrap();
    let by_name = |name: &str| {
        tensors
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {tensors:?}"))
    };
    let t = by_name("t_strings");
    assert_eq!(t["data"], Value::Null);
    assert_eq!(t["precision_name"], "UNSPECIFIED");
    assert!(t["dims"].as_str().unwrap().starts_with("ValueError"), "{t}");
    assert_eq!(by_name("t_ints_variant")["data"], Value::Null);
    assert_eq!(
        by_name("t_ragged")["data"],
        "RuntimeError: the tensor holds 6 bytes, not a whole number of float32 elements"
    );
    assert_eq!(
        by_name("t_dims_mismatch")["data"],
        json!(["float32", 4, false])
    );
    let t = by_name("t_unknown_precision");
    assert_eq!(t["precision_name"], "UNSPECIFIED");
    assert_eq!(t["layout"], "ANY");
    assert_eq!(t["data"], json!(["uint8", 3, false]));
    assert!(t["dims"].as_str().unwrap().starts_with("ValueError"), "{t}");
    let t = by_name("t_non_utf8");
    assert_eq!(t["items"]["names"], "['ok', 'caf\u{fffd}']", "{t}");
    assert_eq!(
        by_name("meta")["fields"],
        json!([]),
        "NULL structure reads as empty"
    );
    assert_eq!(seen[0]["messages"], json!(["\u{fffd}\u{fffd}{}"]));
    assert_eq!(seen[0]["pixels"], json!([[4, 4, 1], "uint8"]));
    assert_eq!(seen[0]["planes"], json!([[4, 4]]));
    // gvametaconvert-style JSON refuses the malformed dims with an exception.
    assert_eq!(
        seen[0]["to_json"],
        "ValueError: field 'dims' has type gchararray, expected GstValueArray"
    );

    let events = records("bad_meta_reader_events");
    assert_eq!(events[0]["names"], json!(["caf\u{fffd}"]), "{events}");
    assert_eq!(events[0]["nested"], json!({}), "{events}");
}

#[test]
fn zero_size_and_short_buffers_are_errors_in_python_not_crashes() {
    common::init();
    let element = gst::ElementFactory::make("gvarust")
        .name("short")
        .property("module", callback("bad_meta_reader.py"))
        .build()
        .unwrap();
    let mut h = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
    h.set_src_caps_str("video/x-raw,format=GRAY8,width=4,height=4,framerate=1/1");
    for size in [0, 8] {
        let out = h
            .push_and_pull(gst::Buffer::with_size(size).unwrap())
            .unwrap();
        assert_eq!(out.size(), size);
    }
    h.set_src_caps_str("application/x-anything");
    let out = h.push_and_pull(gst::Buffer::new()).unwrap();
    assert_eq!(out.size(), 0);
    let seen = records("bad_meta_reader");
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 3);
    for item in &seen[..2] {
        let pixels = item["pixels"].as_str().unwrap_or_default();
        assert!(pixels.starts_with("RuntimeError"), "{item}");
        assert_eq!(item["regions"], json!([]));
    }
    assert!(
        seen[2]["pixels"]
            .as_str()
            .unwrap()
            .starts_with("AttributeError"),
        "{}",
        seen[2]
    );
    assert_eq!(seen[2]["messages"], json!([]));
}
