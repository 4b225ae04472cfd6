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
