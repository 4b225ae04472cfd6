//! Shared helpers of the integration tests: plugin registration, pipeline runs,
//! and reading what the Python test callbacks recorded.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use gst::prelude::*;
use pyo3::prelude::*;

pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        gst::init().expect("GStreamer initializes");
        gstgvarust::plugin_register_static().expect("gvarust plugin registers");
        // The plugin is linked into the test program here, not loaded from a
        // directory holding the worker program: say where cargo built it.
        std::env::set_var("GVARUST_WORKER", env!("CARGO_BIN_EXE_gvarust-worker"));
    });
}

/// Path of a test callback file under `tests/callbacks`.
pub fn callback(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/callbacks")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The unique module name gvarust gives a file module in element `element`.
pub fn module_key(element: &str, file_stem: &str) -> String {
    format!("gvarust_{element}_{file_stem}")
}

/// What a pipeline run produced.
#[derive(Debug, Default)]
pub struct Run {
    pub errors: Vec<(gst::glib::Error, String)>,
    pub warnings: Vec<(gst::glib::Error, String)>,
    pub element_messages: Vec<gst::Structure>,
    pub buffers_at_sink: u64,
    pub reached_eos: bool,
}

impl Run {
    pub fn error(&self) -> &(gst::glib::Error, String) {
        self.errors
            .first()
            .unwrap_or_else(|| panic!("expected an error, got {self:?}"))
    }
    /// The text of every warning posted, in order.
    pub fn warning_messages(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(|(w, _)| w.message().to_string())
            .collect()
    }
    pub fn assert_ok(&self) {
        assert!(
            self.errors.is_empty(),
            "unexpected errors: {:?}",
            self.errors
        );
        assert!(self.reached_eos, "pipeline did not reach EOS");
    }
}

/// Runs `description` to EOS or error (at most 60 s). Buffers reaching an
/// element named `sink` are counted.
pub fn run(description: &str) -> Run {
    init();
    let pipeline = gst::parse::launch(description)
        .unwrap_or_else(|e| panic!("cannot parse '{description}': {e}"))
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
    run_pipeline(&pipeline)
}

pub fn run_pipeline(pipeline: &gst::Pipeline) -> Run {
    run_pipeline_within(pipeline, Duration::from_secs(60))
}

/// [`run_pipeline`] with a deadline of `limit` for reaching EOS or an error.
pub fn run_pipeline_within(pipeline: &gst::Pipeline, limit: Duration) -> Run {
    let counter = Arc::new(AtomicU64::new(0));
    if let Some(sink) = pipeline.by_name("sink") {
        let counter = counter.clone();
        sink.static_pad("sink").expect("sink pad").add_probe(
            gst::PadProbeType::BUFFER,
            move |_, _| {
                counter.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            },
        );
    }
    let mut run = Run::default();
    let bus = pipeline.bus().expect("pipeline bus");
    // Warnings are collected as they are posted: the bus drops queued messages
    // when the pipeline goes to NULL, which would lose those posted at stop.
    let warnings: Arc<std::sync::Mutex<Vec<(gst::glib::Error, String)>>> = Arc::default();
    let sink = warnings.clone();
    bus.set_sync_handler(move |_, msg| {
        if let gst::MessageView::Warning(w) = msg.view() {
            let debug = w.debug().map(|d| d.to_string()).unwrap_or_default();
            sink.lock().unwrap().push((w.error(), debug));
        }
        gst::BusSyncReply::Pass
    });
    {
        let _ = pipeline.set_state(gst::State::Playing);
        let deadline = std::time::Instant::now() + limit;
        loop {
            let remaining = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!remaining.is_zero(), "pipeline timed out: {run:?}");
            let Some(msg) =
                bus.timed_pop(gst::ClockTime::from_mseconds(remaining.as_millis() as u64))
            else {
                continue;
            };
            match msg.view() {
                gst::MessageView::Eos(_) => {
                    run.reached_eos = true;
                    break;
                }
                gst::MessageView::Error(e) => {
                    run.errors.push((
                        e.error(),
                        e.debug().map(|d| d.to_string()).unwrap_or_default(),
                    ));
                    break;
                }
                gst::MessageView::Element(e) => {
                    if let Some(s) = e.structure() {
                        run.element_messages.push(s.to_owned());
                    }
                }
                _ => {}
            }
        }
    }
    pipeline
        .set_state(gst::State::Null)
        .expect("pipeline stops");
    bus.unset_sync_handler();
    run.warnings = std::mem::take(&mut *warnings.lock().unwrap());
    run.buffers_at_sink = counter.load(Ordering::Relaxed);
    run
}

