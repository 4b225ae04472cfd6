//! Per-run callback statistics: the `stats` property and the EOS message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters kept with relaxed atomics (no lock per buffer).
#[derive(Debug, Default)]
pub(super) struct Stats {
    calls: AtomicU64,
    dropped: AtomicU64,
    errors: AtomicU64,
    callback_ns: AtomicU64,
    callback_max_ns: AtomicU64,
    gil_wait_ns: AtomicU64,
    gil_wait_max_ns: AtomicU64,
    channel_ns: AtomicU64,
}

impl Stats {
    pub(super) fn reset(&self) {
        for counter in [
            &self.calls,
            &self.dropped,
            &self.errors,
            &self.callback_ns,
            &self.callback_max_ns,
            &self.gil_wait_ns,
            &self.gil_wait_max_ns,
            &self.channel_ns,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// One call of the per-buffer callback.
    pub(super) fn record_call(&self, gil_wait: Duration, callback: Duration) {
        let gil_wait = gil_wait.as_nanos() as u64;
        let callback = callback.as_nanos() as u64;
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.gil_wait_ns.fetch_add(gil_wait, Ordering::Relaxed);
        self.gil_wait_max_ns.fetch_max(gil_wait, Ordering::Relaxed);
        self.callback_ns.fetch_add(callback, Ordering::Relaxed);
        self.callback_max_ns.fetch_max(callback, Ordering::Relaxed);
    }

    /// Time a per-buffer call spent passing the frame to a worker process and back.
    pub(super) fn record_channel(&self, channel: Duration) {
        self.channel_ns
            .fetch_add(channel.as_nanos() as u64, Ordering::Relaxed);
    }

    /// A buffer was dropped (by the callback's result or by `on-error=drop`).
    pub(super) fn record_drop(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// The callback or a hook raised.
    pub(super) fn record_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The `gvarust-stats` structure; `worker_restarts` counts the worker
    /// processes started anew (`isolation=process`).
    pub(super) fn structure(&self, worker_restarts: u64) -> gst::Structure {
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
            .field("worker-restarts", worker_restarts)
            .field("ipc-mean-us", mean_us(&self.channel_ns))
            .build()
    }
}
