//! Live counters of one queue since it was built (SPEC §5 statistics). The store keeps the
//! per-call records for reports; these are the running totals a dashboard reads.
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Every arrival, including those turned away at once (full, no members).
    pub offered: u64,
    pub answered: u64,
    /// Hung up while waiting.
    pub abandoned: u64,
    /// Reached the max time in queue.
    pub timed_out: u64,
    /// Turned away on arrival: max waiting callers reached.
    pub full: u64,
    /// Turned away (on arrival or while waiting) because no member was reachable.
    pub no_members: u64,
    /// Callers waiting now. `offered` always equals the sum of the six outcomes and this.
    pub waiting: u64,
    /// Sum of the waits of answered callers (average = this / answered).
    pub answered_wait_total: Duration,
    /// Longest wait of any caller who left the waiting state (answered, abandoned, timed out,
    /// no members).
    pub max_wait: Duration,
    /// Answered within the configured service level.
    pub answered_within_sl: u64,
}

impl QueueStats {
    /// Average wait of answered callers, `None` before the first answer.
    pub fn average_answered_wait(&self) -> Option<Duration> {
        let n = u32::try_from(self.answered).ok().filter(|n| *n > 0)?;
        Some(self.answered_wait_total / n)
    }

    /// Answered within the service level over offered, in percent (`None` before any offer).
    /// Offered is the denominator so that callers who gave up count against the level.
    pub fn service_level_pct(&self) -> Option<f64> {
        if self.offered == 0 {
            return None;
        }
        Some(self.answered_within_sl as f64 * 100.0 / self.offered as f64)
    }

    /// Every caller accounted for: the invariant tests check after each event.
    pub fn adds_up(&self) -> bool {
        self.offered
            == self.answered
                + self.abandoned
                + self.timed_out
                + self.full
                + self.no_members
                + self.waiting
    }
}
