//! Everything gvarust does in Python, behind one type per element.
//!
//! - [`Session`] is one element's Python: it loads the user's module, class and
//!   function, calls them per buffer and per event, reloads changed code, and
//!   releases it all at stop. Each of its methods takes the GIL itself.
//! - `bootstrap` brings the process's interpreter up at the first element start
//!   (never while GStreamer scans plugins), or adopts the one that already runs
//!   when the host application is itself Python (PyGObject).
//! - `threads` takes the GIL from GStreamer threads, which keep one Python thread
//!   state for their whole life instead of creating one per buffer.
//! - `callback` loads and calls the user code; `logging` bridges Python's
//!   `logging` to the GStreamer debug log; [`CallClock`] tells the element's
//!   watchdog how long the current call has been running.
//!
//! Lock order everywhere: the GIL first, then any Rust mutex.

mod bootstrap;
mod callback;
mod clock;
mod logging;
mod session;
mod threads;

pub use callback::{CallbackSpec, HookResult, PyFailure, Verdict};
pub use clock::{CallClock, RunningCall};
pub use session::{BufferCall, Session, StuckCall, NONE_TRAP_FRAMES};
pub use threads::thread_state_count;

use std::sync::Arc;
use std::time::Duration;

/// What runs one element's Python: a [`Session`] in the element's process, or
/// (with `isolation=process`) a worker process that runs the session.
pub trait Host: Send + Sync {
    /// The clock of the running call, for the element's watchdog.
    fn clock(&self) -> Arc<CallClock>;
    /// Loads the user code and calls `on_start()` (see [`Session::start`]).
    fn start(
        &self,
        element: &gst::Element,
        spec: CallbackSpec,
        watch_for_changes: bool,
        metadata: gvarust_meta::analytics::MetadataMode,
        caps: Option<&gst::CapsRef>,
    ) -> Result<(), PyFailure>;
    /// Follows a caps change.
    fn set_caps(&self, element: &gst::Element, caps: &gst::CapsRef);
    /// Calls the user's function on `buffer`; `None` when not started.
    fn process_buffer(
        &self,
        element: &gst::Element,
        buffer: &mut gst::BufferRef,
    ) -> Option<BufferCall>;
    /// Calls the `process_event()` hook.
    fn process_event(
        &self,
        element: &gst::Element,
        event: &gst::EventRef,
    ) -> Result<HookResult, PyFailure>;
    /// Calls the `on_eos()` hook.
    fn eos(&self, element: &gst::Element) -> Result<(), PyFailure>;
    /// Calls `on_stop()` and releases the code; `None` when nothing ran.
    fn stop(&self, element: &gst::Element) -> Option<Result<(), PyFailure>>;
    /// Ends a per-buffer call still running `grace` after the element began
    /// to stop (waiting up to `patience` more for it to return).
    fn interrupt_stuck_call(&self, grace: Duration, patience: Duration) -> Option<StuckCall>;
}
