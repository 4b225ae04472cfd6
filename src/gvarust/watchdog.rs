//! The slow-call watchdog: reports a Python call that runs longer than the
//! `slow-call-warning` threshold, once per call, from a thread of its own (the
//! streaming thread is stuck in Python).

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use gst::prelude::*;

use crate::pyhost::CallClock;

pub(super) struct Watchdog {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: std::thread::JoinHandle<()>,
}

impl Watchdog {
    /// Watches `clock` for `element`; `None` when `threshold` (seconds) disables it.
    pub(super) fn spawn(
        element: &super::GvaRust,
        clock: Arc<CallClock>,
        threshold: f64,
    ) -> Option<Self> {
        if threshold <= 0.0 || !threshold.is_finite() {
            return None;
        }
        let threshold = Duration::from_secs_f64(threshold);
        let poll = (threshold / 4).clamp(Duration::from_millis(10), Duration::from_millis(250));
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak = element.downgrade();
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("gvarust-watchdog".into())
            .spawn(move || {
                let (lock, cvar) = &*thread_stop;
                let mut warned_for = 0;
                let mut stopped = lock.lock().unwrap_or_else(PoisonError::into_inner);
                while !*stopped {
                    stopped = cvar
                        .wait_timeout(stopped, poll)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    let Some(call) = clock.running() else {
                        continue;
                    };
                    if call.id == warned_for || call.elapsed < threshold {
                        continue;
                    }
                    warned_for = call.id;
                    let Some(element) = weak.upgrade() else { break };
                    gst::element_warning!(
                        element,
                        gst::LibraryError::Failed,
                        (
                            "{} has been running for {:.1} s in element {}; the stream is stalled until it returns",
                            clock.label(),
                            call.elapsed.as_secs_f64(),
                            element.name()
                        )
                    );
                }
            })
            .ok()?;
        Some(Watchdog { stop, thread })
    }

    pub(super) fn shutdown(self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        cvar.notify_all();
        let _ = self.thread.join();
    }
}