/// Takes what the test callbacks recorded under `key` (see `recorder.py`), as JSON.
pub fn records(key: &str) -> serde_json::Value {
    Python::attach(|py| {
        let recorder = py
            .import("sys")
            .and_then(|sys| sys.getattr("modules"))
            .and_then(|m| m.get_item("recorder"))
            .expect("recorder module was imported by a callback");
        let taken = recorder.call_method1("take", (key,)).expect("take");
        let text: String = py
            .import("json")
            .and_then(|json| {
                let kwargs = pyo3::types::PyDict::new(py);
                kwargs.set_item("default", py.import("builtins")?.getattr("str")?)?;
                json.call_method("dumps", (taken,), Some(&kwargs))
            })
            .and_then(|s| s.extract())
            .expect("records are JSON-serializable");
        serde_json::from_str(&text).expect("valid JSON")
    })
}

/// Runs `command` (stdin closed) to completion, killing it and failing the test
/// when it has not finished after `limit`.
pub fn output_within(mut command: std::process::Command, limit: Duration) -> std::process::Output {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("command starts");
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().expect("wait works").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("killed command exits");
            panic!(
                "{command:?} did not finish within {limit:?}; output:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("command output")
}

/// A directory holding only the plugin built alongside this test.
///
/// `cargo test` refreshes `target/<profile>/deps/libgstgvarust.so` but not the
/// copy one level up, and `deps/` holds other libraries GStreamer would scan, so
/// the fresh plugin is copied to a directory of its own.
pub fn fresh_plugin_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let built = exe.with_file_name("libgstgvarust.so");
        assert!(built.exists(), "plugin not built at {}", built.display());
        let dir = std::env::temp_dir().join(format!("gvarust-test-plugin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("plugin dir");
        std::fs::copy(&built, dir.join("libgstgvarust.so")).expect("plugin copied");
        // isolation=process finds its worker next to the plugin.
        std::fs::copy(
            env!("CARGO_BIN_EXE_gvarust-worker"),
            dir.join(gstgvarust::isolation::WORKER_NAME),
        )
        .expect("worker copied");
        dir
    })
    .clone()
}

/// `target/<profile>`: where cargo puts the plugin (as the README's
/// `GST_PLUGIN_PATH` says). A bare `cargo test` does not refresh the plugin
/// there (`cargo build` does): use [`fresh_plugin_dir`] to load this build's.
pub fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("test executable lies in target/<profile>/deps")
        .to_path_buf();
    assert!(
        dir.join("libgstgvarust.so").exists(),
        "plugin not built at {}",
        dir.display()
    );
    dir
}

/// The Python version the plugin was built for (from PYO3_PYTHON, recorded by build.rs)
/// and another `major.minor.patch` version, for hosts that must be refused.
pub fn built_and_other_python_version() -> (&'static str, &'static str) {
    let built_for = env!("GVARUST_BUILD_PYTHON_VERSION");
    let other = if built_for == "3.12" {
        "3.11.9"
    } else {
        "3.12.9"
    };
    (built_for, other)
}

/// Compiles (with `cc`) a shared library whose `Py_GetVersion()` returns `version`: with
/// LD_PRELOAD, it makes a process look like it runs that Python, the way the plugin's
/// C API calls bind to a host on another version. Returns the library's path.
pub fn fake_python_version_library(version: &str) -> PathBuf {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "gvarust-fake-python-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let source = dir.join("fake.c");
    std::fs::write(
        &source,
        format!(
            "const char *Py_GetVersion(void) {{ return \"{version} (fake host interpreter)\"; }}\n"
        ),
    )
    .expect("write fake.c");
    let library = dir.join("libfakepython.so");
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .status()
        .expect("a C compiler (cc) runs");
    assert!(status.success(), "cc failed on {}", source.display());
    library
}

