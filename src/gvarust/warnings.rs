//! Rate limiting of the warnings that `on-error=drop|pass` posts.

use std::time::{Duration, Instant};

/// Admits at most one warning a second, counting the ones held back.
#[derive(Debug, Default)]
pub(super) struct WarningLimiter {
    last: Option<Instant>,
    suppressed: u64,
}

impl WarningLimiter {
    /// `Some(count of suppressed warnings)` when a warning may be posted now.
    pub(super) fn admit(&mut self) -> Option<u64> {
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
