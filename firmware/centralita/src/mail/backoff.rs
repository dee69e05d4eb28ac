//! When a failed mail is tried again: exponential back-off with jitter, within a retry window.
//! Pure: the caller passes the times and the random jitter.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure; doubled after each further one.
    pub first: Duration,
    /// The delay never grows past this.
    pub max: Duration,
    /// Counted from when the mail was queued: after it, a failing mail is given up.
    pub window: Duration,
}

impl Default for Backoff {
    /// 30 s, 1 min, 2 min … capped at an hour, for two days: a server down over a weekend
    /// night still gets the mail, a mail nobody can deliver does not stay forever.
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(30),
            max: Duration::from_secs(3600),
            window: Duration::from_secs(48 * 3600),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Backoff {
    /// The delay before attempt `failures + 1`, before jitter.
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first.saturating_mul(1u32 << doublings).min(self.max)
    }

    /// When to try again after failure number `failures` (1 for the first) at `now_utc` of a
    /// mail queued at `created_utc` (ms); `None`: give up. `jitter` in [0, 1) spreads the
    /// retries over the second half of the delay ("equal jitter") so that mails queued
    /// during one outage do not all hit the server again in the same second.
    pub fn next_attempt(
        &self,
        created_utc: i64,
        now_utc: i64,
        failures: u32,
        jitter: f64,
    ) -> Option<i64> {
        let deadline = created_utc.saturating_add(ms(self.window));
        if now_utc >= deadline {
            return None;
        }
        let delay = ms(self.delay(failures));
        let jitter = jitter.clamp(0.0, 1.0);
        // Both halves are at most an hour of milliseconds: the float round trip is exact enough.
        let half = delay / 2;
        let spread = (half as f64 * jitter) as i64;
        let at = now_utc.saturating_add(delay - half + spread);
        // One last attempt at the end of the window rather than giving up early.
        Some(at.min(deadline))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may unwrap

    use super::*;

    const S: i64 = 1000;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(b.delay(0).as_secs(), 30);
        assert_eq!(b.delay(u32::MAX).as_secs(), 3600);
    }

    #[test]
    fn jitter_spreads_over_the_second_half() {
        let b = Backoff::default();
        let t0 = 1_700_000_000_000;
        assert_eq!(b.next_attempt(t0, t0, 1, 0.0), Some(t0 + 15 * S));
        assert_eq!(b.next_attempt(t0, t0, 1, 0.5), Some(t0 + 22_500));
        assert_eq!(b.next_attempt(t0, t0, 1, 0.999_999), Some(t0 + 29_999));
        // Out-of-range jitter is clamped, never a negative or runaway delay.
        assert_eq!(b.next_attempt(t0, t0, 1, -3.0), Some(t0 + 15 * S));
        assert!(b.next_attempt(t0, t0, 1, f64::NAN).is_some());
        assert_eq!(b.next_attempt(t0, t0, 3, 1.0), Some(t0 + 120 * S));
    }

    #[test]
    fn gives_up_after_the_window_with_a_last_attempt_at_its_end() {
        let b = Backoff::default();
        let t0 = 1_700_000_000_000;
        let end = t0 + 48 * 3600 * S;
        assert_eq!(b.next_attempt(t0, end - 10 * S, 20, 0.0), Some(end));
        assert_eq!(b.next_attempt(t0, end, 21, 0.0), None);
        assert_eq!(b.next_attempt(t0, end + 1, 21, 0.0), None);
    }

    #[test]
    fn a_two_day_outage_is_retried_about_seventy_times() {
        let b = Backoff::default();
        let t0 = 0;
        let (mut now, mut failures) = (t0, 0u32);
        while let Some(at) = b.next_attempt(t0, now, failures + 1, 0.5) {
            assert!(at > now, "retries move forward");
            failures += 1;
            now = at;
        }
        assert!((50..80).contains(&failures), "{failures} attempts");
    }
}