/// Compiles (with `cc`, once per test process) a minimal C program that embeds the
/// Python the plugin was built for (linked to its shared libpython) and runs the
/// script named by `$HOST_SCRIPT` with `$HOST_ARG` as its argument: a host
/// application whose `Py_GetVersion` a preloaded library can replace. (The python
/// executables of some distributions, Debian 13's among them, define the C API
/// themselves, and the executable's own symbols come before any preload.)
pub fn embedding_python_host() -> PathBuf {
    static HOST: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("gvarust-python-host-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let source = dir.join("host.c");
        std::fs::write(
            &source,
            "#include <Python.h>\n\
             int main(void) {\n\
                 Py_Initialize();\n\
                 int failed = PyRun_SimpleString(\n\
                     \"import os, runpy, sys\\n\"\n\
                     \"sys.argv = [os.environ['HOST_SCRIPT'], os.environ['HOST_ARG']]\\n\"\n\
                     \"try:\\n    runpy.run_path(sys.argv[0], run_name='__main__')\\n\"\n\
                     \"finally:\\n    sys.stdout.flush()\\n\");\n\
                 return failed ? 1 : 0;\n\
             }\n",
        )
        .expect("write host.c");
        let config = format!("python{}-config", env!("GVARUST_BUILD_PYTHON_VERSION"));
        let flags = std::process::Command::new(&config)
            .args(["--embed", "--cflags", "--ldflags"])
            .output()
            .unwrap_or_else(|e| panic!("{config} runs (Python development files): {e}"));
        assert!(flags.status.success(), "{config} failed");
        let flags = String::from_utf8(flags.stdout).expect("flags are text");
        let host = dir.join("python-host");
        let status = std::process::Command::new("cc")
            .arg(&source)
            .arg("-o")
            .arg(&host)
            .args(flags.split_whitespace())
            .status()
            .expect("a C compiler (cc) runs");
        assert!(status.success(), "cc failed on {}", source.display());
        host
    })
    .clone()
}

/// A watchdog's end: [`Watchdog::done`] says the test finished in time.
pub struct Watchdog(std::sync::mpsc::Sender<()>);

impl Watchdog {
    pub fn done(self) {
        let _ = self.0.send(());
    }
}

/// Aborts the process unless [`Watchdog::done`] is called within `limit`: a
/// deadlock fails the test run instead of hanging it. `progress` counts the
/// steps done. (A test that panics first drops its `Watchdog`, which ends
/// the watch.)
pub fn watchdog(test: &'static str, progress: Arc<AtomicU64>, limit: Duration) -> Watchdog {
    let (sender, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if finished.recv_timeout(limit) != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            return;
        }
        eprintln!(
            "{test} watchdog: no completion after {limit:?} ({} state changes done); \
             probable deadlock, aborting",
            progress.load(Ordering::Relaxed)
        );
        std::process::abort();
    });
    Watchdog(sender)
}

/// A small deterministic pseudo-random sequence (xorshift64).
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Sets `transitions` random states on random `pipelines` (the same sequence
/// every run), now and then waiting for a transition to finish, so both
/// settled and in-flight transitions get interrupted by the next change.
/// Counts each step in `progress`, then calls `after_step` with its number.
pub fn random_state_changes(
    pipelines: &[gst::Pipeline],
    transitions: usize,
    progress: &AtomicU64,
    mut after_step: impl FnMut(usize),
) {
    let states = [
        gst::State::Null,
        gst::State::Ready,
        gst::State::Paused,
        gst::State::Playing,
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for step in 0..transitions {
        let pipeline = &pipelines[rng.below(pipelines.len())];
        let target = states[rng.below(states.len())];
        let result = pipeline.set_state(target);
        assert!(result.is_ok(), "step {step}: set_state({target:?}) failed");
        if rng.below(4) == 0 {
            let (result, _, _) = pipeline.state(gst::ClockTime::from_seconds(20));
            assert!(result.is_ok(), "step {step}: {target:?} did not complete");
        }
        progress.fetch_add(1, Ordering::Relaxed);
        after_step(step);
    }
}

/// What `look` makes of each buffer that reaches the `sink` pad of the
/// element named `name`, in order (read it after the pipeline ran).
pub fn seen_at<T: Send + 'static>(
    pipeline: &gst::Pipeline,
    name: &str,
    look: impl Fn(&gst::BufferRef) -> T + Send + Sync + 'static,
) -> Arc<std::sync::Mutex<Vec<T>>> {
    let seen: Arc<std::sync::Mutex<Vec<T>>> = Arc::default();
    let store = seen.clone();
    sink_pad(pipeline, name).add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        if let Some(buffer) = info.buffer() {
            let item = look(buffer);
            store.lock().unwrap().push(item);
        }
        gst::PadProbeReturn::Ok
    });
    seen
}

/// Adds one to `counter` for each buffer that reaches the `sink` pad of the
/// element named `name`.
pub fn count_buffers_at(pipeline: &gst::Pipeline, name: &str, counter: &Arc<AtomicU64>) {
    let counter = counter.clone();
    sink_pad(pipeline, name).add_probe(gst::PadProbeType::BUFFER, move |_, _| {
        counter.fetch_add(1, Ordering::Relaxed);
        gst::PadProbeReturn::Ok
    });
}

fn sink_pad(pipeline: &gst::Pipeline, name: &str) -> gst::Pad {
    pipeline
        .by_name(name)
        .unwrap_or_else(|| panic!("no element named {name}"))
        .static_pad("sink")
        .expect("a sink pad")
}

/// The strings of a JSON array of strings (as the callbacks record them).
pub fn strs(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}
