//! The gvarust element through real pipelines and a real embedded interpreter.

mod common;

use common::{callback, module_key, records, run};
use gst::prelude::*;
use serde_json::json;

const VIDEO: &str =
    "videotestsrc num-buffers=10 ! video/x-raw,format=BGRx,width=64,height=48,framerate=30/1";

#[test]
fn function_mode_sees_every_frame_as_video_frame() {
    let r = run(&format!(
        "{VIDEO} ! gvarust name=fm module={} ! fakesink name=sink",
        callback("frames.py")
    ));
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 10);
    let seen = records(&module_key("fm", "frames"));
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 10);
    assert_eq!(seen[0]["class"], "VideoFrame");
    assert_eq!(seen[0]["module"], "gvarust");
    assert_eq!(seen[0]["width"], 64);
    assert_eq!(seen[0]["height"], 48);
    assert_eq!(seen[0]["format"], "BGRx");
    assert_eq!(seen[0]["pts"], 0);
    assert_eq!(seen[3]["pts"], 100_000_000);
    assert_eq!(seen[9]["offset"], 9);
}

#[test]
fn falsy_results_drop_buffers() {
    let r = run(&format!(
        "{VIDEO} ! gvarust name=drops module={} ! fakesink name=sink",
        callback("drop_odd.py")
    ));
    r.assert_ok();
    assert_eq!(
        r.buffers_at_sink, 5,
        "None and False both drop, True passes"
    );
    let stats = stats_at_eos(&r);
    assert_eq!(stats.get::<u64>("calls").unwrap(), 10);
    assert_eq!(stats.get::<u64>("dropped").unwrap(), 5);
    assert_eq!(stats.get::<u64>("errors").unwrap(), 0);
}

/// The `gvarust-stats` structure the element posted at EOS.
fn stats_at_eos(r: &common::Run) -> &gst::Structure {
    r.element_messages
        .iter()
        .find(|s| s.name() == "gvarust-stats")
        .expect("stats at EOS")
}

