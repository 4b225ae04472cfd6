//! The `gvarust` element: an in-place `GstBaseTransform` that hands every
//! buffer to a user Python callable.
//!
//! Life cycle: `start()` loads the user code (the interpreter starts on first
//! use), `transform_ip()` calls it per buffer, `sink_event()` feeds the event
//! hooks and follows caps, `stop()` calls `on_stop()` and releases every Python
//! object. Lock order: the GIL first, then `state`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::{Duration, Instant};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::prelude::*;
use gst_base::subclass::prelude::*;
use gvarust_meta::py::FrameKind;
use serde_json::{Map, Value};

use super::OnError;
use crate::pyhost::{self, Callback, CallbackSpec, HookResult, PyFailure};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "gvarust",
        gst::DebugColorFlags::empty(),
        Some("gvarust Python callback element"),
    )
});

const DEFAULT_FUNCTION: &str = "process_frame";
const DEFAULT_SLOW_CALL_WARNING: f64 = 5.0;
/// How often `reload=true` looks at the module file's modification time.
const RELOAD_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// What the properties say. Changed only in NULL/READY (except `on-error` and
/// `slow-call-warning`, which apply at once).
#[derive(Debug, Clone)]
struct Settings {
    module: Option<String>,
    class: Option<String>,
    function: String,
    args: Vec<Value>,
    kwargs: Map<String, Value>,
    /// The last rejected `arg` value and why; reported at `start()`.
    arg_error: Option<String>,
    /// The last rejected `kwarg` value and why; reported at `start()`.
    kwarg_error: Option<String>,
    on_error: OnError,
    slow_call_warning: f64,
    reload: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            module: None,
            class: None,
            function: DEFAULT_FUNCTION.to_string(),
            args: Vec::new(),
            kwargs: Map::new(),
            arg_error: None,
            kwarg_error: None,
            on_error: OnError::default(),
            slow_call_warning: DEFAULT_SLOW_CALL_WARNING,
            reload: false,
        }
    }
}

/// Reads a JSON property value: inline JSON, or `@path` for a file's JSON.
fn read_json_value(value: &str) -> Result<Value, String> {
    if let Some(path) = value.strip_prefix('@') {
        // A FIFO or device would block set_property (and the thread setting it).
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() && !meta.is_dir() {
                return Err(format!(
                    "cannot read JSON file '{path}': not a regular file"
                ));
            }
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read JSON file '{path}': {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("file '{path}' is not valid JSON: {e}"))
    } else {
        serde_json::from_str(value).map_err(|e| format!("'{value}' is not valid JSON: {e}"))
    }
}

/// Posts warnings at most once a second, counting the ones held back.
#[derive(Debug, Default)]
struct WarningLimiter {
    last: Option<Instant>,
    suppressed: u64,
}

