//! One element's Python: the loaded user code, the frame class its caps select,
//! the reload watch, and the clock of the running call.
//!
//! Every method takes the GIL itself and then the session's own lock, always in
//! that order; the lock is waited for with the GIL released, so a callback that
//! releases the GIL (sleeping, numpy) cannot deadlock a caller on another thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use gvarust_meta::analytics::MetadataMode;
use gvarust_meta::py::FrameKind;
use pyo3::prelude::*;
use pyo3::sync::MutexExt;

use super::callback::{Callback, CallbackSpec, HookResult, PyFailure, Verdict};
use super::threads::{attach, running_for};
use super::{bootstrap, CallClock, Host};
use crate::CAT;

/// How often `reload=true` looks at the module file's modification time.
const RELOAD_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// The Python side of one element, from its first start to its disposal.
#[derive(Debug, Default)]
pub struct Session {
    run: Mutex<Option<Run>>,
    clock: Arc<CallClock>,
    /// Whether a named (non-file) module was imported by an earlier run, so the
    /// next start re-executes it instead of reusing the cached import.
    named_module_loaded: AtomicBool,
    /// The id (see [`CallClock`]) of the per-buffer call being interrupted, or 0.
    interrupting: AtomicU64,
}

/// A per-buffer call that had not returned when the element began to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StuckCall {
    /// It was interrupted (a `CallInterrupted` exception raised inside it) and returned.
    Interrupted {
        /// The callable, e.g. `Python callback process_frame()`.
        label: String,
    },
    /// It did not return even when interrupted: it is blocked outside Python
    /// bytecode (a C extension, I/O, `time.sleep`), and stopping waits for it.
    Blocked {
        /// The callable, e.g. `Python callback process_frame()`.
        label: String,
    },
    /// It ran in a worker process (`isolation=process`), which was killed.
    Killed {
        /// The callable, e.g. `Python callback process_frame()`.
        label: String,
    },
}

/// What one run (start to stop) loaded. Holds Python objects: changed and
/// dropped only with the GIL held.
struct Run {
    callback: Callback,
    frame_kind: FrameKind,
    /// Which metadata the frames write and read.
    metadata: MetadataMode,
    reload: Option<ReloadWatch>,
    /// Frames that came back `None` since the start, while no other result came.
    none_streak: Option<u32>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("callback", &self.callback.function_label())
            .field("frame_kind", &self.frame_kind.class_name())
            .finish_non_exhaustive()
    }
}

impl Run {
    /// Follows the `None` streak; `true` when it just reached [`NONE_TRAP_FRAMES`].
    fn note_verdict(&mut self, result: &Result<Verdict, PyFailure>) -> bool {
        let Some(streak) = self.none_streak.as_mut() else {
            return false;
        };
        if !matches!(result, Ok(Verdict::DropNone)) {
            self.none_streak = None;
            return false;
        }
        *streak += 1;
        if *streak < NONE_TRAP_FRAMES {
            return false;
        }
        self.none_streak = None;
        true
    }
}

/// With `reload=true`: the module file to watch and how to load it again.
struct ReloadWatch {
    spec: CallbackSpec,
    path: PathBuf,
    modified: Option<SystemTime>,
    next_check: Instant,
}