#[test]
fn class_mode_builds_instance_with_accumulated_arguments_and_runs_hooks() {
    common::init();
    let element = gst::ElementFactory::make("gvarust")
        .name("cls")
        .build()
        .unwrap();
    element.set_property("module", callback("counter_class.py"));
    element.set_property("class", "Counter");
    element.set_property("function", "count");
    element.set_property("arg", "[1, 2]");
    element.set_property("arg", "\"three\"");
    element.set_property("arg", "[[4]]");
    element.set_property("kwarg", r#"{"key": "class-mode", "b": 1}"#);
    element.set_property("kwarg", r#"{"b": 2, "a": {"z": 1, "y": 2}}"#);
    assert_eq!(element.property::<String>("arg"), r#"[1,2,"three",[4]]"#);
    assert_eq!(
        element.property::<String>("kwarg"),
        r#"{"a":{"y":2,"z":1},"b":2,"key":"class-mode"}"#
    );

    let pipeline = gst::Pipeline::new();
    let src = gst::ElementFactory::make("videotestsrc")
        .property("num-buffers", 10)
        .build()
        .unwrap();
    let sink = gst::ElementFactory::make("fakesink")
        .name("sink")
        .build()
        .unwrap();
    pipeline.add_many([&src, &element, &sink]).unwrap();
    gst::Element::link_many([&src, &element, &sink]).unwrap();
    let r = common::run_pipeline(&pipeline);
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 10);

    let seen = records("class-mode");
    let seen = seen.as_array().unwrap();
    assert_eq!(
        seen[0],
        json!(["init", [1, 2, "three", [4]], {"a": {"y": 2, "z": 1}, "b": 2}])
    );
    assert_eq!(seen[1], json!(["on_start"]));
    let events: Vec<&str> = seen
        .iter()
        .filter(|e| e[0] == "event")
        .map(|e| e[1].as_str().unwrap())
        .collect();
    assert_eq!(events.first(), Some(&"stream-start"));
    assert!(
        events.contains(&"caps") && events.contains(&"segment"),
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&"eos"));
    let tail: Vec<_> = seen.iter().skip_while(|e| e[0] != "on_eos").collect();
    assert_eq!(
        *tail[0],
        json!(["on_eos", 10]),
        "on_eos runs after process_event(eos)"
    );
    assert_eq!(*tail[1], json!(["on_stop", 10]));
    assert_eq!(
        *tail[2],
        json!(["del"]),
        "__del__ runs when the pipeline stops"
    );

    // The statistics of the run agree with the calls made.
    let stats = element.property::<gst::Structure>("stats");
    assert_eq!(stats.name(), "gvarust-stats");
    assert_eq!(stats.get::<u64>("calls").unwrap(), 10);
    assert_eq!(stats.get::<u64>("dropped").unwrap(), 0);
    assert_eq!(stats.get::<u64>("errors").unwrap(), 0);
    let mean = stats.get::<f64>("callback-mean-us").unwrap();
    let max = stats.get::<f64>("callback-max-us").unwrap();
    assert!(mean > 0.0 && max >= mean, "{stats}");
    assert!(
        stats.get::<f64>("gil-wait-max-us").unwrap()
            >= stats.get::<f64>("gil-wait-mean-us").unwrap()
    );
    let at_eos = r
        .element_messages
        .iter()
        .find(|s| s.name() == "gvarust-stats")
        .expect("stats at EOS");
    assert_eq!(at_eos.get::<u64>("calls").unwrap(), 10);
}

#[test]
fn arg_and_kwarg_read_from_files_and_bad_values_keep_the_last_good_one() {
    common::init();
    let element = gst::ElementFactory::make("gvarust").build().unwrap();
    element.set_property("kwarg", format!("@{}", callback("args.json")));
    assert_eq!(
        element.property::<String>("kwarg"),
        r#"{"labels":["face","person"],"threshold":0.5}"#
    );
    element.set_property("kwarg", "{not json");
    assert_eq!(
        element.property::<String>("kwarg"),
        r#"{"labels":["face","person"],"threshold":0.5}"#,
        "a bad value is ignored"
    );
    element.set_property("arg", "[1]");
    element.set_property("arg", format!("@{}", callback("no-such-args.json")));
    assert_eq!(element.property::<String>("arg"), "[1]");
}

#[test]
fn arg_and_kwarg_files_reach_the_constructor() {
    let r = run(&format!(
        "{VIDEO} ! gvarust module={} class=RecordsArgs arg=@{} arg=8 kwarg=@{} kwarg={{\"threshold\":0.7}} ! fakesink",
        callback("records_args.py"),
        callback("args_list.json"),
        callback("args.json"),
    ));
    r.assert_ok();
    assert_eq!(
        records("ctor-args"),
        json!([{
            "args": [7, "seven", {"nested": [1.5]}, 8],
            "kwargs": {"labels": ["face", "person"], "threshold": 0.7}
        }])
    );
}

fn start_error(pipeline_tail: &str) -> (String, String) {
    let r = run(&format!("{VIDEO} ! {pipeline_tail} ! fakesink"));
    let (error, debug) = r.error();
    assert!(
        error.matches(gst::LibraryError::Init),
        "{error:?} is LIBRARY/INIT"
    );
    (error.message().to_string(), debug.clone())
}

#[test]
fn start_up_failures_name_the_problem() {
    let dir = callback("");
    let cases = [
        (format!("gvarust module={dir}missing.py"), format!("Python module file '{dir}missing.py' does not exist"), ""),
        (format!("gvarust module={dir}a"), format!("Python module path '{dir}a' is a directory, not a Python file"), ""),
        (
            format!("gvarust module={dir}syntax_error.py"),
            format!("Loading Python module '{dir}syntax_error.py' raised SyntaxError: expected ':' (syntax_error.py, line 1)"),
            "def process_frame(frame)",
        ),
        (
            format!("gvarust module={dir}import_error.py"),
            format!("Loading Python module '{dir}import_error.py' raised ModuleNotFoundError: No module named 'module_that_does_not_exist' (import_error.py:1)"),
            "import module_that_does_not_exist",
        ),
        (
            format!("gvarust module={dir}frames.py class=Missing"),
            format!("Python module '{dir}frames.py' has no class 'Missing'"),
            "",
        ),
        (
            format!("gvarust module={dir}not_callable.py class=NotAClass"),
            format!("'NotAClass' in Python module '{dir}not_callable.py' is not a class (it is a int)"),
            "",
        ),
        (
            format!("gvarust module={dir}frames.py function=nothing_here"),
            format!("Python module '{dir}frames.py' has no function 'nothing_here'"),
            "",
        ),
        (
            format!("gvarust module={dir}not_callable.py"),
            format!("'process_frame' in Python module '{dir}not_callable.py' is not callable (it is a str)"),
            "",
        ),
        (
            format!("gvarust module={dir}ctor_raises.py class=Broken arg=[7]"),
            "Python class Broken() constructor raised RuntimeError: cannot use threshold 7 (ctor_raises.py:3)".to_string(),
            "raise RuntimeError",
        ),
        (
            format!("gvarust module={dir}start_raises.py"),
            "Python hook on_start() raised OSError: camera calibration file missing (start_raises.py:2)".to_string(),
            "Traceback (most recent call last)",
        ),
        (
            "gvarust".to_string(),
            "Property 'module' is not set: name a Python file or module".to_string(),
            "",
        ),
        (
            format!("gvarust module={dir}frames.py kwarg=[1]"),
            "Property 'kwarg' has an invalid value: [1] is not a JSON object".to_string(),
            "",
        ),
        (
            format!("gvarust module={dir}frames.py arg=@/nonexistent/args.json"),
            "Property 'arg' has an invalid value: cannot read JSON file '/nonexistent/args.json': No such file or directory (os error 2)".to_string(),
            "",
        ),
    ];
    for (tail, message, in_debug) in cases {
        let (got, debug) = start_error(&tail);
        assert_eq!(got, message, "for `{tail}`");
        assert!(
            debug.contains(in_debug),
            "debug of `{tail}` lacks {in_debug:?}: {debug}"
        );
    }
}

#[test]
fn named_module_is_imported_from_sys_path() {
    // `frames` is importable once the callbacks directory is on sys.path (a file
    // module from there puts it on); `json` is always importable but has no
    // process_frame.
    let (message, _) = start_error("gvarust module=json");
    assert_eq!(
        message,
        "Python module 'json' has no function 'process_frame'"
    );
    // Elements start from the sink up: the downstream file module puts the
    // callbacks directory on sys.path before the upstream one imports by name.
    let r = run(&format!(
        "{VIDEO} ! gvarust module=named_ok ! gvarust module={} ! fakesink name=sink",
        callback("frames.py")
    ));
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 10);
    assert_eq!(records("named-ok"), json!(vec!["named_ok"; 10]));
}