impl WarningLimiter {
    /// `Some(count of suppressed warnings)` when a warning may be posted now.
    fn admit(&mut self) -> Option<u64> {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < Duration::from_secs(1) => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

/// With `reload=true`: the module file to watch and how to load it again.
struct ReloadWatch {
    spec: CallbackSpec,
    path: std::path::PathBuf,
    modified: Option<std::time::SystemTime>,
    next_check: Instant,
}

fn modification_time(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Everything one run (start to stop) builds.
struct State {
    callback: Callback,
    frame_kind: FrameKind,
    warnings: WarningLimiter,
    reload: Option<ReloadWatch>,
    /// An event hook failed with `on-error=fail`: the element error is posted and
    /// the event was not forwarded, so later buffers must not flow either (they
    /// would reach downstream without stream-start, caps or segment).
    failed: bool,
}

/// Per-run callback statistics, kept with relaxed atomics (no lock per buffer).
#[derive(Debug, Default)]
struct Stats {
    calls: AtomicU64,
    dropped: AtomicU64,
    errors: AtomicU64,
    callback_ns: AtomicU64,
    callback_max_ns: AtomicU64,
    gil_wait_ns: AtomicU64,
    gil_wait_max_ns: AtomicU64,
}

impl Stats {
    fn reset(&self) {
        for counter in [
            &self.calls,
            &self.dropped,
            &self.errors,
            &self.callback_ns,
            &self.callback_max_ns,
            &self.gil_wait_ns,
            &self.gil_wait_max_ns,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    fn record(&self, gil_wait: Duration, callback: Duration) {
        let gil_wait = gil_wait.as_nanos() as u64;
        let callback = callback.as_nanos() as u64;
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.gil_wait_ns.fetch_add(gil_wait, Ordering::Relaxed);
        self.gil_wait_max_ns.fetch_max(gil_wait, Ordering::Relaxed);
        self.callback_ns.fetch_add(callback, Ordering::Relaxed);
        self.callback_max_ns.fetch_max(callback, Ordering::Relaxed);
    }

    fn structure(&self) -> gst::Structure {
        let calls = self.calls.load(Ordering::Relaxed);
        let mean_us = |total: &AtomicU64| {
            if calls == 0 {
                0.0
            } else {
                total.load(Ordering::Relaxed) as f64 / calls as f64 / 1000.0
            }
        };
        let max_us = |max: &AtomicU64| max.load(Ordering::Relaxed) as f64 / 1000.0;
        gst::Structure::builder("gvarust-stats")
            .field("calls", calls)
            .field("dropped", self.dropped.load(Ordering::Relaxed))
            .field("errors", self.errors.load(Ordering::Relaxed))
            .field("callback-mean-us", mean_us(&self.callback_ns))
            .field("callback-max-us", max_us(&self.callback_max_ns))
            .field("gil-wait-mean-us", mean_us(&self.gil_wait_ns))
            .field("gil-wait-max-us", max_us(&self.gil_wait_max_ns))
            .build()
    }
}

/// Reports a Python call that runs longer than the threshold, once per call,
/// from a thread of its own (the streaming thread is stuck in Python).
struct Watchdog {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: std::thread::JoinHandle<()>,
}

/// Monotonic nanoseconds since the first use, never 0 (0 means "no call running").
fn monotonic_ns() -> u64 {
    monotonic_ns_at(Instant::now())
}

/// `monotonic_ns()` of an instant already taken (one clock read less per buffer).
fn monotonic_ns_at(instant: Instant) -> u64 {
    static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
    instant.saturating_duration_since(*EPOCH).as_nanos() as u64 + 1
}

/// When the current Python call started (`monotonic_ns`), or 0 when idle.
#[derive(Debug, Default)]
struct CallClock {
    started: AtomicU64,
    label: Mutex<String>,
}

impl Watchdog {
    fn spawn(element: &super::GvaRust, clock: Arc<CallClock>, threshold: f64) -> Option<Self> {
        if threshold <= 0.0 || !threshold.is_finite() {
            return None;
        }
        let threshold_ns = (threshold * 1e9) as u64;
        let poll = Duration::from_secs_f64((threshold / 4.0).clamp(0.01, 0.25));
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak = element.downgrade();
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("gvarust-watchdog".into())
            .spawn(move || {
                let (lock, cvar) = &*thread_stop;
                let mut warned_for = 0;
                let mut stopped = lock.lock().unwrap();
                while !*stopped {
                    stopped = cvar.wait_timeout(stopped, poll).unwrap().0;
                    let started = clock.started.load(Ordering::Acquire);
                    if started == 0 || started == warned_for {
                        continue;
                    }
                    let running = monotonic_ns().saturating_sub(started);
                    if running < threshold_ns {
                        continue;
                    }
                    warned_for = started;
                    let Some(element) = weak.upgrade() else { break };
                    let label = clock.label.lock().unwrap().clone();
                    gst::element_warning!(
                        element,
                        gst::LibraryError::Failed,
                        (
                            "{} has been running for {:.1} s in element {}; the stream is stalled until it returns",
                            label,
                            running as f64 / 1e9,
                            element.name()
                        )
                    );
                }
            })
            .ok()?;
        Some(Watchdog { stop, thread })
    }

    fn shutdown(self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap() = true;
        cvar.notify_all();
        let _ = self.thread.join();
    }
}

#[derive(Default)]
pub struct GvaRust {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
    stats: Stats,
    clock: Arc<CallClock>,
    watchdog: Mutex<Option<Watchdog>>,
    /// Whether a named (non-file) module was imported by an earlier run, so the
    /// next start re-executes it instead of reusing the cached import.
    named_module_loaded: AtomicBool,
}

impl GvaRust {
    fn post_failure(&self, failure: &PyFailure, mode: OnError, warnings: &mut WarningLimiter) {
        match mode {
            OnError::Fail => {
                gst::element_imp_error!(
                    self,
                    gst::LibraryError::Failed,
                    ("{}", failure.message),
                    ["{}", failure.debug]
                );
            }
            OnError::Drop | OnError::Pass => {
                if let Some(suppressed) = warnings.admit() {
                    let note = if suppressed > 0 {
                        format!(" ({suppressed} similar warnings suppressed)")
                    } else {
                        String::new()
                    };
                    gst::element_imp_warning!(
                        self,
                        gst::LibraryError::Failed,
                        ("{}{}", failure.message, note),
                        ["{}", failure.debug]
                    );
                }
            }
        }
    }

    /// With `reload=true`, picks up a changed module file before the next buffer:
    /// the new code is loaded and started first, and only when that worked does
    /// it replace the running code (whose `on_stop()` then runs). A failed reload
    /// keeps the previous code and posts a warning with the traceback.
    fn maybe_reload(&self, py: pyo3::Python<'_>, state: &mut State, now: Instant) {
        let Some(watch) = state.reload.as_mut() else {
            return;
        };
        if now < watch.next_check {
            return;
        }
        watch.next_check = now + RELOAD_CHECK_INTERVAL;
        let modified = modification_time(&watch.path);
        if modified == watch.modified {
            return;
        }
        watch.modified = modified;
        let mut spec = watch.spec.clone();
        spec.reload_named_module = true;
        let shown = watch.path.display().to_string();
        let loaded = Callback::load(py, &spec).and_then(|new| match new.on_start(py) {
            Ok(()) => Ok(new),
            Err(failure) => {
                new.unload(py);
                Err(failure)
            }
        });
        match loaded {
            Ok(new) => {
                let old = std::mem::replace(&mut state.callback, new);
                if let Err(failure) = old.on_stop(py) {
                    gst::element_imp_warning!(
                        self,
                        gst::LibraryError::Failed,
                        ("{}", failure.message),
                        ["{}", failure.debug]
                    );
                }
                old.unload(py);
                *self.clock.label.lock().unwrap() =
                    format!("Python callback {}", state.callback.function_label());
                gst::info!(CAT, imp = self, "reloaded '{shown}'");
            }
            Err(failure) => {
                state.callback.register_module(py);
                gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Init,
                    (
                        "Reloading '{}' failed, the previous code keeps running: {}",
                        shown,
                        failure.message
                    ),
                    ["{}", failure.debug]
                );
            }
        }
    }

    fn on_error_mode(&self) -> OnError {
        self.settings.lock().unwrap().on_error
    }

    fn start_error(message: &str, debug: &str) -> gst::ErrorMessage {
        if debug.is_empty() {
            gst::error_msg!(gst::LibraryError::Init, ("{}", message))
        } else {
            gst::error_msg!(gst::LibraryError::Init, ("{}", message), ["{}", debug])
        }
    }

    /// Runs the event hooks for `event`; `false` means the event is dropped.
    fn handle_event_hooks(
        &self,
        py: pyo3::Python<'_>,
        state: &mut State,
        event: &gst::Event,
    ) -> bool {
        let droppable = matches!(
            event.type_(),
            gst::EventType::Tag
                | gst::EventType::CustomDownstream
                | gst::EventType::CustomDownstreamOob
                | gst::EventType::CustomDownstreamSticky
                | gst::EventType::CustomBoth
                | gst::EventType::CustomBothOob
        );
        let mut keep = true;
        match state.callback.process_event(py, event) {
            Ok(HookResult::Drop) if droppable => keep = false,
            Ok(_) => {}
            Err(failure) => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                let mode = self.on_error_mode();
                self.post_failure(&failure, mode, &mut state.warnings);
                match mode {
                    OnError::Fail => {
                        state.failed = true;
                        return false;
                    }
                    OnError::Drop => keep = !droppable,
                    OnError::Pass => {}
                }
            }
        }
        if keep && event.type_() == gst::EventType::Eos {
            if let Err(failure) = state.callback.on_eos(py) {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                let mode = self.on_error_mode();
                self.post_failure(&failure, mode, &mut state.warnings);
                if mode == OnError::Fail {
                    state.failed = true;
                    return false;
                }
            }
        }
        keep
    }
}

#[glib::object_subclass]
impl ObjectSubclass for GvaRust {
    const NAME: &'static str = "GstGvaRust";
    type Type = super::GvaRust;
    type ParentType = gst_base::BaseTransform;

    fn class_init(klass: &mut Self::Class) {
        // gstreamer-rs always installs a `set_caps` vfunc, and GstBaseTransform
        // refuses buffers (not-negotiated) when one exists but no caps arrived.
        // gvarust accepts caps-less streams, follows caps from the CAPS event
        // instead, and so removes it.
        //
        // SAFETY: `Self::Class` is `#[repr(C)]` with the parent's class struct
        // (`GstBaseTransformClass`) as its first field, and class_init runs once,
        // before any instance exists, after the parent set up its vfuncs.
        unsafe {
            let class =
                &mut *(klass as *mut Self::Class as *mut gst_base::ffi::GstBaseTransformClass);
            class.set_caps = None;
        }
    }
}

impl ObjectImpl for GvaRust {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("module")
                    .nick("Python module")
                    .blurb(
                        "Python file to load (a path: contains '/', ends in '.py' or names an \
                         existing file; loaded as a module private to this element), or a module \
                         name imported from sys.path",
                    )
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("class")
                    .nick("Python class")
                    .blurb(
                        "Class in the module to instantiate once at start with 'arg' and 'kwarg'; \
                         'function' is then a method of that instance (empty: call a module-level function)",
                    )
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("function")
                    .nick("Python function")
                    .blurb(
                        "Function (or method of the class instance) called with one frame per buffer; \
                         a truthy result pushes the buffer, a falsy one (including None) drops it",
                    )
                    .default_value(Some(DEFAULT_FUNCTION))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("arg")
                    .nick("Constructor arguments")
                    .blurb(
                        "JSON value(s) appended to the class constructor's positional arguments \
                         (an array is flattened one level; each set appends), or @FILE to read the \
                         JSON from a file; reads back as the accumulated JSON array",
                    )
                    .default_value(Some("[]"))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("kwarg")
                    .nick("Constructor keyword arguments")
                    .blurb(
                        "JSON object merged into the class constructor's keyword arguments (later keys \
                         win; each set merges), or @FILE to read the JSON from a file; reads back as \
                         the merged JSON object",
                    )
                    .default_value(Some("{}"))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("on-error", OnError::default())
                    .nick("On error")
                    .blurb(
                        "What to do when the Python callback or a hook raises: fail (post an error \
                         with the traceback and stop), drop (drop the buffer) or pass (push it on); \
                         drop and pass post rate-limited warnings",
                    )
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("slow-call-warning")
                    .nick("Slow call warning")
                    .blurb(
                        "Seconds a single Python call may run before a warning naming this element is \
                         posted (once per call), so a hung callback is visible; 0 disables",
                    )
                    .minimum(0.0)
                    .maximum(86400.0)
                    .default_value(DEFAULT_SLOW_CALL_WARNING)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecBoolean::builder("reload")
                    .nick("Reload on change")
                    .blurb(
                        "For development: when the module file changes (checked a few times a second), \
                         load it again before the next buffer (class re-instantiated, on_stop()/on_start() \
                         called); a reload that fails keeps the previous code and posts a warning",
                    )
                    .default_value(false)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecBoxed::builder::<gst::Structure>("stats")
                    .nick("Statistics")
                    .blurb(
                        "Callback statistics of the current run: calls, dropped, errors, \
                         callback-mean-us, callback-max-us, gil-wait-mean-us, gil-wait-max-us",
                    )
                    .read_only()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let name = pspec.name();
        let ready_only = !matches!(name, "on-error");
        if ready_only && self.obj().current_state() > gst::State::Ready {
            gst::warning!(
                CAT,
                imp = self,
                "property '{name}' can only be changed in the NULL or READY state; ignoring the new value"
            );
            return;
        }
        let mut settings = self.settings.lock().unwrap();
        match name {
            "module" => {
                settings.module = value
                    .get::<Option<String>>()
                    .expect("type checked upstream");
                gst::info!(CAT, imp = self, "module set to {:?}", settings.module);
            }
            "class" => {
                settings.class = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|c| !c.is_empty());
                gst::info!(CAT, imp = self, "class set to {:?}", settings.class);
            }
            "function" => {
                settings.function = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|f| !f.is_empty())
                    .unwrap_or_else(|| DEFAULT_FUNCTION.to_string());
                gst::info!(CAT, imp = self, "function set to {}", settings.function);
            }
            "arg" => {
                let Some(text) = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                else {
                    settings.args.clear();
                    settings.arg_error = None;
                    return;
                };
                match read_json_value(&text) {
                    Ok(Value::Array(items)) => {
                        settings.args.extend(items);
                        settings.arg_error = None;
                    }
                    Ok(item) => {
                        settings.args.push(item);
                        settings.arg_error = None;
                    }
                    Err(reason) => {
                        gst::error!(CAT, imp = self, "ignoring invalid 'arg': {reason}");
                        settings.arg_error = Some(reason);
                    }
                }
                gst::info!(
                    CAT,
                    imp = self,
                    "arg is now {}",
                    Value::Array(settings.args.clone())
                );
            }
            "kwarg" => {
                let Some(text) = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                else {
                    settings.kwargs.clear();
                    settings.kwarg_error = None;
                    return;
                };
                match read_json_value(&text) {
                    Ok(Value::Object(map)) => {
                        settings.kwargs.extend(map);
                        settings.kwarg_error = None;
                    }
                    Ok(other) => {
                        let reason = format!("{} is not a JSON object", other);
                        gst::error!(CAT, imp = self, "ignoring invalid 'kwarg': {reason}");
                        settings.kwarg_error = Some(reason);
                    }
                    Err(reason) => {
                        gst::error!(CAT, imp = self, "ignoring invalid 'kwarg': {reason}");
                        settings.kwarg_error = Some(reason);
                    }
                }
                gst::info!(
                    CAT,
                    imp = self,
                    "kwarg is now {}",
                    Value::Object(settings.kwargs.clone())
                );
            }
            "on-error" => {
                settings.on_error = value.get().expect("type checked upstream");
                gst::info!(CAT, imp = self, "on-error set to {:?}", settings.on_error);
            }
            "slow-call-warning" => {
                settings.slow_call_warning = value.get().expect("type checked upstream");
                gst::info!(
                    CAT,
                    imp = self,
                    "slow-call-warning set to {} s",
                    settings.slow_call_warning
                );
            }
            "reload" => {
                settings.reload = value.get().expect("type checked upstream");
                gst::info!(CAT, imp = self, "reload set to {}", settings.reload);
            }
            other => unreachable!("unknown property {other}"),
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let settings = self.settings.lock().unwrap();
        match pspec.name() {
            "module" => settings.module.to_value(),
            "class" => settings.class.to_value(),
            "function" => settings.function.to_value(),
            "arg" => Value::Array(settings.args.clone()).to_string().to_value(),
            "kwarg" => Value::Object(settings.kwargs.clone())
                .to_string()
                .to_value(),
            "on-error" => settings.on_error.to_value(),
            "slow-call-warning" => settings.slow_call_warning.to_value(),
            "reload" => settings.reload.to_value(),
            "stats" => self.stats.structure().to_value(),
            other => unreachable!("unknown property {other}"),
        }
    }
}

impl GstObjectImpl for GvaRust {}

impl ElementImpl for GvaRust {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static ELEMENT_METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Python callback (gvarust)",
                "Filter/Analyzer/Video",
                "Calls a user Python function, or a method of a user class instance, on every \
                 buffer with a gstgva-compatible frame (VideoFrame, AudioFrame or Frame); a falsy \
                 result drops the buffer",
                "The gvarust developers",
            )
        });
        Some(&*ELEMENT_METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static PAD_TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let caps = gst::Caps::new_any();
            vec![
                gst::PadTemplate::new(
                    "src",
                    gst::PadDirection::Src,
                    gst::PadPresence::Always,
                    &caps,
                )
                .expect("valid src template"),
                gst::PadTemplate::new(
                    "sink",
                    gst::PadDirection::Sink,
                    gst::PadPresence::Always,
                    &caps,
                )
                .expect("valid sink template"),
            ]
        });
        PAD_TEMPLATES.as_ref()
    }
}

