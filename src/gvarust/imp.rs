//! The `gvarust` element: an in-place `GstBaseTransform` that hands every
//! buffer to a user Python callable.
//!
//! Life cycle: `start()` loads the user code, `transform_ip()` calls it per
//! buffer, `sink_event()` follows caps and feeds the event hooks, `stop()` calls
//! `on_stop()` and releases the code. All Python work happens in the element's
//! [`Session`]; this file is GStreamer glue: properties, the `on-error` policy,
//! statistics and messages.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::prelude::*;
use gst_base::subclass::prelude::*;

use super::settings::{Settings, DEFAULT_FUNCTION, DEFAULT_SLOW_CALL_WARNING};
use super::stats::Stats;
use super::warnings::WarningLimiter;
use super::watchdog::Watchdog;
use super::{Isolation, Metadata, OnError};
use crate::isolation::WorkerHost;
use crate::pyhost::{HookResult, Host, PyFailure, Session, StuckCall, Verdict, NONE_TRAP_FRAMES};
use crate::CAT;

/// How long a per-buffer call may go on once the element begins to stop before
/// it is interrupted, and how long it then has to return.
const STOP_GRACE: Duration = Duration::from_millis(300);
const INTERRUPT_PATIENCE: Duration = Duration::from_millis(700);

/// Everything one run (start to stop) builds on the GStreamer side.
struct State {
    warnings: WarningLimiter,
    watchdog: Option<Watchdog>,
}

#[derive(Default)]
pub struct GvaRust {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
    /// The Python of `isolation=none`.
    session: Session,
    /// The worker process of `isolation=process`.
    worker: WorkerHost,
    /// Whether the current run uses `worker` (chosen at start).
    isolated: AtomicBool,
    stats: Stats,
    /// An event hook failed with `on-error=fail`: the element error is posted and
    /// the event was not forwarded, so later buffers must not flow either (they
    /// would reach downstream without stream-start, caps or segment).
    failed: AtomicBool,
}

impl GvaRust {
    /// What runs the Python of the current run.
    fn host(&self) -> &dyn Host {
        if self.isolated.load(Ordering::Relaxed) {
            &self.worker
        } else {
            &self.session
        }
    }

    /// The `stats` structure of the current run.
    fn stats_structure(&self) -> gst::Structure {
        self.stats.structure(self.worker.restarts())
    }

    fn on_error_mode(&self) -> OnError {
        self.settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .on_error
    }

