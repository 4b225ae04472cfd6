//! `reload=true`: a changed module file is picked up while the pipeline plays.

mod common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use common::{callback, records};
use gst::prelude::*;

fn write_module(path: &Path, source: &str, bump_seconds: u64) {
    std::fs::write(path, source).unwrap();
    // Make sure the modification time moves even on coarse-grained file systems.
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(bump_seconds))
        .unwrap();
}

fn version(tag: &str, callbacks: &str) -> String {
    format!(
        r#"
import sys
sys.path.insert(0, {callbacks:?})
import recorder

class Worker:
    def __init__(self):
        recorder.record("reload", "{tag} init")

    def on_start(self):
        recorder.record("reload", "{tag} start")

    def process_frame(self, frame):
        recorder.record("reload-frames", "{tag}")
        return True

    def on_stop(self):
        recorder.record("reload", "{tag} stop")
"#
    )
}

/// Waits until `pred` holds for what was recorded under `key` so far.
fn wait_for(key: &str, seen: &mut Vec<String>, pred: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pred(seen) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting; seen {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
        let more = records(key);
        seen.extend(
            more.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string()),
        );
    }
}

#[test]
fn changed_module_is_reloaded_and_a_broken_one_keeps_the_previous_code() {
    common::init();
    let dir = std::env::temp_dir().join(format!("gvarust-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("live.py");
    let callbacks = callback("");
    write_module(&module, &version("v1", &callbacks), 0);

    let pipeline = gst::parse::launch(&format!(
        "videotestsrc is-live=true ! video/x-raw,width=32,height=24,framerate=50/1 ! \
         gvarust reload=true module={} class=Worker ! fakesink",
        module.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let bus = pipeline.bus().unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();

    let mut frames = Vec::new();
    wait_for("reload-frames", &mut frames, |s| {
        s.iter().any(|t| t == "v1")
    });

    write_module(&module, &version("v2", &callbacks), 2);
    wait_for("reload-frames", &mut frames, |s| {
        s.iter().any(|t| t == "v2")
    });

    write_module(&module, "def broken(:\n", 4);
    let deadline = Instant::now() + Duration::from_secs(20);
    let warning = loop {
        assert!(Instant::now() < deadline, "no reload warning");
        if let Some(msg) = bus.timed_pop_filtered(
            gst::ClockTime::from_mseconds(100),
            &[gst::MessageType::Warning, gst::MessageType::Error],
        ) {
            match msg.view() {
                gst::MessageView::Warning(w) => {
                    break (
                        w.error().message().to_string(),
                        w.debug().map(|d| d.to_string()).unwrap_or_default(),
                    )
                }
                gst::MessageView::Error(e) => panic!("unexpected error: {}", e.error()),
                _ => unreachable!(),
            }
        }
    };
    // The previous code keeps running.
    let before = frames.len();
    wait_for("reload-frames", &mut frames, |s| s.len() > before + 5);
    assert!(frames[before..].iter().all(|t| t == "v2"), "{frames:?}");
    pipeline.set_state(gst::State::Null).unwrap();

    assert!(
        warning.0.starts_with(&format!(
            "Reloading '{}' failed, the previous code keeps running: ",
            module.display()
        )),
        "{warning:?}"
    );
    assert!(warning.0.contains("SyntaxError"), "{warning:?}");
    assert!(warning.1.contains("def broken(:"), "{warning:?}");

    let lifecycle = records("reload");
    let lifecycle = common::strs(&lifecycle);
    assert_eq!(
        lifecycle,
        ["v1 init", "v1 start", "v2 init", "v2 start", "v1 stop", "v2 stop"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
