//! When a failed mail is tried again: exponential back-off with jitter, for a retry window.
//! Pure: the caller passes the time and the random jitter.
//!
//! The window is measured in scheduled back-off, not from the mail's creation time: the box
//! (a Raspberry-Pi class board without a battery clock) may queue mail before its clock is set,
//! and mail queued while no SMTP server was configured must still get its full set of tries.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure; doubled after each further one.
    pub first: Duration,
    /// The delay never grows past this.
    pub max: Duration,
    /// A mail is given up once the delays scheduled since its first failure add up to this.
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
    /// The delay after failure number `failures` (1 for the first), before jitter.
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first.saturating_mul(1u32 << doublings).min(self.max)
    }

    /// The delays after failures 1..=`failures` added up, without looping over a count that a
    /// corrupt row could make huge: the doubling phase is short, the rest is `max` each.
    fn scheduled(&self, failures: u32) -> Duration {
        let mut total = Duration::ZERO;
        let mut n = 1;
        while n <= failures && self.delay(n) < self.max {
            total = total.saturating_add(self.delay(n));
            n += 1;
        }
        let capped = failures.saturating_sub(n - 1);
        total.saturating_add(self.max.saturating_mul(capped))
    }

    /// When to try again after failure number `failures` (1 for the first) at `now_utc` (ms);
    /// `None`: give up. `jitter` in [0, 1) moves the retry within ±25 % of the delay so that
    /// mails that failed together in one outage do not all hit the server in the same second.
    pub fn next_attempt(&self, now_utc: i64, failures: u32, jitter: f64) -> Option<i64> {
        if self.scheduled(failures) > self.window {
            return None;
        }
        let delay = ms(self.delay(failures));
        // A NaN from a broken generator clamps to nothing useful: treat it as the middle.
        let jitter = if jitter.is_nan() {
            0.5
        } else {
            jitter.clamp(0.0, 1.0)
        };
        // At most an hour of milliseconds: the float round trip is exact enough.
        let factor = 0.75 + 0.5 * jitter;
        let jittered = (delay as f64 * factor) as i64;
        Some(now_utc.saturating_add(jittered.max(1)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may unwrap

    use super::*;

    const S: i64 = 1000;
    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(b.delay(0).as_secs(), 30);
        assert_eq!(b.delay(u32::MAX).as_secs(), 3600);
    }

    #[test]
    fn jitter_spreads_around_the_delay() {
        let b = Backoff::default();
        assert_eq!(b.next_attempt(T0, 1, 0.0), Some(T0 + 22_500));
        assert_eq!(b.next_attempt(T0, 1, 0.5), Some(T0 + 30 * S));
        assert_eq!(b.next_attempt(T0, 1, 1.0), Some(T0 + 37_500));
        // Out-of-range jitter is clamped, never a negative or runaway delay.
        assert_eq!(b.next_attempt(T0, 1, -3.0), Some(T0 + 22_500));
        assert_eq!(b.next_attempt(T0, 1, f64::NAN), Some(T0 + 30 * S));
        assert_eq!(b.next_attempt(T0, 1, f64::INFINITY), Some(T0 + 37_500));
        assert_eq!(b.next_attempt(T0, 3, 0.5), Some(T0 + 120 * S));
    }

    #[test]
    fn gives_up_once_two_days_of_retries_are_scheduled() {
        let b = Backoff::default();
        // 30 s … 32 min (7 doublings, 63.5 min), then hourly: 47 more hours fit.
        assert_eq!(b.scheduled(7), Duration::from_secs(3810));
        let last = (1..200)
            .take_while(|&n| b.next_attempt(T0, n, 0.5).is_some())
            .last();
        assert_eq!(last, Some(53));
        assert!(b.scheduled(53) <= b.window && b.scheduled(54) > b.window);
        // Whatever the clock says: a mail queued long ago still gets its tries.
        assert!(b.next_attempt(0, 1, 0.5).is_some());
        assert_eq!(b.next_attempt(T0, u32::MAX, 0.5), None);
    }

    #[test]
    fn a_two_day_outage_is_bridged() {
        let b = Backoff::default();
        let (mut now, mut failures) = (T0, 0u32);
        while let Some(at) = b.next_attempt(now, failures + 1, 0.5) {
            assert!(at > now, "retries move forward");
            failures += 1;
            now = at;
        }
        let hours = (now - T0) / (3600 * S);
        assert!((46..=48).contains(&hours), "{hours} h");
    }

    #[test]
    fn a_zero_first_delay_still_moves_forward_and_ends() {
        let b = Backoff {
            first: Duration::ZERO,
            max: Duration::ZERO,
            window: Duration::from_secs(1),
        };
        assert_eq!(b.next_attempt(T0, 1, 0.0), Some(T0 + 1));
        // Zero delays never fill the window: the sender's rows would retry each millisecond,
        // which is why the daemon's defaults are not configurable to zero.
        assert!(b.next_attempt(T0, 1000, 0.0).is_some());
    }
}