    /// Counts a failure of the callback or a hook, posts it as `on-error`
    /// says (an error, or a rate-limited warning) and returns that mode.
    fn report_failure(&self, failure: &PyFailure) -> OnError {
        self.stats.record_error();
        let mode = self.on_error_mode();
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
                if let Some(note) = self.admit_warning(&failure.kind, &failure.message) {
                    gst::element_imp_warning!(
                        self,
                        gst::LibraryError::Failed,
                        ("{}{}", failure.message, note),
                        ["{}", failure.debug]
                    );
                }
            }
        }
        mode
    }

    /// Whether a warning of `kind` may be posted now (at most one a second per
    /// kind); `Some` holds the note on how many were held back since the last.
    fn admit_warning(&self, kind: &str, message: &str) -> Option<String> {
        let admitted = match self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            Some(state) => state.warnings.admit(kind, message),
            None => Some(0),
        };
        admitted.map(|suppressed| {
            if suppressed > 0 {
                format!(" ({suppressed} similar warnings suppressed)")
            } else {
                String::new()
            }
        })
    }

    /// Posts `message` as an element warning, rate-limited per `kind`.
    fn warn_limited(&self, kind: &str, message: &str) {
        if let Some(note) = self.admit_warning(kind, message) {
            gst::element_imp_warning!(self, gst::LibraryError::Failed, ("{}{}", message, note));
        }
    }

    /// Posts one warning per kind of failure whose warnings the rate limit held
    /// back (at EOS and at stop, so a short run shows them too).
    fn post_suppressed_warnings(&self, state: Option<&mut State>) {
        let Some(state) = state else {
            return;
        };
        for (count, example) in state.warnings.take_suppressed() {
            let plural = if count == 1 { "" } else { "s" };
            gst::element_imp_warning!(
                self,
                gst::LibraryError::Failed,
                ("{count} more warning{plural} suppressed (at most one a second per kind), the latest: {example}")
            );
        }
    }

    /// With `isolation=process`: proposes a pool of memfd memory upstream, so
    /// a source that takes it writes frames the worker maps without a copy.
    /// Only for video, whose frame size the caps give.
    fn propose_shared_memory(&self, query: &mut gst::query::Allocation) {
        let (Some(caps), _) = query.get() else {
            return;
        };
        let Ok(info) = gst_video::VideoInfo::from_caps(caps) else {
            return;
        };
        let caps = caps.to_owned();
        let size = info.size() as u32;
        let allocator = crate::isolation::MemfdAllocator::get();
        let pool = gst::BufferPool::new();
        let mut config = pool.config();
        config.set_params(Some(&caps), size, 0, 0);
        config.set_allocator(Some(&allocator), None);
        if pool.set_config(config).is_err() {
            gst::warning!(CAT, imp = self, "could not configure the memfd pool");
            return;
        }
        query.add_allocation_pool(Some(&pool), size, 0, 0);
        query.add_allocation_param(Some(&allocator), gst::AllocationParams::default());
        gst::debug!(
            CAT,
            imp = self,
            "proposed a memfd pool of {size}-byte frames"
        );
    }

    fn start_error(failure: &PyFailure) -> gst::ErrorMessage {
        if failure.debug.is_empty() {
            gst::error_msg!(gst::LibraryError::Init, ("{}", failure.message))
        } else {
            gst::error_msg!(
                gst::LibraryError::Init,
                ("{}", failure.message),
                ["{}", failure.debug]
            )
        }
    }

    /// A callback that never returns would keep the streaming thread, and so
    /// the pads' deactivation and `set_state(NULL)`, waiting forever: interrupt
    /// it, and say which callback it was.
    fn interrupt_stuck_call(&self) {
        match self
            .host()
            .interrupt_stuck_call(STOP_GRACE, INTERRUPT_PATIENCE)
        {
            None => {}
            Some(StuckCall::Interrupted { label }) => {
                gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Failed,
                    (
                        "{} had not returned {:.1} s after the element began to stop; it was interrupted",
                        label,
                        STOP_GRACE.as_secs_f64()
                    )
                );
            }
            Some(StuckCall::Killed { label }) => {
                gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Failed,
                    (
                        "{} had not returned {:.1} s after the element began to stop; its worker \
                         process was killed",
                        label,
                        STOP_GRACE.as_secs_f64()
                    )
                );
            }
            Some(StuckCall::Blocked { label }) => {
                gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Failed,
                    (
                        "{} has not returned and cannot be interrupted: it is blocked outside Python \
                         code (a C extension, I/O or a sleep); stopping waits until it returns",
                        label
                    )
                );
            }
        }
    }

    /// Runs the event hooks for `event`; `false` means the event is dropped.
    fn run_event_hooks(&self, element: &gst::Element, event: &gst::Event) -> bool {
        // Only custom and tag events may be dropped by `process_event()`.
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
        match self.host().process_event(element, event) {
            Ok(HookResult::Drop) if droppable => keep = false,
            Ok(_) => {}
            Err(failure) => match self.report_failure(&failure) {
                OnError::Fail => {
                    self.failed.store(true, Ordering::Relaxed);
                    return false;
                }
                OnError::Drop => keep = !droppable,
                OnError::Pass => {}
            },
        }
        if keep && event.type_() == gst::EventType::Eos {
            if let Err(failure) = self.host().eos(element) {
                if self.report_failure(&failure) == OnError::Fail {
                    self.failed.store(true, Ordering::Relaxed);
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
                        "Seconds a single Python call (the import, the class constructor, the callback \
                         or a hook) may run before a warning naming this element and the call is \
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
                glib::ParamSpecEnum::builder_with_default("metadata", Metadata::default())
                    .nick("Metadata")
                    .blurb(if gvarust_meta::analytics::MetadataMode::analytics_available() {
                        "Which metadata regions are: gva (region metas and their parameters only), \
                         both (default: region metas mirrored to GstAnalytics records as DL Streamer \
                         2025.2 does; records without region meta are read as regions) or analytics \
                         (records only: the callback sees regions as with both, then the region metas \
                         that mirror records are removed; classifications become records, other \
                         parameter structures of those regions are dropped)"
                    } else {
                        "Which metadata regions are: gva (region metas and their parameters; the only \
                         choice of this build, made without GstAnalytics); both and analytics (records) \
                         need a build with GStreamer >= 1.24 and the `analytics` feature"
                    })
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("isolation", Isolation::default())
                    .nick("Isolation")
                    .blurb(
                        "Where the Python code runs: none (default: in the pipeline's process, \
                         sharing one interpreter and GIL with every other gvarust element there; \
                         fastest) or process (in a worker process of this element's own, started at \
                         start: for CPU-heavy Python callbacks with several streams per process, \
                         and for crash-prone native code; costs a copy of each frame's bytes into \
                         shared memory and a round trip per buffer; a worker that dies is an error \
                         under on-error, and drop/pass start a new one)",
                    )
                    .mutable_ready()
                    .build(),
                glib::ParamSpecBoxed::builder::<gst::Structure>("stats")
                    .nick("Statistics")
                    .blurb(
                        "Callback statistics of the current run: calls, dropped, errors, \
                         callback-mean-us, callback-max-us, gil-wait-mean-us, gil-wait-max-us, and \
                         with isolation=process worker-restarts and ipc-mean-us (the time per \
                         buffer spent passing the frame to the worker and back)",
                    )
                    .read_only()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let name = pspec.name();
        if pspec.flags().contains(gst::PARAM_FLAG_MUTABLE_READY)
            && self.obj().current_state() > gst::State::Ready
        {
            gst::warning!(
                CAT,
                imp = self,
                "property '{name}' can only be changed in the NULL or READY state; ignoring the new value"
            );
            return;
        }
        let mut settings = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
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
                let text = value.get::<Option<&str>>().expect("type checked upstream");
                if let Err(reason) = settings.set_arg(text) {
                    gst::error!(CAT, imp = self, "ignoring invalid 'arg': {reason}");
                }
                gst::info!(CAT, imp = self, "arg is now {}", settings.args_json());
            }
            "kwarg" => {
                let text = value.get::<Option<&str>>().expect("type checked upstream");
                if let Err(reason) = settings.set_kwarg(text) {
                    gst::error!(CAT, imp = self, "ignoring invalid 'kwarg': {reason}");
                }
                gst::info!(CAT, imp = self, "kwarg is now {}", settings.kwargs_json());
            }
            "on-error" => {
                settings.on_error = value.get().expect("type checked upstream");
                self.worker
                    .allow_restarts(settings.on_error != OnError::Fail);
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
            "metadata" => {
                let wanted: Metadata = value.get().expect("type checked upstream");
                match gvarust_meta::analytics::MetadataMode::from_nick(wanted.mode().nick()) {
                    Ok(mode) => {
                        settings.metadata = Metadata::from(mode);
                        gst::info!(CAT, imp = self, "metadata set to {}", mode.nick());
                    }
                    Err(reason) => gst::warning!(CAT, imp = self, "ignoring metadata: {reason}"),
                }
            }
            "reload" => {
                settings.reload = value.get().expect("type checked upstream");
                gst::info!(CAT, imp = self, "reload set to {}", settings.reload);
            }
            "isolation" => {
                settings.isolation = value.get().expect("type checked upstream");
                gst::info!(CAT, imp = self, "isolation set to {:?}", settings.isolation);
            }
            other => unreachable!("unknown property {other}"),
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let settings = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        match pspec.name() {
            "module" => settings.module.to_value(),
            "class" => settings.class.to_value(),
            "function" => settings.function.to_value(),
            "arg" => settings.args_json().to_value(),
            "kwarg" => settings.kwargs_json().to_value(),
            "on-error" => settings.on_error.to_value(),
            "slow-call-warning" => settings.slow_call_warning.to_value(),
            "reload" => settings.reload.to_value(),
            "metadata" => settings.metadata.to_value(),
            "isolation" => settings.isolation.to_value(),
            "stats" => self.stats_structure().to_value(),
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

    fn change_state(
        &self,
        transition: gst::StateChange,
    ) -> Result<gst::StateChangeSuccess, gst::StateChangeError> {
        if transition == gst::StateChange::PausedToReady {
            // Before the pads deactivate: that waits for the streaming thread.
            self.interrupt_stuck_call();
        }
        self.parent_change_state(transition)
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
        let settings = self
            .settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let element = self.obj();
        let spec = settings
            .callback_spec(&element.name())
            .map_err(|message| Self::start_error(&PyFailure::plain(message)))?;
        let caps = element.sink_pad().current_caps();
        self.isolated
            .store(settings.isolation == Isolation::Process, Ordering::Relaxed);
        self.worker
            .allow_restarts(settings.on_error != OnError::Fail);
        // Watching from the start: a slow import, constructor or on_start() is reported too.
        let watchdog = Watchdog::spawn(&element, self.host().clock(), settings.slow_call_warning);
        if let Err(failure) = self.host().start(
            element.upcast_ref(),
            spec,
            settings.reload,
            settings.metadata.mode(),
            caps.as_deref(),
        ) {
            if let Some(watchdog) = watchdog {
                watchdog.shutdown();
            }
            return Err(Self::start_error(&failure));
        }
        self.stats.reset();
        self.failed.store(false, Ordering::Relaxed);
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = Some(State {
            warnings: WarningLimiter::default(),
            watchdog,
        });
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let element = self.obj();
        // The watchdog keeps watching through on_stop().
        let stopped = self.host().stop(element.upcast_ref());
        self.post_suppressed_warnings(state.as_mut());
        if let Some(watchdog) = state.and_then(|state| state.watchdog) {
            watchdog.shutdown();
        }
        if let Some(stopped) = stopped {
            if let Err(failure) = stopped {
                gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Failed,
                    ("{}", failure.message),
                    ["{}", failure.debug]
                );
            }
            gst::info!(CAT, imp = self, "stopped: {}", self.stats_structure());
        }
        self.failed.store(false, Ordering::Relaxed);
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        let element = self.obj();
        if let gst::EventView::Caps(caps) = event.view() {
            self.host().set_caps(element.upcast_ref(), caps.caps());
        }
        let keep = self.run_event_hooks(element.upcast_ref(), &event);
        if event.type_() == gst::EventType::Eos {
            self.post_suppressed_warnings(
                self.state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .as_mut(),
            );
        }
        if event.type_() == gst::EventType::Eos && keep {
            let _ = element.post_message(
                gst::message::Element::builder(self.stats_structure())
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
        // In place, the parent asks downstream; an answer of nothing (a
        // fakesink) still leaves this element's own proposals to make.
        if let Err(err) = self.parent_propose_allocation(decide_query, query) {
            gst::debug!(CAT, imp = self, "downstream proposed nothing: {err}");
        }
        if query
            .find_allocation_meta::<gst_video::VideoMeta>()
            .is_none()
        {
            query.add_allocation_meta::<gst_video::VideoMeta>(None);
        }
        if self.isolated.load(Ordering::Relaxed) && query.allocation_pools().next().is_none() {
            self.propose_shared_memory(query);
        }
        Ok(())
    }

    fn transform_ip(
        &self,
        buffer: &mut gst::BufferRef,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(gst::FlowError::Error);
        }
        let element = self.obj();
        let Some(call) = self.host().process_buffer(element.upcast_ref(), buffer) else {
            return Err(gst::FlowError::Flushing);
        };
        if call.restart_failed {
            // As a failed start: no code runs, whatever on-error says.
            if let Err(failure) = &call.result {
                gst::element_imp_error!(
                    self,
                    gst::LibraryError::Init,
                    ("{}", failure.message),
                    ["{}", failure.debug]
                );
            }
            return Err(gst::FlowError::Error);
        }
        self.stats.record_call(call.gil_wait, call.duration);
        self.stats.record_channel(call.channel);
        if call.interrupted {
            // Reported by `interrupt_stuck_call`; the element is stopping.
            return Err(gst::FlowError::Flushing);
        }
        if let Some(reason) = &call.unfinished_metadata {
            self.warn_limited("metadata", &format!("metadata \"analytics\": {reason}"));
        }
        if call.none_trap {
            gst::element_imp_warning!(
                self,
                gst::LibraryError::Failed,
                (
                    "{} returned None for each of the first {} frames, so every one was dropped: \
                     return True to push a frame on (a falsy result, None included, drops it)",
                    self.host().clock().label(),
                    NONE_TRAP_FRAMES
                )
            );
        }
        match call.result {
            Ok(Verdict::Push) => Ok(gst::FlowSuccess::Ok),
            Ok(Verdict::Drop | Verdict::DropNone) => {
                self.stats.record_drop();
                Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED)
            }
            Err(failure) => match self.report_failure(&failure) {
                OnError::Fail => Err(gst::FlowError::Error),
                OnError::Drop => {
                    self.stats.record_drop();
                    Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED)
                }
                OnError::Pass => Ok(gst::FlowSuccess::Ok),
            },
        }
    }
}
