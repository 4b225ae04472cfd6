//! When the current Python call of a session started, for the element's
//! slow-call watchdog (which runs on a thread of its own while the streaming
//! thread is stuck in Python).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Monotonic nanoseconds of `instant` since the first use, never 0 (0 means idle).
fn monotonic_ns_at(instant: Instant) -> u64 {
    static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
    instant.saturating_duration_since(*EPOCH).as_nanos() as u64 + 1
}

/// The start of the Python call running now (if any) and what it is called.
#[derive(Debug, Default)]
pub struct CallClock {
    /// `monotonic_ns_at` of the call's start, or 0 when no call runs.
    started: AtomicU64,
    /// Python's ident of the thread running the call (to interrupt it).
    thread: AtomicU64,
    /// Names the per-buffer callback.
    label: Mutex<String>,
    /// Whether the running call is another one, named by `other_label`.
    other: AtomicBool,
    other_label: Mutex<String>,
}

/// A call seen running by [`CallClock::running`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningCall {
    /// Identifies the call (its start), so a watcher reports each call once.
    pub id: u64,
    /// How long it has been running.
    pub elapsed: Duration,
}

impl CallClock {
    /// A call other than the per-buffer callback (an import, a constructor, a
    /// hook), named by `label`, starts now.
    pub(super) fn begin(&self, label: String) -> u64 {
        self.name_other(label);
        self.start(Instant::now())
    }

    fn name_other(&self, label: String) {
        *self
            .other_label
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = label;
        self.other.store(true, Ordering::Relaxed);
    }

    /// [`CallClock::begin`] for a call that runs in another process (no Python
    /// thread of this process to interrupt).
    pub(crate) fn begin_untracked(&self, label: String) -> u64 {
        self.name_other(label);
        self.mark(Instant::now())
    }

    /// [`CallClock::start_callback`] for a callback that runs in another process.
    pub(crate) fn start_callback_untracked(&self, at: Instant) -> u64 {
        self.other.store(false, Ordering::Relaxed);
        self.mark(at)
    }

    /// The per-buffer callback starts at `at` (an instant the caller already read:
    /// one clock read per buffer serves the GIL wait, the call's duration and this).
    pub(super) fn start_callback(&self, at: Instant) -> u64 {
        self.other.store(false, Ordering::Relaxed);
        self.start(at)
    }

    fn start(&self, at: Instant) -> u64 {
        // SAFETY: PyThread_get_thread_ident only reads the calling thread's id.
        let thread = unsafe { pyo3::ffi::PyThread_get_thread_ident() };
        self.thread.store(thread as u64, Ordering::Relaxed);
        self.mark(at)
    }

    fn mark(&self, at: Instant) -> u64 {
        let id = monotonic_ns_at(at);
        self.started.store(id, Ordering::Release);
        id
    }

    /// Python's ident of the thread that started the running call.
    pub(super) fn thread(&self) -> u64 {
        self.thread.load(Ordering::Relaxed)
    }

    /// The call returned.
    pub(crate) fn finish(&self) {
        self.started.store(0, Ordering::Release);
    }

    /// Names the per-buffer callback in slow-call warnings, e.g.
    /// `Python callback process_frame()`.
    pub(crate) fn set_label(&self, label: String) {
        *self.label.lock().unwrap_or_else(PoisonError::into_inner) = label;
    }

    /// What the running (or last) call is, e.g. `Python callback process_frame()`.
    pub fn label(&self) -> String {
        let label = if self.other.load(Ordering::Relaxed) {
            &self.other_label
        } else {
            &self.label
        };
        label.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// What the per-buffer callback is called, e.g. `Python callback process_frame()`.
    pub fn callback_label(&self) -> String {
        self.label
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits up to `limit` for call `id` to end; `true` when it is still
    /// running then.
    pub fn still_running_after(&self, id: u64, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.running().map(|c| c.id) != Some(id) {
                return false;
            }
            if Instant::now() >= deadline {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The call running now, if any.
    pub fn running(&self) -> Option<RunningCall> {
        let started = self.started.load(Ordering::Acquire);
        (started != 0).then(|| RunningCall {
            id: started,
            elapsed: Duration::from_nanos(monotonic_ns_at(Instant::now()).saturating_sub(started)),
        })
    }
}