#[test]
fn callback_exception_fails_with_traceback_by_default() {
    let r = run(&format!(
        "{VIDEO} ! gvarust name=boom module={} ! fakesink name=sink",
        callback("raises.py")
    ));
    let (error, debug) = r.error();
    assert!(error.matches(gst::LibraryError::Failed), "{error:?}");
    assert_eq!(
        error.message(),
        "Python callback process_frame() raised ValueError: boom (raises.py:2)"
    );
    assert!(
        debug.contains("Traceback (most recent call last):"),
        "{debug}"
    );
    assert!(
        debug.contains("raises.py\", line 2, in process_frame"),
        "{debug}"
    );
    assert_eq!(r.buffers_at_sink, 0);
}

/// The count a "N more warnings suppressed" summary gives, if `message` is one.
fn suppressed_count(message: &str) -> Option<u64> {
    let (count, rest) = message.split_once(' ')?;
    rest.starts_with("more warning")
        .then(|| count.parse().ok())?
}

#[test]
fn on_error_drop_and_pass_warn_at_most_once_a_second_and_count_the_rest() {
    for (mode, expected_at_sink) in [("drop", 0), ("pass", 10)] {
        let r = run(&format!(
            "{VIDEO} ! gvarust on-error={mode} module={} ! fakesink name=sink",
            callback("raises.py")
        ));
        r.assert_ok();
        assert_eq!(r.buffers_at_sink, expected_at_sink, "on-error={mode}");
        let stats = stats_at_eos(&r);
        assert_eq!(stats.get::<u64>("errors").unwrap(), 10, "{mode}");
        assert_eq!(
            stats.get::<u64>("dropped").unwrap(),
            10 - expected_at_sink,
            "{mode}"
        );
        let first = "Python callback process_frame() raised ValueError: boom (raises.py:2)";
        assert_eq!(r.warnings[0].0.message(), first);
        // However fast the run, every failure is accounted for: posted, or counted
        // in the summary posted at EOS.
        let mut accounted = 0;
        for (warning, _) in &r.warnings {
            let message = warning.message();
            match suppressed_count(message) {
                Some(count) => {
                    assert_eq!(
                        message,
                        format!(
                            "{count} more warning{} suppressed (at most one a second per kind), the latest: {first}",
                            if count == 1 { "" } else { "s" }
                        )
                    );
                    accounted += count;
                }
                None => {
                    assert_eq!(message, first);
                    accounted += 1;
                }
            }
        }
        assert_eq!(accounted, 10, "{mode}: {:?}", r.warnings);
        assert!(
            r.warnings.len() < 10,
            "{mode}: rate-limited: {:?}",
            r.warnings
        );
    }
}