impl BaseTransformImpl for GvaRust {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = self.settings.lock().unwrap().clone();
        if let Some(reason) = &settings.arg_error {
            return Err(Self::start_error(
                &format!("Property 'arg' has an invalid value: {reason}"),
                "",
            ));
        }
        if let Some(reason) = &settings.kwarg_error {
            return Err(Self::start_error(
                &format!("Property 'kwarg' has an invalid value: {reason}"),
                "",
            ));
        }
        let Some(module) = settings.module.clone().filter(|m| !m.is_empty()) else {
            return Err(Self::start_error(
                "Property 'module' is not set: name a Python file or module",
                "",
            ));
        };
        pyhost::ensure_started()
            .map_err(|reason| Self::start_error(&format!("Cannot start Python: {reason}"), ""))?;

        let spec = CallbackSpec {
            module,
            class: settings.class.clone(),
            function: settings.function.clone(),
            args_json: Value::Array(settings.args.clone()).to_string(),
            kwargs_json: Value::Object(settings.kwargs.clone()).to_string(),
            element_name: self.obj().name().to_string(),
            reload_named_module: self.named_module_loaded.load(Ordering::Relaxed),
        };
        let element = self.obj();
        let callback = pyhost::attach(|py| {
            let _running = pyhost::running_for(element.upcast_ref());
            let callback = Callback::load(py, &spec)?;
            if let Err(failure) = callback.on_start(py) {
                callback.unload(py);
                return Err(failure);
            }
            Ok(callback)
        })
        .map_err(|failure: PyFailure| Self::start_error(&failure.message, &failure.debug))?;
        if !spec.module_is_path() {
            self.named_module_loaded.store(true, Ordering::Relaxed);
        }
        *self.clock.label.lock().unwrap() =
            format!("Python callback {}", callback.function_label());
        gst::info!(
            CAT,
            imp = self,
            "loaded {} from '{}'",
            callback.function_label(),
            spec.module
        );

