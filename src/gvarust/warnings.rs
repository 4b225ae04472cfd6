//! Rate limiting of the warnings that `on-error=drop|pass` posts: per kind of
//! failure (what failed, the exception type and where it was raised), so one
//! error cannot hide another, with a count of what was held back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One kind of failure.
#[derive(Debug)]
struct Kind {
    last_posted: Instant,
    suppressed: u64,
    /// The latest suppressed message, named in the summary.
    example: String,
}

/// Admits the first warning of each kind and then at most one a second per kind.
#[derive(Debug, Default)]
pub(super) struct WarningLimiter {
    kinds: HashMap<String, Kind>,
}

impl WarningLimiter {
    /// `Some(count of warnings of this kind suppressed since the last one posted)`
    /// when the warning `message` of kind `kind` may be posted now.
    pub(super) fn admit(&mut self, kind: &str, message: &str) -> Option<u64> {
        let now = Instant::now();
        match self.kinds.get_mut(kind) {
            Some(seen) if now.duration_since(seen.last_posted) < Duration::from_secs(1) => {
                seen.suppressed += 1;
                seen.example.clear();
                seen.example.push_str(message);
                None
            }
            Some(seen) => {
                seen.last_posted = now;
                Some(std::mem::take(&mut seen.suppressed))
            }
            None => {
                self.kinds.insert(
                    kind.to_string(),
                    Kind {
                        last_posted: now,
                        suppressed: 0,
                        example: String::new(),
                    },
                );
                Some(0)
            }
        }
    }

    /// The warnings held back since each kind's last posted one, as
    /// `(count, latest message)`, oldest kind first; the counts start again.
    pub(super) fn take_suppressed(&mut self) -> Vec<(u64, String)> {
        let mut held: Vec<(Instant, u64, String)> = self
            .kinds
            .values_mut()
            .filter(|kind| kind.suppressed > 0)
            .map(|kind| {
                (
                    kind.last_posted,
                    std::mem::take(&mut kind.suppressed),
                    std::mem::take(&mut kind.example),
                )
            })
            .collect();
        held.sort_by_key(|(posted, _, _)| *posted);
        held.into_iter()
            .map(|(_, count, example)| (count, example))
            .collect()
    }
}