#[test]
fn one_kind_of_failure_does_not_hide_another() {
    let r = run(&format!(
        "videotestsrc num-buffers=6 ! gvarust on-error=pass module={} ! fakesink name=sink",
        callback("raises_kinds.py")
    ));
    r.assert_ok();
    let messages = r.warning_messages();
    let posted = |needle: &str| messages.iter().filter(|m| m.contains(needle)).count();
    assert_eq!(
        messages[0],
        "Python callback process_frame() raised ValueError: bad frame 1 (raises_kinds.py:10)"
    );
    assert_eq!(
        posted("raised SystemExit: 5 (raises_kinds.py:12)"),
        1,
        "{messages:#?}"
    );
    assert_eq!(
        posted("raised KeyboardInterrupt (raises_kinds.py:13)"),
        1,
        "{messages:#?}"
    );
    let value_errors: u64 = messages
        .iter()
        .filter(|m| m.contains("ValueError"))
        .map(|m| suppressed_count(m).unwrap_or(1))
        .sum();
    assert_eq!(value_errors, 4, "{messages:#?}");
}

#[test]
fn a_callback_that_always_returns_none_gets_one_warning_about_the_none_trap() {
    let r = run(&format!(
        "videotestsrc num-buffers=150 ! gvarust name=forgetful module={} ! fakesink name=sink",
        callback("forgets_return.py")
    ));
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 0);
    let messages = r.warning_messages();
    assert_eq!(
        messages,
        [
            "Python callback process_frame() returned None for each of the first 100 frames, so \
          every one was dropped: return True to push a frame on (a falsy result, None included, \
          drops it)"
        ]
    );
    // A callback that drops with False on purpose, or returns None only sometimes, is not warned.
    let r = run(&format!(
        "videotestsrc num-buffers=150 ! gvarust module={} ! fakesink name=sink",
        callback("drop_odd.py")
    ));
    r.assert_ok();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn result_whose_truth_value_raises_is_a_callback_error() {
    let r = run(&format!(
        "{VIDEO} ! gvarust module={} ! fakesink",
        callback("bad_bool.py")
    ));
    let (error, debug) = r.error();
    assert_eq!(
        error.message(),
        "Truth value of the result of Python callback process_frame() raised TypeError: no truth here (bad_bool.py:3)"
    );
    assert!(debug.contains("__bool__"), "{debug}");
}

#[test]
fn sys_exit_in_a_callback_is_an_ordinary_error() {
    let r = run(&format!(
        "{VIDEO} ! gvarust module={} ! fakesink",
        callback("exits.py")
    ));
    let (error, _) = r.error();
    assert_eq!(
        error.message(),
        "Python callback process_frame() raised SystemExit: 3 (exits.py:5)"
    );
    // Still here: the process did not exit.
}

#[test]
fn two_files_with_the_same_name_get_their_own_modules() {
    let r = run(&format!(
        "{VIDEO} ! gvarust name=first module={} ! gvarust name=second module={} ! fakesink",
        callback("a/cb.py"),
        callback("b/cb.py")
    ));
    r.assert_ok();
    let seen = records("same-name");
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.iter().filter(|w| *w == "a").count(), 10);
    assert_eq!(seen.iter().filter(|w| *w == "b").count(), 10);
}

#[test]
fn sibling_modules_are_importable() {
    let r = run(&format!(
        "{VIDEO} ! gvarust module={} ! fakesink name=sink",
        callback("a/helper_user.py")
    ));
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 10);
}

#[test]
fn sibling_modules_resolve_to_each_callbacks_own_directory() {
    // The downstream element starts first: whichever order, each gets its own helper.
    let r = run(&format!(
        "{VIDEO} ! gvarust module={} ! gvarust module={} ! fakesink name=sink",
        callback("a/uses_helper.py"),
        callback("b/uses_helper.py")
    ));
    r.assert_ok();
    let seen = records("siblings");
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 20);
    assert_eq!(seen.iter().filter(|s| **s == json!(["a", "a"])).count(), 10);
    assert_eq!(seen.iter().filter(|s| **s == json!(["b", "b"])).count(), 10);
}

