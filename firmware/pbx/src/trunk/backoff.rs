//! Retry delays after failures: exponential, capped, with random jitter so that many boxes behind
//! one provider outage do not come back in lock-step (RFC 5626 §4.5 uses the same idea).
use std::time::Duration;

use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The nominal delay before retry number `failures` (1 = after the first failure):
    /// `base · 2^(failures-1)`, capped at `max`.
    pub fn nominal(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(20);
        self.base
            .saturating_mul(1u32 << shift)
            .min(self.max)
            .max(Duration::from_millis(1))
    }

    /// The delay actually used: uniformly between 75 % and 100 % of the nominal delay, so it is
    /// never longer than the cap and never shorter than three quarters of the doubling step.
    pub fn delay(&self, failures: u32, rng: &mut dyn RngCore) -> Duration {
        let nominal = self.nominal(failures);
        let quarter_ms = u64::try_from(nominal.as_millis() / 4).unwrap_or(u64::MAX);
        let cut = if quarter_ms == 0 {
            0
        } else {
            rng.next_u64() % (quarter_ms + 1)
        };
        nominal.saturating_sub(Duration::from_millis(cut))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::mock::StepRng;
    use rand::SeedableRng;

    #[test]
    fn doubles_to_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(1800),
        };
        let secs: Vec<u64> = (1..=9).map(|n| b.nominal(n).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1800, 1800, 1800]);
        assert_eq!(b.nominal(u32::MAX), Duration::from_secs(1800));
        assert_eq!(b.nominal(0), Duration::from_secs(30));
    }

    #[test]
    fn jitter_stays_within_three_quarters_and_full() {
        let b = Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(1800),
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for n in 1..12 {
            let nominal = b.nominal(n);
            for _ in 0..50 {
                let d = b.delay(n, &mut rng);
                assert!(d <= nominal && d * 4 >= nominal * 3, "{n}: {d:?}");
            }
        }
        let mut zero = StepRng::new(0, 0);
        assert_eq!(b.delay(2, &mut zero), Duration::from_secs(60));
    }
}