        let sink_caps = element.sink_pad().current_caps();
        pyhost::attach(|py| {
            let reload = settings
                .reload
                .then(|| callback.source_file(py, &spec))
                .flatten()
                .map(|path| ReloadWatch {
                    modified: modification_time(&path),
                    path,
                    spec: spec.clone(),
                    next_check: Instant::now() + RELOAD_CHECK_INTERVAL,
                });
            *self.state.lock().unwrap() = Some(State {
                callback,
                frame_kind: FrameKind::from_caps(sink_caps.as_deref()),
                warnings: WarningLimiter::default(),
                failed: false,
                reload,
            });
        });
        self.stats.reset();
        *self.watchdog.lock().unwrap() =
            Watchdog::spawn(&element, self.clock.clone(), settings.slow_call_warning);
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        if let Some(watchdog) = self.watchdog.lock().unwrap().take() {
            watchdog.shutdown();
        }
        // Taken without the GIL: nothing waits for the GIL while holding `state`.
        let state = self.state.lock().unwrap().take();
        if let Some(state) = state {
            let element = self.obj();
            pyhost::attach(|py| {
                let _running = pyhost::running_for(element.upcast_ref());
                if let Err(failure) = state.callback.on_stop(py) {
                    gst::element_imp_warning!(
                        self,
                        gst::LibraryError::Failed,
                        ("{}", failure.message),
                        ["{}", failure.debug]
                    );
                }
                state.callback.unload(py);
            });
            gst::info!(CAT, imp = self, "stopped: {}", self.stats.structure());
        }
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        if !pyhost::is_started() {
            return self.parent_sink_event(event);
        }
        let element = self.obj();
        let keep = pyhost::attach(|py| {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                return true;
            };
            if let gst::EventView::Caps(caps) = event.view() {
                state.frame_kind = FrameKind::from_caps(Some(caps.caps()));
                gst::debug!(
                    CAT,
                    imp = self,
                    "caps {} give {} objects",
                    caps.caps(),
                    state.frame_kind.class_name()
                );
            }
            let _running = pyhost::running_for(element.upcast_ref());
            self.handle_event_hooks(py, state, &event)
        });
        if event.type_() == gst::EventType::Eos && keep {
            let _ = element.post_message(
                gst::message::Element::builder(self.stats.structure())
                    .src(&*element)
                    .build(),
            );
        }
        if keep {
            self.parent_sink_event(event)
        } else {
            gst::debug!(
                CAT,
                imp = self,
                "process_event() dropped {:?}",
                event.type_()
            );
            true
        }
    }

    fn propose_allocation(
        &self,
        decide_query: Option<&gst::query::Allocation>,
        query: &mut gst::query::Allocation,
    ) -> Result<(), gst::LoggableError> {
        self.parent_propose_allocation(decide_query, query)?;
        if query
            .find_allocation_meta::<gst_video::VideoMeta>()
            .is_none()
        {
            query.add_allocation_meta::<gst_video::VideoMeta>(None);
        }
        Ok(())
    }

    fn transform_ip(
        &self,
        buffer: &mut gst::BufferRef,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let element = self.obj();
        let waiting_since = Instant::now();
        pyhost::attach(|py| {
            // One clock read serves the GIL wait, the call's start and the watchdog.
            let call_start = Instant::now();
            let gil_wait = call_start.saturating_duration_since(waiting_since);
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                return Err(gst::FlowError::Flushing);
            };
            if state.failed {
                return Err(gst::FlowError::Error);
            }
            let _running = pyhost::running_for(element.upcast_ref());
            if state.reload.is_some() {
                self.maybe_reload(py, state, call_start);
            }
            self.clock
                .started
                .store(monotonic_ns_at(call_start), Ordering::Release);
            let outcome = state.callback.process_buffer(py, &state.frame_kind, buffer);
            self.clock.started.store(0, Ordering::Release);
            self.stats.record(gil_wait, call_start.elapsed());
            match outcome {
                Ok(true) => Ok(gst::FlowSuccess::Ok),
                Ok(false) => {
                    self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED)
                }
                Err(failure) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    let mode = self.on_error_mode();
                    self.post_failure(&failure, mode, &mut state.warnings);
                    match mode {
                        OnError::Fail => Err(gst::FlowError::Error),
                        OnError::Drop => {
                            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                            Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED)
                        }
                        OnError::Pass => Ok(gst::FlowSuccess::Ok),
                    }
                }
            }
        })
    }
}