fn modification_time(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// One per-buffer call: what the callback said and how long it took.
#[derive(Debug)]
pub struct BufferCall {
    /// Whether the buffer goes on, or the callback's failure.
    pub result: Result<Verdict, PyFailure>,
    /// Time spent waiting for the GIL before the call.
    pub gil_wait: Duration,
    /// The call itself, frame object included.
    pub duration: Duration,
    /// The call failed because [`Session::interrupt_stuck_call`] interrupted it
    /// (the element is stopping: not a callback error to report).
    pub interrupted: bool,
    /// The callback has returned `None` for each of the run's first
    /// [`NONE_TRAP_FRAMES`] frames (set once per run): probably a forgotten
    /// `return True`, worth a warning.
    pub none_trap: bool,
    /// Why the frame's metadata could not be finished after the call (in
    /// `metadata=analytics`, a buffer Python still shares keeps its region metas).
    pub unfinished_metadata: Option<String>,
    /// With `isolation=process`: time spent passing the frame to the worker and
    /// back (copies, metadata, the channel); zero in process.
    pub channel: Duration,
    /// With `isolation=process`: the worker died during the call (the next
    /// call starts a new one).
    pub worker_lost: bool,
    /// With `isolation=process`: a new worker was needed for this call and
    /// could not be started (the failure says why).
    pub restart_failed: bool,
}

/// How many frames in a row, from the start of a run, must come back `None`
/// before the session points at the `None` trap.
pub const NONE_TRAP_FRAMES: u32 = 100;

impl Session {
    /// Loads the user code and calls `on_start()`, each step watched on the clock.
    fn load_and_start(
        &self,
        py: Python<'_>,
        spec: &CallbackSpec,
        reimport: bool,
    ) -> Result<Callback, PyFailure> {
        let loaded = Callback::load(py, spec, reimport, &self.clock);
        self.clock.finish();
        let callback = loaded?;
        let (started, _) = self.watch("Python hook on_start()", || callback.on_start(py));
        match started {
            Ok(()) => Ok(callback),
            Err(failure) => {
                callback.unload(py);
                Err(failure)
            }
        }
    }

    /// Runs `call` (a hook, not the per-buffer callback, which marks the clock
    /// with the instant it already read) marked on the clock as `label`, then
    /// clears an interrupt aimed at it. Returns the result and whether the call
    /// was interrupted.
    fn watch<T, E>(
        &self,
        label: &str,
        call: impl FnOnce() -> Result<T, E>,
    ) -> (Result<T, E>, bool) {
        let id = self.clock.begin(label.to_string());
        let result = call();
        self.clock.finish();
        (result, self.take_interrupt(id))
    }

    /// Whether call `id` was being interrupted; if so, an interrupt that arrived
    /// as the call was returning is withdrawn so it never fires in whatever Python
    /// code this thread runs next. Called with the GIL held, on the call's thread.
    fn take_interrupt(&self, id: u64) -> bool {
        if self.interrupting.load(Ordering::Acquire) != id {
            return false;
        }
        self.interrupting.store(0, Ordering::Release);
        // SAFETY: the GIL is held; a NULL exception clears a pending one.
        unsafe {
            pyo3::ffi::PyThreadState_SetAsyncExc(
                self.clock.thread() as std::os::raw::c_long,
                std::ptr::null_mut(),
            );
        }
        true
    }

    /// Runs `f` on the current run with the GIL held; `idle` when nothing runs.
    fn with_run<R>(&self, idle: R, f: impl for<'py> FnOnce(Python<'py>, &mut Run) -> R) -> R {
        if !bootstrap::is_started() {
            return idle;
        }
        attach(|py| {
            let mut slot = self
                .run
                .lock_py_attached(py)
                .unwrap_or_else(PoisonError::into_inner);
            match slot.as_mut() {
                Some(run) => f(py, run),
                None => idle,
            }
        })
    }

    /// With `reload=true`, picks up a changed module file before the next buffer:
    /// the new code is loaded and started first, and only when that worked does
    /// it replace the running code (whose `on_stop()` then runs). A failed reload
    /// keeps the previous code and posts a warning with the traceback.
    fn maybe_reload(&self, py: Python<'_>, element: &gst::Element, run: &mut Run, now: Instant) {
        let Some(watch) = run.reload.as_mut() else {
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
        let shown = watch.path.display().to_string();
        match self.load_and_start(py, &watch.spec, true) {
            Ok(new) => {
                let old = std::mem::replace(&mut run.callback, new);
                let (stopped, _) = self.watch("Python hook on_stop()", || old.on_stop(py));
                if let Err(failure) = stopped {
                    gst::element_warning!(
                        element,
                        gst::LibraryError::Failed,
                        ("{}", failure.message),
                        ["{}", failure.debug]
                    );
                }
                old.unload(py);
                self.clock
                    .set_label(format!("Python callback {}", run.callback.function_label()));
                gst::info!(CAT, obj = element, "reloaded '{shown}'");
            }
            Err(failure) => {
                run.callback.register_module(py);
                gst::element_warning!(
                    element,
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
}

impl Host for Session {
    /// The clock of the running call, for a watchdog thread.
    fn clock(&self) -> Arc<CallClock> {
        self.clock.clone()
    }

    /// Starts the interpreter if needed, loads the user code, calls `on_start()`
    /// and picks the frame class for `caps`. With `watch_for_changes`, a changed
    /// module file is loaded again before the next buffer.
    fn start(
        &self,
        element: &gst::Element,
        spec: CallbackSpec,
        watch_for_changes: bool,
        metadata: MetadataMode,
        caps: Option<&gst::CapsRef>,
    ) -> Result<(), PyFailure> {
        bootstrap::ensure_started()
            .map_err(|reason| PyFailure::plain(format!("Cannot start Python: {reason}")))?;
        let reimport = self.named_module_loaded.load(Ordering::Relaxed);
        let label = attach(|py| {
            let _running = running_for(element);
            let callback = self.load_and_start(py, &spec, reimport)?;
            let label = callback.function_label().to_string();
            let reload = watch_for_changes
                .then(|| callback.source_file(py, &spec))
                .flatten()
                .map(|path| ReloadWatch {
                    modified: modification_time(&path),
                    path,
                    spec: spec.clone(),
                    next_check: Instant::now() + RELOAD_CHECK_INTERVAL,
                });
            let run = Run {
                callback,
                frame_kind: FrameKind::from_caps(caps),
                metadata,
                reload,
                none_streak: Some(0),
            };
            let mut slot = self
                .run
                .lock_py_attached(py)
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(stale) = slot.replace(run) {
                stale.callback.unload(py);
            }
            Ok(label)
        })?;
        if !spec.module_is_path() {
            self.named_module_loaded.store(true, Ordering::Relaxed);
        }
        self.clock.set_label(format!("Python callback {label}"));
        gst::info!(CAT, obj = element, "loaded {label} from '{}'", spec.module);
        Ok(())
    }

    /// Follows a caps change: frames are then built for `caps`.
    fn set_caps(&self, element: &gst::Element, caps: &gst::CapsRef) {
        self.with_run((), |_py, run| {
            run.frame_kind = FrameKind::from_caps(Some(caps));
            gst::debug!(
                CAT,
                obj = element,
                "caps {caps} give {} objects",
                run.frame_kind.class_name()
            );
        });
    }

    /// Calls the user's function with a frame over `buffer`. `None` when no
    /// code is loaded (the element is not started).
    fn process_buffer(
        &self,
        element: &gst::Element,
        buffer: &mut gst::BufferRef,
    ) -> Option<BufferCall> {
        if !bootstrap::is_started() {
            return None;
        }
        let waiting_since = Instant::now();
        attach(|py| {
            // One clock read serves the GIL wait, the call's start and the watchdog.
            let call_start = Instant::now();
            let gil_wait = call_start.saturating_duration_since(waiting_since);
            let mut slot = self
                .run
                .lock_py_attached(py)
                .unwrap_or_else(PoisonError::into_inner);
            let run = slot.as_mut()?;
            let _running = running_for(element);
            if run.reload.is_some() {
                self.maybe_reload(py, element, run, call_start);
            }
            let id = self.clock.start_callback(call_start);
            let (result, unfinished_metadata) =
                run.callback
                    .process_buffer(py, &run.frame_kind, run.metadata, buffer);
            self.clock.finish();
            let interrupted = self.take_interrupt(id);
            let none_trap = run.note_verdict(&result);
            Some(BufferCall {
                interrupted: interrupted && result.is_err(),
                none_trap,
                unfinished_metadata,
                result,
                gil_wait,
                duration: call_start.elapsed(),
                channel: Duration::ZERO,
                worker_lost: false,
                restart_failed: false,
            })
        })
    }

    /// Calls the `process_event(event)` hook; [`HookResult::Drop`] when it
    /// returned exactly `False`.
    fn process_event(
        &self,
        element: &gst::Element,
        event: &gst::EventRef,
    ) -> Result<HookResult, PyFailure> {
        self.with_run(Ok(HookResult::Keep), |py, run| {
            let _running = running_for(element);
            match self.watch("Python hook process_event()", || {
                run.callback.process_event(py, event)
            }) {
                // Interrupted because the element is stopping (already reported).
                (Err(_), true) => Ok(HookResult::Keep),
                (result, _) => result,
            }
        })
    }

    /// Calls the `on_eos()` hook.
    fn eos(&self, element: &gst::Element) -> Result<(), PyFailure> {
        self.with_run(Ok(()), |py, run| {
            let _running = running_for(element);
            match self.watch("Python hook on_eos()", || run.callback.on_eos(py)) {
                // Interrupted because the element is stopping (already reported).
                (Err(_), true) => Ok(()),
                (result, _) => result,
            }
        })
    }

    /// Calls `on_stop()` and releases every Python object of the run (so
    /// `__del__` runs now). `None` when nothing was running.
    fn stop(&self, element: &gst::Element) -> Option<Result<(), PyFailure>> {
        if !bootstrap::is_started() {
            return None;
        }
        attach(|py| {
            let run = self
                .run
                .lock_py_attached(py)
                .unwrap_or_else(PoisonError::into_inner)
                .take()?;
            let _running = running_for(element);
            let (stopped, _) = self.watch("Python hook on_stop()", || run.callback.on_stop(py));
            run.callback.unload(py);
            Some(stopped)
        })
    }

    /// Called as the element begins to stop: a per-buffer call that is still
    /// running after `grace` is interrupted by raising `CallInterrupted` in its
    /// thread, and given `patience` more to return. `None` when no call was
    /// running or it returned within `grace`.
    ///
    /// The interrupt is raised from a thread of its own: taking the GIL may
    /// block for as long as native code holds it, and the caller must not.
    fn interrupt_stuck_call(&self, grace: Duration, patience: Duration) -> Option<StuckCall> {
        let call = self.clock.running()?;
        let still_running = |limit: Duration| self.clock.still_running_after(call.id, limit);
        if !still_running(grace) {
            return None;
        }
        let label = self.clock.label();
        self.interrupting.store(call.id, Ordering::Release);
        let clock = self.clock.clone();
        let raise = move || {
            attach(|py| {
                // Checked with the GIL held: the call cannot end meanwhile, so the
                // thread ident still belongs to it.
                if clock.running().map(|c| c.id) != Some(call.id) {
                    return;
                }
                let Ok(exception) = bootstrap::host_module(py).getattr("CallInterrupted") else {
                    return;
                };
                // SAFETY: the GIL is held and `exception` is a live exception class;
                // the ident is that of the thread running the call right now.
                unsafe {
                    pyo3::ffi::PyThreadState_SetAsyncExc(
                        clock.thread() as std::os::raw::c_long,
                        exception.as_ptr(),
                    );
                }
            })
        };
        if std::thread::Builder::new()
            .name("gvarust-interrupt".into())
            .spawn(raise)
            .is_err()
        {
            return Some(StuckCall::Blocked { label });
        }
        if still_running(patience) {
            Some(StuckCall::Blocked { label })
        } else {
            Some(StuckCall::Interrupted { label })
        }
    }
}