#[test]
fn two_elements_importing_one_slow_sibling_at_once_both_get_it_whole() {
    let description = |name: &str| {
        format!(
            "{VIDEO} ! gvarust name={name} module={} ! fakesink name=sink",
            callback("race/importer.py")
        )
    };
    let (first, second) = (description("race1"), description("race2"));
    let other = std::thread::spawn(move || run(&second));
    let runs = [run(&first), other.join().expect("second pipeline")];
    for r in runs {
        r.assert_ok();
        assert_eq!(r.buffers_at_sink, 10);
    }
}

#[test]
fn the_callbacks_directory_goes_first_on_sys_path() {
    let r = run(&format!(
        "{VIDEO} ! gvarust module={} ! fakesink name=sink",
        callback("shadow/shadows_stdlib.py")
    ));
    r.assert_ok();
    let seen = records("shadow");
    assert_eq!(seen[0]["shadowed"], true, "{seen}");
    assert_eq!(seen[0]["before_stdlib"], true, "{seen}");
}

#[test]
fn caps_less_and_audio_streams_get_frame_and_audio_frame() {
    let r = run(&format!(
        "fakesrc num-buffers=5 sizetype=fixed sizemax=16 ! gvarust name=capsless module={} ! fakesink name=sink",
        callback("frames.py")
    ));
    r.assert_ok();
    assert_eq!(r.buffers_at_sink, 5);
    let seen = records(&module_key("capsless", "frames"));
    assert_eq!(seen.as_array().unwrap().len(), 5);
    assert_eq!(seen[0]["class"], "Frame");

    let r = run(&format!(
        "audiotestsrc num-buffers=4 ! audio/x-raw,rate=8000,channels=2 ! gvarust name=audio module={} ! fakesink name=sink",
        callback("frames.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("audio", "frames"));
    assert_eq!(seen[0]["class"], "AudioFrame");
    assert_eq!(seen[0]["rate"], 8000);
    assert_eq!(seen[0]["channels"], 2);

    let r = run(&format!(
        "videotestsrc num-buffers=2 ! video/x-raw,width=32,height=32 ! jpegenc ! gvarust name=jpeg module={} ! fakesink",
        callback("frames.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("jpeg", "frames"));
    assert_eq!(
        seen[0]["class"], "VideoFrame",
        "image/* caps give a VideoFrame"
    );
}

/// A harness around a gvarust element named `name` running callback file `file`.
fn harness(name: &str, file: &str) -> gst_check::Harness {
    common::init();
    let element = gst::ElementFactory::make("gvarust")
        .name(name)
        .property("module", callback(file))
        .build()
        .unwrap();
    gst_check::Harness::with_element(&element, Some("sink"), Some("src"))
}

#[test]
fn event_hook_drops_only_custom_events_that_return_false() {
    common::init();
    let mut h = harness("ev", "events.py");
    h.set_src_caps_str("video/x-raw,format=GRAY8,width=4,height=4,framerate=1/1");
    h.push_event(gst::event::CustomDownstream::new(
        gst::Structure::new_empty("drop-me"),
    ));
    h.push_event(gst::event::CustomDownstream::new(
        gst::Structure::builder("keep-me")
            .field("answer", 42i32)
            .build(),
    ));
    let out = h
        .push_and_pull(gst::Buffer::with_size(16).unwrap())
        .unwrap();
    assert_eq!(out.size(), 16);
    let mut downstream = Vec::new();
    while let Some(event) = h.try_pull_event() {
        downstream.push(event.structure().map(|s| s.name().to_string()));
    }
    assert!(
        downstream.contains(&Some("keep-me".to_string())),
        "{downstream:?}"
    );
    assert!(
        !downstream.contains(&Some("drop-me".to_string())),
        "{downstream:?}"
    );
    // The caps event was forwarded although the hook returned False for it.
    assert!(h.sinkpad().unwrap().current_caps().is_some());
    let seen = records(&module_key("ev", "events"));
    let seen = seen.as_array().unwrap();
    let caps = seen
        .iter()
        .find(|e| e[0] == "caps")
        .expect("caps event seen");
    assert_eq!(caps[1]["name"], "video/x-raw");
    assert_eq!(caps[1]["width"], 4);
    let keep = seen.iter().find(|e| e[1]["name"] == "keep-me").unwrap();
    assert_eq!(keep[0], "custom-downstream");
    assert_eq!(keep[1]["answer"], 42);
}

#[test]
fn caps_change_mid_stream_changes_the_frames() {
    common::init();
    let mut h = harness("recaps", "frames.py");
    h.set_src_caps_str("video/x-raw,format=GRAY8,width=4,height=4,framerate=1/1");
    h.push_and_pull(gst::Buffer::with_size(16).unwrap())
        .unwrap();
    h.set_src_caps_str("video/x-raw,format=GRAY8,width=8,height=2,framerate=1/1");
    h.push_and_pull(gst::Buffer::with_size(16).unwrap())
        .unwrap();
    h.set_src_caps_str("application/x-custom");
    h.push_and_pull(gst::Buffer::with_size(3).unwrap()).unwrap();
    let seen = records(&module_key("recaps", "frames"));
    assert_eq!(seen[0]["width"], 4);
    assert_eq!(seen[1]["width"], 8);
    assert_eq!(seen[1]["height"], 2);
    assert_eq!(seen[2]["class"], "Frame");
}

#[test]
fn frames_kept_after_the_callback_are_invalidated() {
    let r = run(&format!(
        "{VIDEO} ! gvarust name=keep module={} ! fakesink",
        callback("keeps_frame.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("keep", "keeps_frame"));
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 9);
    assert!(
        seen.iter().all(|s| s
            .as_str()
            .unwrap()
            .starts_with("invalidated: this frame is no longer valid")),
        "{seen:?}"
    );
}

#[test]
fn properties_change_only_in_null_or_ready() {
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc is-live=true ! gvarust name=locked module={} ! fakesink",
        callback("frames.py")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    pipeline.state(gst::ClockTime::from_seconds(10)).0.unwrap();
    let element = pipeline.by_name("locked").unwrap();
    let before: Vec<(String, String)> = [
        "module",
        "class",
        "function",
        "arg",
        "kwarg",
        "slow-call-warning",
        "reload",
    ]
    .iter()
    .map(|name| {
        (
            name.to_string(),
            format!("{:?}", element.property_value(name)),
        )
    })
    .collect();
    element.set_property("module", "other.py");
    element.set_property("class", "Other");
    element.set_property("function", "other");
    element.set_property("arg", "[1]");
    element.set_property("kwarg", r#"{"k": 1}"#);
    element.set_property("slow-call-warning", 1.0f64);
    element.set_property("reload", true);
    element.set_property_from_str("on-error", "pass");
    for (name, value) in &before {
        assert_eq!(
            &format!("{:?}", element.property_value(name)),
            value,
            "{name} refused while PLAYING"
        );
    }
    assert_eq!(
        element
            .property_value("on-error")
            .get::<&glib::EnumValue>()
            .map(|v| v.nick().to_string())
            .ok(),
        Some("pass".to_string()),
        "on-error may change while PLAYING"
    );
    pipeline.set_state(gst::State::Null).unwrap();
    element.set_property("module", "other.py");
    assert_eq!(element.property::<String>("module"), "other.py");
    let _ = records(&module_key("locked", "frames"));
}

use gst::glib;

#[test]
fn embedded_interpreter_is_set_up_for_callbacks() {
    let r = run(&format!(
        "{VIDEO} ! gvarust name=env module={} ! fakesink",
        callback("environment.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("env", "environment"));
    let facts = &seen[0];
    assert_eq!(facts["executable_exists"], true, "{facts}");
    assert!(
        facts["executable"].as_str().unwrap().contains("python3"),
        "{facts}"
    );
    assert_eq!(facts["gstgva_is_ours"], true);
    assert_eq!(facts["module_registered"], true);
    assert!(facts["argv"].is_array());
}

#[test]
fn shared_buffers_are_made_writable_without_copying_pixels() {
    let mut h = harness("nocopy", "frames.py");
    h.set_src_caps_str("video/x-raw,format=GRAY8,width=4,height=4,framerate=1/1");
    let input = gst::Buffer::from_slice(vec![7u8; 16]);
    let kept = input.clone(); // a second reference: the element must not write into `kept`
    let output = h.push_and_pull(input).unwrap();
    assert_ne!(
        output.as_ptr(),
        kept.as_ptr(),
        "a new buffer object for the metadata"
    );
    assert_eq!(
        output.peek_memory(0).as_ptr(),
        kept.peek_memory(0).as_ptr(),
        "the pixel memory is shared, not copied"
    );
    assert_eq!(
        records(&module_key("nocopy", "frames"))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn frame_buffer_is_a_pygobject_buffer_that_shares_the_buffer_while_held() {
    let r = run(&format!(
        "{VIDEO} ! gvarust name=gbuf module={} ! fakesink",
        callback("frame_buffer.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("gbuf", "frame_buffer"));
    assert_eq!(
        seen[0],
        json!(["Buffer", true, "refused while shared", ["after release"]])
    );
}
